"""A server run as a background process and found again through a JSON state file: what the moto
emulator (manager.py) and LocalStack (localstack.py) share.

A running server is described by ``<state_dir>/<state_file>`` ({pid, port, endpoint, started_at, log,
and what the kind adds}) so that a later command can find and stop it. It runs as the leader of its
own process group, so a stop (or a failed start) ends whatever it spawned too, and a pid reused by an
unrelated process is never signalled: the command line must still name the server.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

HOST = "127.0.0.1"

# The servers are always on loopback: never send their traffic through an HTTP(S)_PROXY.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class ServerError(RuntimeError):
    """Something the user can fix: port in use, server would not start, ..."""


@dataclass(frozen=True)
class ServerInfo:
    endpoint: str
    port: int
    pid: int
    log_path: Path
    filesystem_root: Path | None = None  # LocalStack's files; the moto emulator keeps all in memory


@dataclass(frozen=True)
class Launch:
    """How to run one server: its command, environment and working directory, and what its state
    file records besides the common fields."""

    argv: list[str]
    env: dict[str, str]
    cwd: Path
    extra_state: dict[str, str] = field(default_factory=dict)
    pass_fds: tuple[int, ...] = ()  # descriptors the server inherits (the listening socket it serves on)


def free_port(host: str = HOST) -> int:
    """A TCP port on ``host`` that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def listening_socket(port: int, host: str = HOST) -> socket.socket:
    """A socket bound to ``port`` (0: any free one) and listening, for a server to inherit: the port is
    held from the moment it is chosen, so no other process can take it, and no other server on it can
    answer our readiness check in our server's place."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def port_in_use(port: int, host: str = HOST) -> bool:
    """True when something listens on ``port`` (connections lingering in TIME_WAIT do not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # The servers bind with SO_REUSEADDR too, so only a live listener blocks them.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def get_ok(url: str, timeout: float) -> bytes | None:
    """The body of a 2xx answer to GET ``url``, or None for no answer or another status."""
    try:
        with OPENER.open(url, timeout=timeout) as resp:
            return resp.read() if 200 <= resp.status < 300 else None
    except (OSError, urllib.error.URLError):
        return None


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


def tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:]) or "(log is empty)"


