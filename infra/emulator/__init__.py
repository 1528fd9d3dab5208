"""Embedded AWS emulator: moto's server plus one runtime patch per known gap.

    from infra.emulator import running, reset

    with running(state_dir=tmp) as emu:      # spawns the patched server on a free port
        boto3.client("s3", endpoint_url=emu.endpoint, ...)
        reset(emu.endpoint)                  # wipe all state

``python -m infra.emulator.server`` runs the server in the foreground; the
patches live in ``infra.emulator.patches`` (one module per gap, each
documented).  Importing this package does not import moto.
"""

from infra.emulator.manager import (
    EmulatorError,
    EmulatorInfo,
    free_port,
    reset,
    running,
    start,
    status,
    stop,
)
from infra.emulator.patches import PATCH_NAMES

__all__ = [
    "PATCH_NAMES",
    "EmulatorError",
    "EmulatorInfo",
    "free_port",
    "reset",
    "running",
    "start",
    "status",
    "stop",
]
