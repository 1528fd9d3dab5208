"""The real-AWS lane's wiring (tests/aws_lane.py, `make test-aws`), without an AWS account: no
credentials end it at once with one line; against the emulator (--aws-endpoint) it checks the
credentials, selects the live suite for the asked envs and passes on pytest's arguments."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from core.errors import InputError
from core.project import REPO_ROOT, Project
from infra.terraform import Terraform
from infra.toolchain import load_toolchain
from infra.workspace import OVERRIDE_NAME, prepare

LANE = [sys.executable, str(REPO_ROOT / "tests" / "aws_lane.py")]
NO_CREDENTIALS = {  # nothing boto3 could find: no keys, no profile files, no instance metadata
    "PATH": os.environ["PATH"], "HOME": "/nonexistent", "AWS_CONFIG_FILE": "/nonexistent",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "AWS_EC2_METADATA_DISABLED": "true",
}


def lane(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*LANE, *args], cwd=REPO_ROOT, env=env or {**os.environ, **NO_CREDENTIALS},
                          capture_output=True, text=True, timeout=300)


def test_without_credentials_the_lane_ends_at_once_with_one_line():
    proc = lane(env=NO_CREDENTIALS)
    assert proc.returncode == 2
    assert proc.stdout == ""  # pytest never started: nothing was applied
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("make test-aws: no AWS credentials in the environment") and "nothing was created" in line


def test_an_unknown_env_is_refused_before_anything_else():
    proc = lane("--envs", "dev,qa")
    assert proc.returncode == 2 and "unknown env 'qa'" in proc.stderr and proc.stdout == ""


@pytest.mark.emulator
def test_against_the_emulator_it_selects_the_live_suite_of_the_asked_envs(emulator):
    proc = lane("--aws-endpoint", emulator, "--envs", "prod", "--", "--collect-only", "-q",
                env={**os.environ, "INFRA_TEST_ENVS": ""})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"make test-aws: account 123456789012 on {emulator}; envs prod" in proc.stdout
    collected = [line for line in proc.stdout.splitlines() if "test_env_live.py::" in line]
    assert collected and all(line.endswith("[prod]") for line in collected), collected


def test_a_root_for_aws_itself_has_no_emulator_in_it(tmp_path, monkeypatch):
    """No endpoints, no fake credentials; and the operator's inputs must all be given first."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, f"real-{name.lower()}")
    project = Project(terraform_dir=REPO_ROOT / "terraform", state_dir=tmp_path)
    ws = prepare(project, "dev", None, label="aws")
    override = (ws.dir / OVERRIDE_NAME).read_text()
    assert 'backend "local"' in override and "provider" not in override and "endpoints" not in override
    env = Terraform(load_toolchain(project.state_dir), ws).env
    assert env["AWS_ACCESS_KEY_ID"] == "real-aws_access_key_id"  # the caller's, not the emulator's "test"
    with pytest.raises(InputError, match="prod: operator inputs missing: alarm_email"):
        prepare(project, "prod", None, label="aws")
