"""`infra up`, `down` and `verify`: what a user gets wrong is one line and exit 2, and nothing runs.

The full up -> verify -> drift -> up -> down cycle runs on a real apply in
tests/integration/test_env_live.py; these are the cheap refusals and the no-op cases.
"""

from __future__ import annotations

import pytest
from cli_run import assert_one_line_error, closed_port, infra  # tests/cli_run.py
from terraform_tree import copy_terraform  # tests/terraform_tree.py


@pytest.mark.parametrize("command", ["up", "down", "verify"])
def test_a_wrong_env_is_refused(command, tmp_path):
    proc = infra(command, "--env", "qa", env={"INFRA_STATE_DIR": str(tmp_path)})
    assert_one_line_error(proc, "unknown environment 'qa'")
    assert not (tmp_path / "work").exists(), "nothing was prepared for a refused command"


@pytest.mark.parametrize("command", ["up", "down", "verify"])
def test_an_unreachable_endpoint_is_refused(command, tmp_path):
    url = f"http://127.0.0.1:{closed_port()}"
    assert_one_line_error(infra(command, "--env", "dev", "--aws-endpoint", url, env={"INFRA_STATE_DIR": str(tmp_path)}),
                          "unreachable")


@pytest.mark.parametrize("command", ["down", "verify"])
def test_without_an_emulator_there_is_nothing_up(command, tmp_path):
    proc = infra(command, "--env", "dev", env={"INFRA_STATE_DIR": str(tmp_path), "INFRA_AWS_ENDPOINT": ""})
    assert_one_line_error(proc, "no emulator is running")


def test_a_malformed_tfvars_is_refused_before_terraform_runs(tmp_path):
    tree = tmp_path / "terraform"
    copy_terraform(tree)
    (tree / "envs" / "dev" / "terraform.tfvars").write_text('project = "rupaya\n')
    proc = infra("--terraform-dir", str(tree), "up", "--env", "dev", env={"INFRA_STATE_DIR": str(tmp_path / "s")})
    assert_one_line_error(proc, "terraform.tfvars:1:", "unexpected end of file")


@pytest.mark.terraform
@pytest.mark.emulator
def test_verify_of_an_env_that_is_not_up_says_so_and_down_is_a_no_op(emulator, tmp_path):
    env = {"INFRA_STATE_DIR": str(tmp_path)}
    assert_one_line_error(infra("verify", "--env", "dev", "--aws-endpoint", emulator, env=env), "dev is not up")
    proc = infra("down", "--env", "dev", "--aws-endpoint", emulator, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "dev is down; nothing tagged" in proc.stdout
