"""Start, find, reset and stop the emulator server (moto, patched) as a background process.

The CLI (``infra emulator start|stop|status``) and the pytest fixtures are thin layers over these
functions; what they share with the LocalStack lane is in ``background.py``. A running emulator is
described by ``<state_dir>/emulator.json`` ({pid, port, endpoint, started_at, log}).
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request
from collections.abc import Iterable
from contextlib import AbstractContextManager
from pathlib import Path

from core.project import REPO_ROOT
from infra.emulator.background import (
    HOST,
    OPENER,
    BackgroundServer,
    Launch,
    ServerError,
    ServerInfo,
    free_port,
)

STATE_FILE = "emulator.json"
LOG_FILE = "emulator.log"
DEFAULT_STATE_DIR = REPO_ROOT / ".infra"

__all__ = ["DEFAULT_STATE_DIR", "HOST", "EmulatorError", "EmulatorInfo", "free_port", "reset", "running", "start",
           "status", "stop"]


class EmulatorError(ServerError):
    """Something the user can fix: port in use, server would not start, ..."""


EmulatorInfo = ServerInfo


class _Moto(BackgroundServer):
    name = "the emulator"
    state_file = STATE_FILE
    log_file = LOG_FILE
    cmdline_marker = b"infra.emulator.server"
    ready_path = "/moto-api/config"  # moto's own API
    error = EmulatorError
    inherits_socket = True

    def launch(self, port: int, state_dir: Path, fd: int, disabled_patches: Iterable[str] = (),
               warm: bool = True) -> Launch:
        argv = [sys.executable, "-m", "infra.emulator.server", "--host", HOST, "--port", str(port), "--fd", str(fd)]
        if not warm:
            argv.append("--no-warm")
        for name in disabled_patches:
            argv += ["--disable-patch", name]
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
        env["PYTHONUNBUFFERED"] = "1"
        return Launch(argv, env, REPO_ROOT, pass_fds=(fd,))


MOTO = _Moto()


def status(state_dir: Path = DEFAULT_STATE_DIR) -> EmulatorInfo | None:
    """The emulator recorded in ``state_dir`` if its process lives and it answers (background.py)."""
    return MOTO.status(state_dir)


def start(port: int | None = None, state_dir: Path = DEFAULT_STATE_DIR, disabled_patches: Iterable[str] = (),
          timeout: float | None = None, warm: bool = True) -> EmulatorInfo:
    """Spawn the patched moto server in the background and wait until it answers (``port=None``: a free
    loopback port); EmulatorError when one already runs there, the port is taken, or it will not start.
    ``warm=False`` skips building every service before listening (server.warm): for clients that make a
    few calls, not for a Terraform apply, whose SDK retries a call the lazy build delays."""
    return MOTO.start(port=port, state_dir=state_dir, timeout=timeout, disabled_patches=disabled_patches, warm=warm)


def stop(state_dir: Path = DEFAULT_STATE_DIR) -> bool:
    """Stop the emulator recorded in ``state_dir``; True if one was running. Idempotent."""
    return MOTO.stop(state_dir)


def running(port: int | None = None, state_dir: Path = DEFAULT_STATE_DIR, disabled_patches: Iterable[str] = (),
            timeout: float | None = None, warm: bool = True) -> AbstractContextManager[EmulatorInfo]:
    """Run an emulator for the duration of a ``with`` block; always stops it (``warm`` as for ``start``)."""
    return MOTO.running(port=port, state_dir=state_dir, timeout=timeout, disabled_patches=disabled_patches,
                        warm=warm)


def reset(endpoint: str, timeout: float = 10.0) -> None:
    """Wipe every resource in the emulator (moto's ``POST /moto-api/reset``)."""
    req = urllib.request.Request(f"{endpoint}/moto-api/reset", data=b"", method="POST")
    try:
        with OPENER.open(req, timeout=timeout) as resp:
            resp.read()
    except (OSError, urllib.error.URLError) as exc:
        raise EmulatorError(f"could not reset the emulator at {endpoint}: {exc}") from exc


