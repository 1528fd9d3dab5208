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


@pytest.mark.parametrize("columns", ["80", "200"])
def test_cost_text_fits_100_columns_with_every_total_uncut(columns):
    proc = infra("cost", "--env", "prod", env={"COLUMNS": columns})
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert max(map(len, lines)) <= 100, max(lines, key=len)
    data = json.loads(infra("cost", "--env", "prod", "--format", "json").stdout)
    low, high = data["total_usd_month"]["min"], data["total_usd_month"]["max"]
    # The total comes first, both figures whole; then each module's subtotal, each on its own line.
    assert lines[0] == f"prod: ${low:,.2f}-${high:,.2f} a month (min-max tasks), budget $1,000-$2,000: over"
    verdict = " ".join(lines[1:lines.index("")])  # wrapped at word boundaries, never inside a figure
    assert "over the budget of $1,000-$2,000 at the autoscaling maximum" in verdict
    for module in data["modules"]:
        subtotal = f"${module['usd_month']['min']:,.2f}"
        assert any(line.startswith(module["module"] + " ") and subtotal in line for line in lines), module["module"]
    assert "aws_elasticache_replication_group.this" in proc.stdout, "short addresses, not module paths"
    assert "module.platform" not in proc.stdout


def test_cost_json_carries_the_totals_the_budget_and_items_that_add_up():
    proc = infra("cost", "--env", "staging", "--format", "json")
    assert proc.returncode == 1, proc.stderr  # staging is over its budget today (issue 17)
    data = json.loads(proc.stdout)
    assert data["budget_usd_month"] == {"min": 150, "max": 200}
    assert data["budget_status"] == "over" and data["currency"] == "USD"
    items = [item for module in data["modules"] for item in module["items"]]
    for bound in ("min", "max"):
        assert round(sum(i["usd_month"][bound] for i in items), 2) == data["total_usd_month"][bound]
        assert all(round(sum(i["usd_month"][bound] for i in m["items"]), 2) == m["usd_month"][bound]
                   for m in data["modules"])
    assert data["usage"]["nat_gb_processed"] == 30  # staging's own figure from policy/data/prices.yaml


def test_cost_usage_file_overrides_the_envs_assumptions(tmp_path):
    usage = tmp_path / "usage.yaml"
    usage.write_text("nat_gb_processed: 1000\nalb_lcu: 0\n")
    before = json.loads(infra("cost", "--env", "dev", "--format", "json").stdout)
    after = json.loads(infra("cost", "--env", "dev", "--format", "json", "--usage", str(usage)).stdout)
    assert after["usage"]["nat_gb_processed"] == 1000 and after["usage"]["alb_lcu"] == 0

    def item(data, prefix):
        (found,) = [i for m in data["modules"] for i in m["items"] if i["description"].startswith(prefix)]
        return found["usd_month"]["min"]

    # Hand-computed: one NAT gateway, 1,000 GB at $0.045 = $45.00; no LCUs = $0 (dev had 1 LCU x 730 h x $0.008).
    assert item(after, "NAT data processed") == 45.00 and item(before, "NAT data processed") == 0.45
    assert item(after, "ALB capacity units") == 0 and item(before, "ALB capacity units") == 5.84
    assert after["total_usd_month"]["min"] == round(before["total_usd_month"]["min"] + 44.55 - 5.84, 2)


@pytest.mark.parametrize(("content", "needle"), [
    ("nat_gb: 5\n", "nat_gb: unknown usage key"),
    ("alb_lcu: -1\n", "alb_lcu: expected a non-negative number"),
    ("- 1\n- 2\n", "expected a mapping"),
    ("alb_lcu: [1\n", "usage.yaml"),
])
def test_a_bad_usage_file_is_one_line_naming_what_is_wrong(tmp_path, content, needle):
    usage = tmp_path / "usage.yaml"
    usage.write_text(content)
    assert_one_line_error(infra("cost", "--env", "dev", "--usage", str(usage)), needle)


def test_cost_markdown_is_a_table_for_a_pull_request_comment():
    proc = infra("cost", "--env", "prod", "--format", "markdown")
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("**prod: $") and lines[0].endswith("budget $1,000-$2,000: over**")
    assert "| module / resource | item | min | max |" in lines and "|---|---|---:|---:|" in lines
    rows = [line for line in lines if line.startswith("| `")]
    assert rows and all(line.count(" | ") == 3 for line in rows), "one cell each, no stray pipe"


def test_cost_over_budget_exits_1():
    proc = infra("cost", "--env", "dev", env={"COLUMNS": "200"})
    assert proc.returncode == 1
    assert "over the budget" in proc.stdout
