"""`infra policy` and `infra cost`: exit 0/1/2 as documented, one-line errors for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from cli_run import assert_one_line_error, infra  # tests/cli_run.py

from infra import cli

pytestmark = pytest.mark.terraform


def edit_dev_tier(tree: Path, edit) -> Path:
    """The tree with dev's entry of tiers.yaml changed by `edit` (comments are not kept)."""
    path = tree / "tiers.yaml"
    data = yaml.safe_load(path.read_text())
    edit(data["tiers"]["dev"])
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return tree


def dev_database_as_large_as_prod(tier: dict) -> None:
    """A soft-mandatory failure (RPY-SIZ-010) and nothing else: 16 ACUs are 32 GiB, prod's class has 16; the
    estimate's average of 0.5 ACU does not move."""
    tier["database"]["serverless"]["max_acu"] = 16


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


def test_expired_suppression_fails_the_run(tmp_path, terraform_copy):
    from policy.runner import SUPPRESSIONS_FILE

    tree = edit_dev_tier(terraform_copy, dev_database_as_large_as_prod)
    old = tmp_path / "suppressions.yaml"
    old.write_text(SUPPRESSIONS_FILE.read_text() + """
  - id: RPY-SIZ-010
    resources: ["*"]
    envs: [dev]
    reason: a waiver that ran out
    expires: 2020-01-01
""")
    proc = infra("--terraform-dir", str(tree), "policy", "--env", "dev", "--no-scanners", "--format", "json",
                 env={"INFRA_SUPPRESSIONS": str(old)})
    assert proc.returncode == 1, proc.stderr
    rules = {f["rule"] for f in json.loads(proc.stdout)["findings"] if f["blocking"]}
    assert rules == {"suppression-expired", "RPY-SIZ-010"}


def test_soft_mandatory_override_with_reason_passes(tmp_path, terraform_copy):
    """A soft-mandatory finding blocks; a run-time override with a reason waives it."""
    from policy.runner import SUPPRESSIONS_FILE

    tree = edit_dev_tier(terraform_copy, dev_database_as_large_as_prod)
    none = tmp_path / "suppressions.yaml"
    none.write_text("schema_version: 1\nsuppressions: []\n")
    env = {"INFRA_SUPPRESSIONS": str(none)}
    blocked = infra("--terraform-dir", str(tree), "policy", "--env", "dev", "--no-scanners", "--format", "json",
                    env=env)
    assert blocked.returncode == 1
    assert [f["rule"] for f in json.loads(blocked.stdout)["findings"] if f["blocking"]] == ["RPY-SIZ-010"]
    waived = infra("--terraform-dir", str(tree), "policy", "--env", "dev", "--no-scanners", "--format", "json",
                   "--override", "RPY-SIZ-010=sizing review pending", env=env)
    assert waived.returncode == 0, waived.stdout
    guard = [f for f in json.loads(waived.stdout)["findings"] if f["rule"] == "RPY-SIZ-010"]
    assert guard and all(f["overridden"] == "sizing review pending" for f in guard)
    assert SUPPRESSIONS_FILE.is_file()


def test_the_budget_is_hard_mandatory_at_full_scale_out(terraform_copy):
    """Dev over its budget only at its maximum of tasks: blocking, and no run-time override lifts it."""
    def budget_between_min_and_max(tier: dict) -> None:
        tier["budget_usd_month"] = {"min": 10, "max": 66}  # dev is ~$62.50 at 1 task, ~$70.49 at 2

    tree = edit_dev_tier(terraform_copy, budget_between_min_and_max)
    proc = infra("--terraform-dir", str(tree), "policy", "--env", "dev", "--no-scanners", "--format", "json")
    assert proc.returncode == 1, proc.stderr
    (budget,) = [f for f in json.loads(proc.stdout)["findings"] if f["rule"] == "RPY-COST-001"]
    assert budget["blocking"] and budget["level"] == "hard-mandatory"
    assert "at full scale-out" in budget["message"]
    refused = infra("--terraform-dir", str(tree), "policy", "--env", "dev", "--no-scanners",
                    "--override", "RPY-COST-001=just this once")
    assert_one_line_error(refused, "cannot be overridden")
    cost = infra("--terraform-dir", str(tree), "cost", "--env", "dev")
    assert cost.returncode == 1 and "at the autoscaling maximum" in " ".join(cost.stdout.split())


