"""`infra inputs` and the operator inputs Terraform requires: nothing the operator must supply is
committed as a placeholder, what is missing is named in one line, and placeholder names are refused."""

from __future__ import annotations

import pytest
from cli_run import assert_one_line_error, infra  # tests/cli_run.py


def test_every_missing_input_of_the_committed_tree_is_named_in_one_line_per_root():
    proc = infra("inputs")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stdout.splitlines() == ["dev: operator inputs set"]  # dev commits alarm_email = null
    lines = proc.stderr.splitlines()
    assert lines[0].startswith("staging: operator inputs missing: alarm_email (")
    assert lines[1].startswith("prod: operator inputs missing: alarm_email; domain_name and hosted_zone_id, "
                               "or certificate_arn (")
    assert lines[2].startswith("bootstrap: operator inputs missing: github_repository (")
    assert lines[3] == "infra: operator inputs missing in 3 roots"


def test_inputs_given_in_the_environment_count_as_terraform_counts_them():
    given = {"TF_VAR_alarm_email": "oncall@acme-corp.com", "TF_VAR_domain_name": "api.acme-corp.com",
             "TF_VAR_hosted_zone_id": "Z0123456789ABCDEFGHIJ"}
    assert infra("inputs", "--env", "prod", env=given).returncode == 0
    half = infra("inputs", "--env", "prod", env={**given, "TF_VAR_hosted_zone_id": ""})
    assert_one_line_error(half, "prod: operator inputs missing: domain_name and hosted_zone_id, or certificate_arn")
    assert_one_line_error(infra("inputs", "--env", "qa"), "unknown environment 'qa'")


PLACEHOLDERS = {
    "domain_name": "api.rupaya.example.com",  # the placeholder the AWS review found in prod's tfvars
    "alarm_email": "alerts@example.org",
}


@pytest.fixture(scope="module")
def placeholder_plan(emulator, tmp_path_factory) -> str:
    """One plan of prod given every placeholder at once: Terraform checks every variable before it
    stops, so one plan shows each refusal (a plan of prod takes some 15 s). Its output and logs."""
    state = tmp_path_factory.mktemp("placeholders")
    proc = infra("plan", "--env", "prod", "--aws-endpoint", emulator,
                 env={"INFRA_STATE_DIR": str(state), **{f"TF_VAR_{k}": v for k, v in PLACEHOLDERS.items()}})
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    return proc.stderr + "".join(p.read_text() for p in (state / "work" / "emulator" / "logs").glob("prod-*.log"))


@pytest.mark.terraform
@pytest.mark.emulator
@pytest.mark.parametrize("variable", sorted(PLACEHOLDERS))
def test_a_placeholder_name_is_refused_by_the_plan(placeholder_plan, variable):
    refusals = [block for block in placeholder_plan.split("Error: ") if "reserved placeholder" in block]
    assert any(f"var.{variable} is " in block for block in refusals), placeholder_plan
