"""Start, find, reset and stop the emulator server as a background process.

The CLI (``infra emulator start|stop|status``) and the pytest fixtures are thin
layers over these functions.  A running emulator is described by a JSON state
file ``<state_dir>/emulator.json`` ({pid, port, endpoint, started_at, log}) so
that a later command can find and stop it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from core.project import REPO_ROOT

HOST = "127.0.0.1"
STATE_FILE = "emulator.json"
LOG_FILE = "emulator.log"
START_TIMEOUT = 30.0
STOP_GRACE = 5.0
DEFAULT_STATE_DIR = REPO_ROOT / ".infra"


class EmulatorError(RuntimeError):
    """Something the user can fix: port in use, server would not start, ..."""


@dataclass(frozen=True)
class EmulatorInfo:
    endpoint: str
    port: int
    pid: int
    log_path: Path


def free_port(host: str = HOST) -> int:
    """A TCP port on ``host`` that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def port_in_use(port: int, host: str = HOST) -> bool:
    """True when something listens on ``port`` (connections lingering in TIME_WAIT do not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # The server binds with SO_REUSEADDR too, so only a live listener blocks it.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


# The emulator is always on loopback: never send its traffic through an HTTP(S)_PROXY.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def answers(endpoint: str, timeout: float = 2.0) -> bool:
    """True when moto's own API answers on ``endpoint``."""
    try:
        with _OPENER.open(f"{endpoint}/moto-api/config", timeout=timeout) as resp:
            return 200 <= resp.status < 300
    except (OSError, urllib.error.URLError):
        return False


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child still "exists" until reaped; treat it as gone.
    with contextlib.suppress(ChildProcessError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    return True


def _tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:]) or "(log is empty)"


def _state_path(state_dir: Path) -> Path:
    return Path(state_dir) / STATE_FILE


def _read_state(state_dir: Path) -> dict | None:
    try:
        return json.loads(_state_path(state_dir).read_text())
    except (OSError, ValueError):
        return None


def _info(state: dict) -> EmulatorInfo:
    return EmulatorInfo(
        endpoint=state["endpoint"],
        port=int(state["port"]),
        pid=int(state["pid"]),
        log_path=Path(state["log"]),
    )


def status(state_dir: Path = DEFAULT_STATE_DIR) -> EmulatorInfo | None:
    """The emulator recorded in ``state_dir`` if its process lives and it answers.

    A state file whose process is gone (or is not our server any more) is
    stale: it is removed and ``None`` is returned.  A live server that does not
    answer also gives ``None``, but keeps its state file so ``stop`` can end it.
    """
    state = _read_state(state_dir)
    if state is None:
        return None
    try:
        info = _info(state)
    except (KeyError, TypeError, ValueError):
        _state_path(state_dir).unlink(missing_ok=True)
        return None
    if not _is_our_server(info.pid):
        _state_path(state_dir).unlink(missing_ok=True)
        return None
    return info if answers(info.endpoint) else None


def start(
    port: int | None = None,
    state_dir: Path = DEFAULT_STATE_DIR,
    disabled_patches: Iterable[str] = (),
    timeout: float = START_TIMEOUT,
) -> EmulatorInfo:
    """Spawn the patched moto server in the background and wait until it answers.

    ``port=None`` picks a free loopback port.  Raises ``EmulatorError`` when an
    emulator recorded in ``state_dir`` already runs, the port is taken, or the
    server dies or stays silent for ``timeout`` seconds.
    """
    state_dir = Path(state_dir)
    if status(state_dir) is not None or _state_path(state_dir).exists():
        # status() removed a stale file; what is left belongs to a live server.
        state = _read_state(state_dir) or {}
        raise EmulatorError(
            f"an emulator is already running at {state.get('endpoint')} (pid {state.get('pid')}); "
            "stop it first"
        )
    if port is None:
        port = free_port()
    elif port_in_use(port):
        raise EmulatorError(
            f"port {port} is already in use on {HOST}; choose another port or stop what uses it"
        )

    state_dir.mkdir(parents=True, exist_ok=True)
    log_path = (state_dir / LOG_FILE).resolve()
    endpoint = f"http://{HOST}:{port}"
    cmd = [sys.executable, "-m", "infra.emulator.server", "--host", HOST, "--port", str(port)]
    for name in disabled_patches:
        cmd += ["--disable-patch", name]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"

    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=str(REPO_ROOT),
            start_new_session=True,
        )

    deadline = time.monotonic() + timeout
    while not answers(endpoint, timeout=1.0):
        if proc.poll() is not None:
            raise EmulatorError(
                f"emulator exited with code {proc.returncode} before answering on {endpoint}; "
                f"last lines of {log_path}:\n{_tail(log_path)}"
            )
        if time.monotonic() > deadline:
            _kill_group(proc.pid)
            raise EmulatorError(
                f"emulator did not answer on {endpoint} within {timeout:.0f}s; "
                f"last lines of {log_path}:\n{_tail(log_path)}"
            )
        time.sleep(0.1)

    state = {
        "pid": proc.pid,
        "port": port,
        "endpoint": endpoint,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "log": str(log_path),
    }
    _state_path(state_dir).write_text(json.dumps(state, indent=2) + "\n")
    return _info(state)