def test_report_formats_write_files(tmp_path):
    # One run as a process (the installed command), the other formats in this process: no four start-ups.
    proc = infra("policy", "--env", "prod", "--no-scanners", "--format", "json", "--output", str(tmp_path / "r.json"))
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "r.json").read_text())["findings"] is not None
    for fmt in ("sarif", "junit", "markdown", "text"):
        out = tmp_path / f"report.{fmt}"
        assert cli.main(["policy", "--env", "prod", "--no-scanners", "--format", fmt, "--output", str(out)]) == 0
        assert out.stat().st_size > 0, fmt


@pytest.mark.parametrize("columns", ["80", "200"])
def test_cost_text_fits_100_columns_with_every_total_uncut(columns):
    proc = infra("cost", "--env", "prod", env={"COLUMNS": columns})
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert max(map(len, lines)) <= 100, max(lines, key=len)
    data = json.loads(infra("cost", "--env", "prod", "--format", "json").stdout)
    low, high = data["total_usd_month"]["min"], data["total_usd_month"]["max"]
    # The total comes first, both figures whole; then each module's subtotal, each on its own line.
    assert lines[0] == f"prod: ${low:,.2f}-${high:,.2f} a month (min-max tasks), budget $1,000-$2,000: within"
    assert lines[1] == "", "within the budget, the headline says all (over it, the verdict follows)"
    for module in data["modules"]:
        subtotal = f"${module['usd_month']['min']:,.2f}"
        assert any(line.startswith(module["module"] + " ") and subtotal in line for line in lines), module["module"]
    assert "aws_elasticache_replication_group.this" in proc.stdout, "short addresses, not module paths"
    assert "module.platform" not in proc.stdout


