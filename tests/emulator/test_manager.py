"""The emulator's process management: start, status, stop, reset, and the server's CLI."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core.project import REPO_ROOT
from infra.emulator import (
    PATCH_NAMES,
    EmulatorError,
    free_port,
    reset,
    running,
    start,
    status,
    stop,
)
from infra.emulator.manager import STATE_FILE

pytestmark = pytest.mark.emulator

# The servers here start with warm=False (some 2 CPU-s less each) but in the warm-up's own test:
# what they test is the manager and the server's options, not a burst of first calls.

def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_start_status_stop_lifecycle(tmp_path: Path, client_for: Callable[[str, str], Any]) -> None:
    info = start(state_dir=tmp_path, warm=False)
    try:
        assert status(tmp_path) == info
        state = json.loads((tmp_path / STATE_FILE).read_text())
        assert state["pid"] == info.pid
        assert state["port"] == info.port
        assert state["endpoint"] == info.endpoint == f"http://127.0.0.1:{info.port}"
        assert state["started_at"]
        assert Path(state["log"]) == info.log_path
        assert client_for(info.endpoint, "sts").get_caller_identity()["Account"] == "123456789012"
    finally:
        assert stop(tmp_path) is True
    assert status(tmp_path) is None
    assert not (tmp_path / STATE_FILE).exists()
    assert _gone(info.pid)
    with socket.create_server(("127.0.0.1", info.port)):  # the port is free again
        pass


def test_stop_is_idempotent(tmp_path: Path) -> None:
    assert stop(tmp_path) is False
    start(state_dir=tmp_path, warm=False)
    assert stop(tmp_path) is True
    assert stop(tmp_path) is False


def test_stale_state_file_is_ignored_and_removed(tmp_path: Path) -> None:
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    state = {"pid": finished.pid, "port": 1, "endpoint": "http://127.0.0.1:1", "started_at": "x", "log": "x"}
    (tmp_path / STATE_FILE).write_text(json.dumps(state))
    assert status(tmp_path) is None
    assert not (tmp_path / STATE_FILE).exists()
    (tmp_path / STATE_FILE).write_text("{not json")
    assert stop(tmp_path) is False
    assert not (tmp_path / STATE_FILE).exists()


def test_state_file_naming_an_unrelated_process_is_stale(tmp_path: Path) -> None:
    state = {"pid": os.getpid(), "port": 1, "endpoint": "http://127.0.0.1:1", "started_at": "x", "log": "x"}
    (tmp_path / STATE_FILE).write_text(json.dumps(state))
    assert stop(tmp_path) is False  # and, above all, this test process is still alive


def test_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        with pytest.raises(EmulatorError, match=f"port {port} is already in use"):
            start(port=port, state_dir=tmp_path)
    assert not (tmp_path / STATE_FILE).exists()


def test_given_port_is_used(tmp_path: Path) -> None:
    port = free_port()
    with running(port=port, state_dir=tmp_path, warm=False) as info:
        assert info.port == port


def test_second_start_in_same_state_dir_is_refused(tmp_path: Path) -> None:
    with running(state_dir=tmp_path, warm=False) as info:
        with pytest.raises(EmulatorError, match="already running"):
            start(state_dir=tmp_path, warm=False)
        assert status(tmp_path) == info


def test_server_that_cannot_start_raises_with_log_tail(tmp_path: Path) -> None:
    with pytest.raises(
        EmulatorError, match=r"exited with code 2(.|\n)*unknown emulator patch\(es\): no_such_patch"
    ):
        start(state_dir=tmp_path, disabled_patches=["no_such_patch"])
    assert not (tmp_path / STATE_FILE).exists()


def test_running_stops_even_when_the_block_raises(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="boom"), running(state_dir=tmp_path, warm=False) as info:
        raise RuntimeError("boom")
    assert _gone(info.pid)
    assert not (tmp_path / STATE_FILE).exists()


def test_reset_wipes_all_resources(tmp_path: Path, client_for: Callable[[str, str], Any]) -> None:
    with running(state_dir=tmp_path, warm=False) as info:
        s3 = client_for(info.endpoint, "s3")
        s3.create_bucket(Bucket="before-reset")
        reset(info.endpoint)
        assert s3.list_buckets()["Buckets"] == []
    with pytest.raises(EmulatorError, match="could not reset the emulator"):
        reset(info.endpoint, timeout=5)


def test_disabled_patches_come_from_cli_and_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INFRA_EMULATOR_DISABLE_PATCHES", "appconfig_list_operations")
    with running(state_dir=tmp_path, disabled_patches=["ecs_service_settings"], warm=False) as info:
        log = info.log_path.read_text()
    assert "patches disabled: appconfig_list_operations, ecs_service_settings\n" in log
    assert "appconfig_list_operations," not in log.split("patches applied:")[1].splitlines()[0]


def test_server_lists_patches_and_rejects_unknown_names() -> None:
    server = [sys.executable, "-m", "infra.emulator.server", "--port", str(free_port())]
    listed = subprocess.run(
        [*server, "--list-patches"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=30
    )
    assert listed.stdout.split() == list(PATCH_NAMES)
    unknown = subprocess.run(
        [*server, "--disable-patch", "nope"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=30
    )
    assert unknown.returncode == 2
    assert "unknown emulator patch(es): nope" in unknown.stderr


def test_strict_mode_is_on_unless_switched_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    strict = [name for name in PATCH_NAMES if name.startswith("strict_")]
    assert strict, "no strict patches"
    with running(state_dir=tmp_path / "default", warm=False) as info:
        applied = info.log_path.read_text().split("patches applied:")[1].splitlines()[0]
    assert all(name in applied for name in strict)
    monkeypatch.setenv("INFRA_EMULATOR_STRICT", "0")
    with running(state_dir=tmp_path / "lenient", warm=False) as info:
        disabled = info.log_path.read_text().split("patches disabled:")[1].splitlines()[0]
    assert disabled.strip() == ", ".join(strict)
    monkeypatch.setenv("INFRA_EMULATOR_STRICT", "maybe")
    refused = subprocess.run([sys.executable, "-m", "infra.emulator.server", "--port", str(free_port())],
                             cwd=REPO_ROOT, capture_output=True, text=True, timeout=30)
    assert refused.returncode == 2 and "INFRA_EMULATOR_STRICT must be 1" in refused.stderr


def test_the_server_warms_every_service_the_roots_point_at_it_before_it_answers(tmp_path: Path) -> None:
    """A Terraform apply opens with a burst of first calls; moto builds each service lazily under
    one lock, and under load that stalled the server long enough for the provider to retry a
    CreateRole that had already succeeded (EntityAlreadyExists). Start-up builds them instead."""
    from infra.workspace import ENDPOINT_SERVICES

    with running(state_dir=tmp_path) as info:
        log = info.log_path.read_text()
    (line,) = [ln for ln in log.splitlines() if ln.startswith("services warmed: ")]
    assert line.removeprefix("services warmed: ").split(", ") == list(ENDPOINT_SERVICES)
    # Warming happens before the server serves (it says so before its first answer, so the line is in the
    # log when start() returns; a request's own log line may come a moment after its answer).
    assert log.index("services warmed: ") < log.index(f"serving on {info.endpoint}")