def _kill_group(pid: int, grace: float = STOP_GRACE) -> None:
    """SIGTERM the process group led by ``pid``; SIGKILL it if still there after ``grace`` s."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    while pid_alive(pid) and time.monotonic() < deadline + grace:
        time.sleep(0.05)


def stop(state_dir: Path = DEFAULT_STATE_DIR) -> bool:
    """Stop the emulator recorded in ``state_dir``; True if one was running.

    Idempotent: no state file, or a stale one, is not an error.
    """
    if not _state_path(state_dir).exists():
        return False
    state = _read_state(state_dir) or {}
    was_running = False
    with contextlib.suppress(KeyError, TypeError, ValueError):
        pid = int(state["pid"])
        if _is_our_server(pid):
            was_running = True
            _kill_group(pid)
    _state_path(state_dir).unlink(missing_ok=True)
    return was_running


def _is_our_server(pid: int) -> bool:
    """``pid`` is alive, leads its own process group and runs the emulator server.

    Guards against signalling an unrelated process that reused a stale pid.
    """
    if not pid_alive(pid):
        return False
    try:
        if os.getpgid(pid) != pid:  # start() spawns the server as a session leader
            return False
    except ProcessLookupError:
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc (not Linux): the process-group check has to do
    return b"infra.emulator.server" in cmdline


def reset(endpoint: str, timeout: float = 10.0) -> None:
    """Wipe every resource in the emulator (moto's ``POST /moto-api/reset``)."""
    req = urllib.request.Request(f"{endpoint}/moto-api/reset", data=b"", method="POST")
    try:
        with _OPENER.open(req, timeout=timeout) as resp:
            resp.read()
    except (OSError, urllib.error.URLError) as exc:
        raise EmulatorError(f"could not reset the emulator at {endpoint}: {exc}") from exc


@contextlib.contextmanager
def running(
    port: int | None = None,
    state_dir: Path = DEFAULT_STATE_DIR,
    disabled_patches: Iterable[str] = (),
    timeout: float = START_TIMEOUT,
) -> Iterator[EmulatorInfo]:
    """Run an emulator for the duration of a ``with`` block; always stops it."""
    info = start(port=port, state_dir=state_dir, disabled_patches=disabled_patches, timeout=timeout)
    try:
        yield info
    finally:
        stop(state_dir)


class Emulator:
    """Object form of the functions above, bound to one state directory."""

    def __init__(self, state_dir: Path = DEFAULT_STATE_DIR) -> None:
        self.state_dir = Path(state_dir)

    def start(self, port: int | None = None, disabled_patches: Iterable[str] = ()) -> EmulatorInfo:
        return start(port=port, state_dir=self.state_dir, disabled_patches=disabled_patches)

    def stop(self) -> bool:
        return stop(self.state_dir)

    def status(self) -> EmulatorInfo | None:
        return status(self.state_dir)

    def reset(self) -> None:
        info = self.status()
        if info is None:
            raise EmulatorError(f"no emulator is running for {self.state_dir}")
        reset(info.endpoint)