def test_cost_json_carries_the_totals_the_budget_and_items_that_add_up():
    proc = infra("cost", "--env", "staging", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["budget_usd_month"] == {"min": 150, "max": 200}
    assert data["budget_status"] == "within" and data["currency"] == "USD"
    items = [item for module in data["modules"] for item in module["items"]]
    for bound in ("min", "max"):
        assert round(sum(i["usd_month"][bound] for i in items), 2) == data["total_usd_month"][bound]
        assert all(round(sum(i["usd_month"][bound] for i in m["items"]), 2) == m["usd_month"][bound]
                   for m in data["modules"])
    assert data["usage"]["nat_gb_processed"] == 30  # staging's own figure from policy/data/prices.yaml


def test_cost_usage_file_overrides_the_envs_assumptions(tmp_path):
    usage = tmp_path / "usage.yaml"
    usage.write_text("nat_gb_processed: 1000\nalb_lcu: 0\n")
    before = json.loads(infra("cost", "--env", "staging", "--format", "json").stdout)
    after = json.loads(infra("cost", "--env", "staging", "--format", "json", "--usage", str(usage)).stdout)
    assert after["usage"]["nat_gb_processed"] == 1000 and after["usage"]["alb_lcu"] == 0

    def item(data, prefix):
        (found,) = [i for m in data["modules"] for i in m["items"] if i["description"].startswith(prefix)]
        return found["usd_month"]["min"]

    # Hand-computed: staging's one NAT gateway, 1,000 GB at $0.045 = $45.00 (its own 30 GB: $1.35); no LCUs = $0
    # (its own 1 LCU x 730 h x $0.008 = $5.84).
    assert item(after, "NAT data processed") == 45.00 and item(before, "NAT data processed") == 1.35
    assert item(after, "ALB capacity units") == 0 and item(before, "ALB capacity units") == 5.84
    assert after["total_usd_month"]["min"] == round(before["total_usd_month"]["min"] + 43.65 - 5.84, 2)


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
    assert lines[0].startswith("**prod: $") and lines[0].endswith("budget $1,000-$2,000: within**")
    assert "| module / resource | item | min | max |" in lines and "|---|---|---:|---:|" in lines
    rows = [line for line in lines if line.startswith("| `")]
    assert rows and all(line.count(" | ") == 3 for line in rows), "one cell each, no stray pipe"


def test_cost_diff_shows_each_envs_change_against_the_base_tree(terraform_copy, capsys):
    """The pull request's tree (this checkout) against a base tree where dev may run one task more and
    staging's Redis is the t3 class: each figure is what `infra cost` gives each tree."""
    def one_task_more(tier: dict) -> None:
        tier["service"]["max_tasks"] += 1

    base = edit_dev_tier(terraform_copy, one_task_more)
    data = yaml.safe_load((base / "tiers.yaml").read_text())
    data["tiers"]["staging"]["cache"]["node_type"] = "cache.t3.small"
    (base / "tiers.yaml").write_text(yaml.safe_dump(data, sort_keys=False))

    proc = infra("cost-diff", "--base", str(base))
    assert proc.returncode == 0, proc.stderr

    def totals(*args: str) -> dict:  # `infra cost` run in this process: six runs, no six start-ups
        capsys.readouterr()
        assert cli.main([*args, "--format", "json"]) in (0, 1)  # 1: over the budget (the base's dev is)
        return json.loads(capsys.readouterr().out)["total_usd_month"]

    rows = {line.split(" | ")[0][2:]: line.split(" | ") for line in proc.stdout.splitlines()
            if line.startswith("| ") and not line.startswith(("| env", "| module")) and "`" not in line}
    assert list(rows) == ["dev", "staging", "prod"]
    for env, (_, old, new, at_min, at_max, budget) in rows.items():
        before = totals("--terraform-dir", str(base), "cost", "--env", env)
        after = totals("cost", "--env", env)
        assert old == f"${before['min']:,.2f}-${before['max']:,.2f}"
        assert new == f"${after['min']:,.2f}-${after['max']:,.2f}"
        for bound, shown in (("min", at_min), ("max", at_max)):
            change = round(after[bound] - before[bound], 2)  # every change here is a saving
            assert shown == ("0" if change == 0 else f"-${-change:,.2f} ({change / before[bound]:+.0%})"), env
        assert budget.endswith(": within |")
    assert rows["prod"][3:5] == ["0", "0"]
    assert rows["dev"][3] == "0" and rows["dev"][4].startswith("-$")  # one task fewer at the maximum only
    assert rows["staging"][3] == rows["staging"][4] != "0"
    # Per env, the resources whose cost changes, and only those.
    assert "<summary>dev: 1 resource(s) change cost</summary>" in proc.stdout
    assert "| `service: aws_ecs_service.this` |" in proc.stdout
    assert "| `cache: aws_elasticache_replication_group.this` |" in proc.stdout
    assert "prod:" not in proc.stdout.split("| prod |")[1]


def test_cost_diff_says_why_a_base_tree_cannot_be_priced(tmp_path):
    (tmp_path / "terraform").mkdir()
    proc = infra("cost-diff", "--base", str(tmp_path / "terraform"))
    assert proc.returncode == 0, proc.stderr
    assert "the base branch could not be priced:" in proc.stdout and "cannot read the tier file" in proc.stdout
    dev = next(line for line in proc.stdout.splitlines() if line.startswith("| dev |"))
    assert dev.split(" | ")[1:2] == ["-"] and dev.split(" | ")[3:5] == ["-", "-"], "unknown, not new"


def test_cost_of_dev_at_80_columns_shows_every_total_uncut():
    proc = infra("cost", "--env", "dev", env={"COLUMNS": "80"})
    data = json.loads(infra("cost", "--env", "dev", "--format", "json").stdout)
    low, high = data["total_usd_month"]["min"], data["total_usd_month"]["max"]
    assert proc.stdout.splitlines()[0].startswith(f"dev: ${low:,.2f}-${high:,.2f} a month")
    for module in data["modules"]:
        assert f"${module['usd_month']['max']:,.2f}" in proc.stdout, module["module"]
    assert "…" not in proc.stdout and max(map(len, proc.stdout.splitlines())) <= 100
