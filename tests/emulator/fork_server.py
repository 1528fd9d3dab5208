"""A fork server for the emulators with one patch left out (conftest.py's ``without_patch``).

A fresh ``python -m infra.emulator.server`` spends some 2.5 CPU-seconds importing moto's services and
the patch modules before it answers, and the gap tests start some 35 such emulators: most of their
cost, and a minute and a half of the suite's CPU. This process imports all of that once, unpatched,
then forks one emulator for each line it reads on stdin, ``PATCH LOG_PATH``: the fork applies every
other patch and serves exactly as ``python -m infra.emulator.server --no-warm --disable-patch PATCH``
would (it runs that ``main``), on a socket bound here before the fork. Each line is answered with
``PID PORT``. Nothing that a patch changes is built here (no backend, no Flask app):
a fork builds those after its patches, as a fresh server does; only modules are shared.

When stdin closes (the test session ends, or dies), every fork still running is stopped.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import importlib
import os
import signal
import sys
import time
import traceback

from infra.emulator import server
from infra.emulator.background import HOST, listening_socket
from infra.emulator.patches import PATCH_NAMES
from infra.workspace import ENDPOINT_SERVICES

STOP_GRACE = 10.0  # seconds a fork has to exit after SIGTERM before it is killed


def preload() -> None:
    """Import what every fork would import (moto reads its settings on import, so those go first)."""
    os.environ.update(server.MOTO_SETTINGS)
    for name in PATCH_NAMES:
        importlib.import_module(f"infra.emulator.patches.{name}")
    for service in ENDPOINT_SERVICES:
        importlib.import_module(f"moto.{server.moto_service(service)}.urls")  # its responses and models too
    importlib.import_module("moto.moto_server.werkzeug_app")


def fork_emulator(patch: str, log_path: str) -> tuple[int, int]:
    listener = listening_socket(0)
    port = listener.getsockname()[1]
    pid = os.fork()
    if pid == 0:  # the emulator: never returns
        code = 70
        try:
            os.setsid()
            _stop_with_parent()
            # moto's random source was seeded here, once: each fork gets its own ids, as a fresh server would.
            from moto.moto_api._internal import mock_random

            mock_random.seed()
            log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(log, 1)
            os.dup2(log, 2)
            os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
            code = server.main(["--host", HOST, "--port", str(port), "--fd", str(listener.fileno()),
                                "--no-warm", "--disable-patch", patch])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    listener.close()  # the fork holds its own copy
    return pid, port


def _stop_with_parent() -> None:
    """A fork gets SIGTERM when this process dies, however it dies (Linux's PR_SET_PDEATHSIG), so no
    emulator outlives the session."""
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # 1: PR_SET_PDEATHSIG


def stop_all(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE
    waiting = set(pids)
    while waiting:
        for pid in list(waiting):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done:
                waiting.discard(pid)
        if waiting and time.monotonic() > deadline:
            for pid in waiting:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            deadline = float("inf")
        time.sleep(0.05)


def main() -> int:
    preload()
    print("ready", flush=True)
    forks: list[int] = []
    try:
        for line in sys.stdin:
            patch, log_path = line.rstrip("\n").split(" ", 1)
            pid, port = fork_emulator(patch, log_path)
            forks.append(pid)
            print(pid, port, flush=True)
    finally:
        stop_all(forks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
