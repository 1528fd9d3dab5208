"""The background-server base (infra/emulator/background.py) with a server that misbehaves on purpose."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from infra.emulator.background import BackgroundServer, Launch, ServerError


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


