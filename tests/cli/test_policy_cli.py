"""`infra policy` and `infra cost`: exit 0/1/2 as documented, one-line errors for bad input."""

from __future__ import annotations

import json

import pytest
from cli_run import assert_one_line_error, infra  # tests/cli_run.py

pytestmark = pytest.mark.terraform


def test_unknown_env():
    assert_one_line_error(infra("policy", "--env", "qa", "--no-scanners"), "unknown environment 'qa'")


def test_plan_needs_one_env(tmp_path):
    plan = tmp_path / "p.json"
    plan.write_text("{}")
    assert_one_line_error(infra("policy", "--plan", str(plan), "--no-scanners"), "--plan needs a single --env")


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("{not json", "is not JSON"),
        ("[]", "expected an object"),
        ('{"planned_values": 3}', "planned_values"),
        ("", "is not JSON"),
    ],
)
def test_malformed_plan_json(tmp_path, content, needle):
    plan = tmp_path / "plan.json"
    plan.write_text(content)
    proc = infra("policy", "--env", "dev", "--no-scanners", "--plan", str(plan))
    assert_one_line_error(proc, needle)


def test_missing_plan_file(tmp_path):
    proc = infra("policy", "--env", "dev", "--no-scanners", "--plan", str(tmp_path / "nope.json"))
    assert_one_line_error(proc, "nope.json")


@pytest.mark.parametrize(
    ("override", "needle"),
    [
        ("RPY-COST-001", "expected RULE-ID=reason"),
        ("RPY-COST-001=", "a reason is required"),
        ("RPY-NOPE-001=because", "no such rule"),
        ("RPY-SEC-001=we like it", "cannot be overridden at run time"),
    ],
)
def test_bad_overrides(override, needle):
    assert_one_line_error(infra("policy", "--env", "dev", "--no-scanners", "--override", override), needle)


def test_malformed_hcl_names_file_and_line(terraform_copy):
    main_tf = terraform_copy / "envs" / "dev" / "main.tf"
    main_tf.write_text(main_tf.read_text() + '\nresource "aws_s3_bucket" "x" {\n  bucket = \n}\n')
    proc = infra("--terraform-dir", str(terraform_copy), "policy", "--env", "dev", "--no-scanners")
    assert_one_line_error(proc, "main.tf:")


def test_malformed_suppressions_file(tmp_path):
    bad = tmp_path / "suppressions.yaml"
    bad.write_text("schema_version: 1\nsuppressions:\n  - id: RPY-SEC-001\n    resources: ['*']\n")
    proc = infra("policy", "--env", "dev", "--no-scanners", env={"INFRA_SUPPRESSIONS": str(bad)})
    assert_one_line_error(proc, "suppressions.yaml")


def test_expired_suppression_fails_the_run(tmp_path):
    from policy.runner import SUPPRESSIONS_FILE

    old = tmp_path / "suppressions.yaml"
    text = SUPPRESSIONS_FILE.read_text().replace("expires: 2027-03-31", "expires: 2020-01-01")
    old.write_text(text)
    proc = infra("policy", "--env", "dev", "--no-scanners", "--format", "json", env={"INFRA_SUPPRESSIONS": str(old)})
    assert proc.returncode == 1, proc.stderr
    rules = {f["rule"] for f in json.loads(proc.stdout)["findings"] if f["blocking"]}
    assert {"suppression-expired", "RPY-COST-001"} <= rules


def test_soft_mandatory_override_with_reason_passes(tmp_path):
    """Without the file's entry the dev budget blocks; a run-time override with a reason waives it."""
    from policy.runner import SUPPRESSIONS_FILE

    none = tmp_path / "suppressions.yaml"
    none.write_text("schema_version: 1\nsuppressions: []\n")
    env = {"INFRA_SUPPRESSIONS": str(none)}
    blocked = infra("policy", "--env", "dev", "--no-scanners", "--format", "json", env=env)
    assert blocked.returncode == 1
    assert [f["rule"] for f in json.loads(blocked.stdout)["findings"] if f["blocking"]] == ["RPY-COST-001"]
    waived = infra("policy", "--env", "dev", "--no-scanners", "--format", "json",
                   "--override", "RPY-COST-001=budget review pending", env=env)
    assert waived.returncode == 0, waived.stdout
    cost = [f for f in json.loads(waived.stdout)["findings"] if f["rule"] == "RPY-COST-001"]
    assert cost and all(f["overridden"] == "budget review pending" for f in cost)
    assert SUPPRESSIONS_FILE.is_file()


def test_report_formats_write_files(tmp_path):
    for fmt in ("json", "sarif", "junit", "markdown", "text"):
        out = tmp_path / f"report.{fmt}"
        proc = infra("policy", "--env", "prod", "--no-scanners", "--format", fmt, "--output", str(out))
        assert proc.returncode == 0, proc.stderr
        assert out.stat().st_size > 0


def test_cost_table():
    proc = infra("cost", "--env", "prod", env={"COLUMNS": "200"})
    assert proc.returncode == 0, proc.stderr
    assert "TOTAL" in proc.stdout and "over the budget of $1,000-$2,000 at the autoscaling maximum" in proc.stdout


def test_cost_over_budget_exits_1():
    proc = infra("cost", "--env", "dev", env={"COLUMNS": "200"})
    assert proc.returncode == 1
    assert "over the budget" in proc.stdout