def kill_group(pid: int, grace: float) -> None:
    """SIGTERM the process group led by ``pid``; SIGKILL it if still there after ``grace`` s."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not group_alive(pid):
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    while group_alive(pid) and time.monotonic() < deadline + grace:
        time.sleep(0.05)


def group_alive(pgid: int) -> bool:
    """Any process of the group still runs (the leader may be gone while a child it spawned runs on).
    Zombies do not count: a child orphaned by the leader waits for PID 1, not for us, to be reaped."""
    pid_alive(pgid)  # reaps the leader if it is our zombie child
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    proc = Path("/proc")
    if not proc.is_dir():
        return True
    for entry in proc.iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if fields[0] != "Z" and fields[2] == str(pgid):  # state, ppid, pgrp
                return True
    # The leader may have exited between the first reap and the scan, which skips it as a zombie: reap
    # it now, or the caller returns with the pid still taken (a flake found on a loaded machine).
    pid_alive(pgid)
    return False


class BackgroundServer:
    """One kind of server. A kind names its files and the marker of its command line, says how it is
    launched (`launch`) and how it shows it is ready (`answers`); start, status and stop are shared."""

    name = "server"  # in messages
    state_file = "server.json"
    log_file = "server.log"
    cmdline_marker = b""  # in /proc/<pid>/cmdline of a live server of this kind
    ready_path = "/"  # what `answers` asks, for the messages
    start_timeout = 30.0
    stop_grace = 5.0
    error: type[ServerError] = ServerError
    # The server can serve on a socket it inherits (`launch` gets its descriptor as `fd`): start() binds
    # it first. Otherwise the server binds the port itself, after start() found it free.
    inherits_socket = False

    def answers(self, endpoint: str, timeout: float = 2.0) -> bool:
        return get_ok(f"{endpoint.rstrip('/')}{self.ready_path}", timeout) is not None

    def launch(self, port: int, state_dir: Path, **options) -> Launch:
        raise NotImplementedError

    # --- the state file

    def _state_path(self, state_dir: Path) -> Path:
        return Path(state_dir) / self.state_file

    def _read_state(self, state_dir: Path) -> dict | None:
        try:
            return json.loads(self._state_path(state_dir).read_text())
        except (OSError, ValueError):
            return None

    @staticmethod
    def _info(state: dict) -> ServerInfo:
        fs_root = state.get("filesystem_root")
        return ServerInfo(endpoint=state["endpoint"], port=int(state["port"]), pid=int(state["pid"]),
                          log_path=Path(state["log"]), filesystem_root=Path(fs_root) if fs_root else None)

    def is_ours(self, pid: int) -> bool:
        """``pid`` is alive, leads its own process group and runs this kind of server."""
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
        return self.cmdline_marker in cmdline

    # --- the lifecycle

    def status(self, state_dir: Path) -> ServerInfo | None:
        """The server recorded in ``state_dir`` if its process lives and it answers.

        A state file whose process is gone (or is not this server any more) is stale: it is removed and
        ``None`` is returned. A live server that does not answer also gives ``None``, but keeps its state
        file so that ``stop`` can end it.
        """
        state = self._read_state(state_dir)
        if state is None:
            return None
        try:
            info = self._info(state)
        except (KeyError, TypeError, ValueError):
            self._state_path(state_dir).unlink(missing_ok=True)
            return None
        if not self.is_ours(info.pid):
            self._state_path(state_dir).unlink(missing_ok=True)
            return None
        return info if self.answers(info.endpoint) else None

    def start(self, *, state_dir: Path, port: int | None = None, timeout: float | None = None,
              **options) -> ServerInfo:
        """Spawn the server in the background and wait until it answers.

        ``port=None`` picks a free loopback port. Raises ``self.error`` when one recorded in ``state_dir``
        already runs, the port is taken, or the server dies or stays silent for ``timeout`` seconds (its
        process group is killed then); the message quotes the end of its log.
        """
        state_dir = Path(state_dir)
        timeout = self.start_timeout if timeout is None else timeout
        if self.status(state_dir) is not None or self._state_path(state_dir).exists():
            # status() removed a stale file; what is left belongs to a live server.
            state = self._read_state(state_dir) or {}
            raise self.error(f"{self.name} is already running at {state.get('endpoint')} "
                             f"(pid {state.get('pid')}); stop it first")
        in_use = f"port {port} is already in use on {HOST}; choose another port or stop what uses it"
        listener = None
        if self.inherits_socket:
            try:
                listener = listening_socket(port or 0)
            except OSError:
                raise self.error(in_use) from None
            port = listener.getsockname()[1]
            options["fd"] = listener.fileno()
        elif port is None:
            port = free_port()
        elif port_in_use(port):
            raise self.error(in_use)

        try:
            state_dir.mkdir(parents=True, exist_ok=True)
            log_path = (state_dir / self.log_file).resolve()
            endpoint = f"http://{HOST}:{port}"
            launch = self.launch(port, state_dir, **options)
            with open(log_path, "wb") as log:
                proc = subprocess.Popen(launch.argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                        env=launch.env, cwd=str(launch.cwd), start_new_session=True,
                                        pass_fds=launch.pass_fds)
        finally:
            if listener is not None:
                listener.close()  # the server holds its own copy
        try:
            self._wait_ready(proc, endpoint, log_path, timeout)
        except BaseException:
            kill_group(proc.pid, self.stop_grace)  # whatever it started goes too, even when it failed
            raise
        state = {"pid": proc.pid, "port": port, "endpoint": endpoint,
                 "started_at": datetime.now(UTC).isoformat(timespec="seconds"), "log": str(log_path),
                 **launch.extra_state}
        self._state_path(state_dir).write_text(json.dumps(state, indent=2) + "\n")
        return self._info(state)

    def _wait_ready(self, proc: subprocess.Popen, endpoint: str, log_path: Path, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not self.answers(endpoint, timeout=1.0):
            if proc.poll() is not None:
                raise self.error(f"{self.name} exited with code {proc.returncode} before answering on {endpoint}; "
                                 f"last lines of {log_path}:\n{tail(log_path)}")
            if time.monotonic() > deadline:
                raise self.error(f"{self.name} did not answer {self.ready_path} on {endpoint} within {timeout:.0f}s; "
                                 f"last lines of {log_path}:\n{tail(log_path)}")
            time.sleep(0.1)

    def stop(self, state_dir: Path) -> bool:
        """Stop the server recorded in ``state_dir`` (its whole process group); True if one was running.

        Idempotent: no state file, or a stale one, is not an error.
        """
        if not self._state_path(state_dir).exists():
            return False
        state = self._read_state(state_dir) or {}
        was_running = False
        with contextlib.suppress(KeyError, TypeError, ValueError):
            pid = int(state["pid"])
            if self.is_ours(pid):
                was_running = True
                kill_group(pid, self.stop_grace)
        self._state_path(state_dir).unlink(missing_ok=True)
        return was_running

    @contextlib.contextmanager
    def running(self, *, state_dir: Path, port: int | None = None, timeout: float | None = None,
                **options) -> Iterator[ServerInfo]:
        """Run the server for the duration of a ``with`` block; always stops it."""
        info = self.start(port=port, state_dir=state_dir, timeout=timeout, **options)
        try:
            yield info
        finally:
            self.stop(state_dir)
