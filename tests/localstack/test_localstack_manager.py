"""LocalStack's process management: start on a free port, health, stop its process group, clear failures.

The failure tests use a stand-in virtualenv whose `python` is a shell script, so they run everywhere;
the lifecycle test starts the real LocalStack from .venv-tools/localstack (skipped when the lane is
not selected or LocalStack is not installed).
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from pathlib import Path

import pytest

from infra.emulator import localstack

pytestmark = [pytest.mark.localstack]


def _gone(pid: int, wait: float = 60.0) -> bool:
    """True once `pid` is gone (or a zombie); the wait is a ceiling only a process that outlives its
    kill reaches, not a deadline a loaded machine could miss."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:
            if Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z":
                return True  # a zombie waiting for its reaper: gone for our purposes
        except OSError:
            return True
        time.sleep(0.05)
    return False


def fake_venv(root: Path, script: str) -> Path:
    """A virtualenv lookalike whose `python` runs `script` (sh) instead of LocalStack."""
    venv = root / "venv"
    (venv / "lib/python3.11/site-packages/localstack/runtime").mkdir(parents=True)
    (venv / "lib/python3.11/site-packages/localstack/runtime/main.py").write_text("")
    (venv / "bin").mkdir()
    python = venv / "bin" / "python"
    python.write_text("#!/bin/sh\n" + script)
    python.chmod(0o755)
    return venv


def test_a_missing_virtualenv_tells_how_to_install_it(tmp_path):
    with pytest.raises(localstack.LocalStackError, match=r"not installed in .*make test-localstack"):
        localstack.start(state_dir=tmp_path / "state", venv=tmp_path / "nowhere")
    assert not (tmp_path / "state" / localstack.STATE_FILE).exists()


def test_a_localstack_that_dies_is_reported_with_its_log_and_its_children_are_killed(tmp_path):
    child = tmp_path / "child.pid"
    venv = fake_venv(tmp_path, f'sleep 300 &\necho $! > {child}\necho "boom: no such plugin"\nexit 3\n')
    state = tmp_path / "state"
    with pytest.raises(localstack.LocalStackError) as failed:
        localstack.start(state_dir=state, venv=venv, timeout=10)
    message = str(failed.value)
    assert "exited with code 3" in message
    assert str(state / localstack.LOG_FILE) in message
    assert "boom: no such plugin" in message
    assert _gone(int(child.read_text())), "the process group outlived the failed start"
    assert not (state / localstack.STATE_FILE).exists()


@pytest.mark.timeout(300)  # a hang's ceiling: the stand-in never exits by itself, so only the kill ends it
def test_a_localstack_that_never_answers_is_killed_after_the_timeout(tmp_path):
    pid_file = tmp_path / "pid"
    venv = fake_venv(tmp_path, f'echo $$ > {pid_file}\necho "waiting for nothing"\nexec sleep infinity\n')
    with pytest.raises(localstack.LocalStackError, match=r"did not answer /_localstack/health .* within 1s") as failed:
        localstack.start(state_dir=tmp_path / "state", venv=venv, timeout=1)
    assert "waiting for nothing" in str(failed.value)
    assert _gone(int(pid_file.read_text()))


def test_the_environment_puts_it_in_host_mode_with_its_files_under_the_state_dir(tmp_path):
    env_file = tmp_path / "env.json"
    venv = fake_venv(tmp_path, f'"{sys.executable}" -c "import json,os; json.dump(dict(os.environ), '
                               f'open(\'{env_file}\', \'w\'))"\nexit 1\n')
    state = tmp_path / "state"
    with pytest.raises(localstack.LocalStackError):
        localstack.start(state_dir=state, venv=venv, timeout=10)
    env = json.loads(env_file.read_text())
    assert env["OVERRIDE_IN_DOCKER"] == "0"
    assert env["FILESYSTEM_ROOT"] == str((state / localstack.FILESYSTEM_DIR).resolve())
    assert env["GATEWAY_LISTEN"].startswith("127.0.0.1:")
    assert not any(key.startswith("AWS_") for key in env), "the caller's AWS settings must not reach it"


def test_start_status_stop_lifecycle(tmp_path, localstack_venv, monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "must-not-leak")
    state = tmp_path / "state"
    info = localstack.start(state_dir=state)  # raises when it does not answer within START_TIMEOUT
    try:
        assert localstack.status(state) == info
        recorded = json.loads((state / localstack.STATE_FILE).read_text())
        assert recorded["endpoint"] == info.endpoint == f"http://127.0.0.1:{info.port}"
        assert recorded["filesystem_root"] == str(info.filesystem_root)
        assert info.filesystem_root.is_relative_to(state.resolve())
        services = localstack.served_services(info.endpoint)
        assert services and {"s3", "kms", "iam", "sts"} <= set(services)
        with pytest.raises(localstack.LocalStackError, match="already running"):
            localstack.start(state_dir=state)
    finally:
        assert localstack.stop(state) is True
    assert _gone(info.pid)
    assert localstack.status(state) is None
    assert localstack.stop(state) is False  # idempotent
    with socket.create_server(("127.0.0.1", info.port)):  # the port is free again
        pass
