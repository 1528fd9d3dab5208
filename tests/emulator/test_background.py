"""The background-server base (infra/emulator/background.py) with a server that misbehaves on purpose."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import threading
import time
from pathlib import Path

import pytest

from infra.emulator.background import BackgroundServer, Launch, ServerError, free_port


def _gone(pid: int) -> bool:
    """No such process, or a zombie waiting for its new parent (here PID 1) to reap it: it runs no more."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


class _Stubborn(BackgroundServer):
    """Starts a child that ignores SIGTERM, then exits before it ever answers."""

    name = "the stubborn server"
    stop_grace = 0.5

    def launch(self, port: int, state_dir: Path, child_file: Path) -> Launch:
        script = f'trap "" TERM; sleep 300 & echo $! > {child_file}; echo "giving up"; exit 3'
        return Launch(["sh", "-c", script], dict(os.environ), state_dir)


def test_a_failed_start_kills_even_a_child_that_ignores_sigterm(tmp_path):
    child_file = tmp_path / "child.pid"
    with pytest.raises(ServerError, match=r"the stubborn server exited with code 3(.|\n)*giving up"):
        _Stubborn().start(state_dir=tmp_path / "state", timeout=30, child_file=child_file)
    child = int(child_file.read_text())
    # kill_group waits for the whole group (not only its leader), then SIGKILLs what is left.
    assert _gone(child), "the SIGTERM-proof child outlived the failed start"
    assert not (tmp_path / "state" / _Stubborn.state_file).exists()


def test_start_needs_a_state_dir():
    with pytest.raises(TypeError):
        _Stubborn().start(timeout=1)  # type: ignore[call-arg]




class _Holder(BackgroundServer):
    """Inherits its listening socket, says so in a file, and never answers."""

    name = "the holding server"
    stop_grace = 0.5
    inherits_socket = True

    def launch(self, port: int, state_dir: Path, fd: int, started: Path) -> Launch:
        code = "import pathlib, sys, time; pathlib.Path(sys.argv[1]).touch(); time.sleep(300)"
        return Launch([sys.executable, "-c", code, str(started)], dict(os.environ), state_dir, pass_fds=(fd,))


def test_the_port_is_held_from_the_moment_it_is_chosen(tmp_path):
    """No other process can take the port while the server starts, so no other server on it can answer
    the readiness check in our server's place (a race two test lanes starting emulators could lose)."""
    started = tmp_path / "started"
    port = free_port()
    failure: list[BaseException] = []

    def start() -> None:
        try:
            _Holder().start(state_dir=tmp_path / "state", port=port, timeout=60, started=started)
        except ServerError as exc:
            failure.append(exc)

    thread = threading.Thread(target=start)
    thread.start()
    try:
        while not started.exists() and thread.is_alive():  # a condition, not a deadline
            time.sleep(0.05)
        assert started.exists(), failure
        with socket.socket() as other, pytest.raises(OSError):
            other.bind(("127.0.0.1", port))
    finally:
        # End the server so that start() gives up (the test does not wait for its timeout).
        for line in Path("/proc").glob("[0-9]*/cmdline"):
            with contextlib.suppress(OSError):
                if str(started).encode() in line.read_bytes():
                    os.kill(int(line.parent.name), signal.SIGKILL)
        thread.join()
    assert failure and "exited" in str(failure[0])


def test_a_leader_that_exits_while_its_group_is_scanned_is_reaped(monkeypatch):
    """The flake behind a failed `stop` test on a loaded machine: the leader exited after group_alive's
    first reap and before its /proc scan, which skips zombies; the group counted as gone while the
    leader's pid stayed taken. Here the first reap comes too early on purpose (the child still runs)."""
    import subprocess

    from infra.emulator import background

    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE,
                             start_new_session=True)
    real_pid_alive = background.pid_alive
    calls = []

    def first_reap_before_the_exit(pid):
        calls.append(pid)
        alive = real_pid_alive(pid)
        if len(calls) == 1:  # the child exits now, between the first reap and the scan
            child.stdin.close()
            while Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                time.sleep(0.01)
        return alive

    monkeypatch.setattr(background, "pid_alive", first_reap_before_the_exit)
    assert background.group_alive(child.pid) is False
    assert not Path(f"/proc/{child.pid}").exists(), "the leader is still an unreaped zombie"
    child.returncode = 0  # reaped by group_alive, not by Popen
