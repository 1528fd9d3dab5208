"""The project's rules as checkov custom checks (policy/checkov_checks, policy/checkov_adapter.py).

The adapter's conversions are tested here directly; checkov itself really runs (from its own
virtualenv, as `make setup` installs it) on the real env roots, on a broken copy of the tree and on
the env plans, each restricted to our checks with `--check CKV_RPY_*`.
"""

from __future__ import annotations

import json
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from core.project import REPO_ROOT, Project
from policy import checkov_adapter as adapter
from policy.model import Resource, Source, Unknown, is_unknown
from policy.rules import ALL_RULES, Rule, rule_index
from policy.scanners._tools import find_tool, offline_env, run_tool

CHECKS_DIR = REPO_ROOT / "policy" / "checkov_checks"
ENVS = Project.discover(REPO_ROOT / "terraform").envs
TIERS = Project.discover(REPO_ROOT / "terraform").tiers
DB_INSTANCE = "module.platform.module.database.aws_rds_cluster_instance.this"
CACHE = "module.platform.module.cache.aws_elasticache_replication_group.this"
RDS = "module.platform.module.database.aws_rds_cluster.this"
OUR_CHECKS = "CKV_RPY_*"


def checkov(*args: str) -> list[dict]:
    """checkov with our checks only, offline; every check result as a dict (result in "result")."""
    proc, _ = run_tool("checkov", [*args, "--skip-download", "--download-external-modules", "false", "-o", "json",
                                   "--compact", "--soft-fail", "--external-checks-dir", str(CHECKS_DIR),
                                   "--check", OUR_CHECKS])
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Cannot load external check" not in proc.stderr and "Failed to run check" not in proc.stderr, proc.stderr
    data = json.loads(proc.stdout)
    results = []
    for report in data if isinstance(data, list) else [data]:
        for key, result in (("passed_checks", "PASSED"), ("failed_checks", "FAILED"), ("skipped_checks", "SKIPPED")):
            results += [{**c, "result": result} for c in (report.get("results") or {}).get(key) or []]
    return results


def root_args(root: Path) -> list[str]:
    return ["-d", str(root), "--framework", "terraform", "--var-file", str(root / "terraform.tfvars")]


# --------------------------------------------------------------------------- ids and exports


def test_every_rule_with_per_resource_logic_is_a_check_and_ids_map_one_to_one():
    exported = adapter.exported_rules()
    assert exported and all(r.resource_types for r in exported)
    assert {r.id for r in exported} | {r.id for r in adapter.not_exported_rules()} == {r.id for r in ALL_RULES}
    for rule in exported:
        ckv = adapter.check_id(rule.id)
        assert re.fullmatch(r"CKV_RPY_(SIZ|SEC|COST)_\d{3}", ckv), ckv
        assert adapter.rule_id(ckv) == rule.id and rule_index()[adapter.rule_id(ckv)] is rule
        assert adapter.check_name(rule) == f"{rule.id}: {rule.title}"
    assert adapter.check_id("RPY-SEC-001") == "CKV_RPY_SEC_001"


def test_the_rules_not_exported_are_the_stack_rules_the_docstring_names():
    not_exported = {r.id for r in adapter.not_exported_rules()}
    assert all(r.check_stack is not Rule.check_stack for r in adapter.not_exported_rules())
    doc = adapter.__doc__ or ""
    listed = set(re.findall(r"^\s+(RPY-[A-Z]+-\d{3})\s", doc, re.MULTILINE))
    assert listed == not_exported
    readme = (CHECKS_DIR / "README.md").read_text()
    for rule in ALL_RULES:
        assert rule.id in readme, f"{rule.id} missing from policy/checkov_checks/README.md"


# --------------------------------------------------------------------------- checkov's conf -> Resource


def test_checkov_configuration_becomes_a_resource_with_unknowns_for_what_checkov_left_unresolved():
    conf = {
        "__start_line__": 86, "__end_line__": 120, "__address__": CACHE,
        "at_rest_encryption_enabled": [True], "kms_key_id": ["var.kms_key_arn"], "engine": ["redis"],
        "num_cache_clusters": ["var.cluster_mode ? None : local.nodes_per_shard"], "port": [6379],
        "security_group_ids": [["aws_security_group.this.id"]], "description": ["Redis for ${var.name}"],
        "tags": [{"Name": "rupaya-dev"}], "node_type": ["cache.t3.micro"], "count": [1],
        "log_delivery_configuration": [{"destination": ["aws_cloudwatch_log_group.slow.name"],
                                        "log_format": ["json"]}],
        "cpu": ["tostring(var.cpu)"], "arn": ["arn:data.aws_partition.current.partition:ecs:var.region:*"],
    }
    res = adapter.resource_from_conf(conf, "aws_elasticache_replication_group", "dev", file="/x/main.tf")
    assert res.address == CACHE and res.line == 86 and res.env == "dev" and res.source is Source.HCL
    v = res.values
    assert v["at_rest_encryption_enabled"] is True and v["engine"] == "redis" and v["port"] == 6379
    assert v["node_type"] == "cache.t3.micro" and v["tags"] == {"Name": "rupaya-dev"}
    assert "count" not in v and not any(k.startswith("__") for k in v)
    assert is_unknown(v["kms_key_id"]) and v["kms_key_id"].reason == "var.kms_key_arn"
    assert v["num_cache_clusters"].reason == "var.cluster_mode, local.nodes_per_shard"
    assert v["description"].reason == "var.name" and v["cpu"].reason == "var.cpu"
    assert v["arn"].reason == "data.aws_partition.current.partition, var.region"
    assert is_unknown(v["security_group_ids"][0]) and v["security_group_ids"][0].reason == "aws_security_group.this.id"
    block = v["log_delivery_configuration"]
    assert isinstance(block, list) and block[0]["log_format"] == "json"
    assert block[0]["destination"].reason == "aws_cloudwatch_log_group.slow.name"
    assert res.blocks("log_delivery_configuration") == block


@pytest.mark.parametrize("text", ["cache.t3.micro", "db.r6g.large", "aws:kms", "0.0.0.0/0", "sts.amazonaws.com",
                                  "ecs:service:DesiredCount", "arn:aws:kms:us-east-1:123456789012:key/abc",
                                  "ELBSecurityPolicy-TLS13-1-2-2021-06", "/aws/vpc-flow-logs/rupaya-dev",
                                  "repo:rupaya/rupaya:environment:dev", "sun:05:00-sun:06:00"])
def test_known_strings_stay_known(text):
    assert adapter.unresolved(text) is None


def test_a_policy_document_given_as_json_text_is_judged_by_its_parts():
    conf = {"policy": ['{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "${var.arn}"}]}']}
    doc = adapter.resource_from_conf(conf, "aws_iam_role_policy", None).values["policy"]
    assert doc["Statement"][0]["Action"] == "*" and doc["Statement"][0]["Resource"].reason == "var.arn"


def test_a_map_valued_attribute_is_not_taken_for_a_block():
    conf = {"policy": [{"Statement": [{"Effect": "Allow", "Action": ["*"], "Resource": ["*"]}]}],
            "tags": [{"count": "3", "provider": "x"}], "count": [2]}
    res = adapter.resource_from_conf(conf, "aws_iam_role_policy", "dev")
    assert res.values["policy"] == {"Statement": [{"Effect": "Allow", "Action": ["*"], "Resource": ["*"]}]}
    assert res.values["tags"] == {"count": "3", "provider": "x"} and "count" not in res.values
    verdict = adapter.judge(rule_index()["RPY-SEC-018"], res, "dev", TIERS, Source.HCL, [res])
    assert verdict.result == "FAILED" and "allows every action" in verdict.details[0]


# --------------------------------------------------------------------------- env and verdicts


def test_env_comes_from_the_path_or_from_the_scanned_roots():
    assert adapter.env_root_of(REPO_ROOT / "terraform/envs/prod/main.tf") == ("prod", REPO_ROOT / "terraform")
    assert adapter.env_root_of(REPO_ROOT / "terraform/bootstrap/main.tf") == ("bootstrap", REPO_ROOT / "terraform")
    assert adapter.env_root_of("/envs/dev/main.tf") == ("dev", None)  # checkov's path relative to the scan
    assert adapter.env_root_of("/../../modules/database/main.tf") is None
    assert adapter.env_root_of(REPO_ROOT / "terraform/modules/database/main.tf") is None
    assert adapter.env_of_plan_file("/tmp/x/staging.plan.json", ENVS) == "staging"
    assert adapter.env_of_plan_file("/tmp/x/other.plan.json", ENVS) is None
    where = adapter.locate("/../../modules/database/main.tf", {})
    assert where.env is None and where.terraform_dir == REPO_ROOT / "terraform"


def test_env_override(monkeypatch):
    monkeypatch.setenv(adapter.ENV_VAR, "prod")
    assert adapter.locate("/../../modules/database/main.tf", {}).env == "prod"


def _instance(**values) -> Resource:
    base = {"engine": "aurora-postgresql", "instance_class": "db.t3.medium", "publicly_accessible": False}
    return Resource(DB_INSTANCE, "aws_rds_cluster_instance", {**base, **values}, "dev", Source.HCL)


def test_verdicts_follow_the_rules_findings():
    rules = rule_index()
    public, siz002, perf = rules["RPY-SEC-007"], rules["RPY-SIZ-002"], rules["RPY-SEC-013"]
    res = _instance()
    assert adapter.judge(public, res, "dev", TIERS, Source.HCL, [res]).result == "PASSED"
    bad = _instance(publicly_accessible=True)
    verdict = adapter.judge(public, bad, None, TIERS, Source.HCL, [bad])
    assert verdict.result == "FAILED" and verdict.details == ["publicly_accessible = true"]
    unknown = _instance(publicly_accessible=Unknown("var.public"))
    assert adapter.judge(public, unknown, "dev", TIERS, Source.HCL, [unknown]).result == "UNKNOWN"
    # Sizing needs a tier; production-only rules need a production env.
    assert adapter.judge(siz002, res, None, TIERS, Source.HCL, [res]).result == "UNKNOWN"
    assert adapter.judge(siz002, res, "dev", TIERS, Source.HCL, [res]).result == "PASSED"
    assert adapter.judge(siz002, res, "prod", TIERS, Source.HCL, [res]).result == "FAILED"
    assert adapter.judge(perf, res, "dev", TIERS, Source.HCL, [res]).result == "UNKNOWN"
    assert adapter.judge(perf, res, "prod", TIERS, Source.HCL, [res]).result == "FAILED"


def test_a_failure_that_rests_on_an_unknown_value_is_undecided():
    listener = Resource("module.platform.module.load_balancer.aws_lb_listener.http", "aws_lb_listener",
                        {"protocol": "HTTP", "default_action": [{"type": Unknown("var.environment")}]}, "prod",
                        Source.HCL)
    verdict = adapter.judge(rule_index()["RPY-SEC-010"], listener, "prod", TIERS, Source.HCL, [listener])
    assert verdict.result == "UNKNOWN" and "not known yet" in verdict.details[0]


def test_the_adapter_imports_in_checkovs_virtualenv_without_our_hcl_package():
    python = Path(find_tool("checkov")).parent / "python"
    code = (
        "import sys; sys.path.append(sys.argv[1]); import policy.checkov_adapter, policy.rules, policy.plan; "
        "bad = sorted(m for m in sys.modules if m.startswith(('policy.hcl', 'rich', 'policy.runner'))); "
        "policy.checkov_adapter.tiers_doc(policy.checkov_adapter.DEFAULT_TERRAFORM_DIR); "
        "assert 'rich' not in sys.modules; print(len(policy.checkov_adapter.exported_rules()))"
    )
    proc = subprocess.run([str(python), "-c", code, str(REPO_ROOT)], capture_output=True, text=True,
                          env=offline_env(), timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout) == len(adapter.exported_rules())


# --------------------------------------------------------------------------- real checkov runs


@pytest.fixture(scope="module")
def real_roots() -> dict[str, list[dict]]:
    """checkov with our checks on every real env root (in parallel: one process per root)."""
    roots = {env: REPO_ROOT / "terraform" / "envs" / env for env in ENVS}
    with ThreadPoolExecutor(len(roots)) as pool:
        runs = {env: pool.submit(checkov, *root_args(root)) for env, root in roots.items()}
        return {env: run.result() for env, run in runs.items()}


@pytest.mark.parametrize("env", ENVS)
def test_real_env_roots_pass_our_checks_or_leave_them_undecided(real_roots, env):
    results = real_roots[env]
    assert results, f"{env}: none of our checks ran"
    assert {r["check_id"] for r in results} <= {adapter.check_id(rule.id) for rule in adapter.exported_rules()}
    failed = [f"{r['check_id']} {r['resource']}: {r['details']}" for r in results if r["result"] == "FAILED"]
    assert not failed
    names = {r["check_id"]: r["check_name"] for r in results}
    assert names["CKV_RPY_SEC_007"] == "RPY-SEC-007: Databases are not publicly accessible"


def test_a_broken_copy_fails_the_mapped_checks_on_the_broken_resources(terraform_copy):
    database = terraform_copy / "modules" / "database" / "main.tf"
    text = database.read_text()
    assert "  publicly_accessible     = false\n" in text
    database.write_text(text.replace("  publicly_accessible     = false\n", "  publicly_accessible     = true\n"))
    cache = terraform_copy / "modules" / "cache" / "main.tf"
    text = cache.read_text()
    assert "  at_rest_encryption_enabled = true\n" in text
    cache.write_text(text.replace("  at_rest_encryption_enabled = true\n", "  at_rest_encryption_enabled = false\n"))

    # A third break, waived the checkov way: an inline skip comment with our check's id.
    registry = terraform_copy / "modules" / "registry" / "main.tf"
    text = registry.read_text()
    assert '    encryption_type = "KMS"\n' in text
    registry.write_text(text.replace('    encryption_type = "KMS"\n', '    encryption_type = "AES256"\n').replace(
        'resource "aws_ecr_repository" "this" {\n',
        'resource "aws_ecr_repository" "this" {\n  # checkov:skip=CKV_RPY_SEC_006:waived for the test\n', 1))

    results = checkov(*root_args(terraform_copy / "envs" / "prod"))
    skipped = [(r["check_id"], r["resource"]) for r in results if r["result"] == "SKIPPED"]
    assert skipped == [("CKV_RPY_SEC_006", "module.platform.module.registry.aws_ecr_repository.this")]
    failed = {(r["check_id"], r["resource"]): r for r in results if r["result"] == "FAILED"}
    assert set(failed) == {("CKV_RPY_SEC_007", DB_INSTANCE), ("CKV_RPY_SEC_002", CACHE)}
    public = failed["CKV_RPY_SEC_007", DB_INSTANCE]
    assert public["details"] == ["publicly_accessible = true"]
    assert Path(public["file_abs_path"]).resolve() == database.resolve()
    assert public["check_name"].startswith("RPY-SEC-007: ")
    assert failed["CKV_RPY_SEC_002", CACHE]["details"] == ["at_rest_encryption_enabled is false; it must be true"]
    assert public["guideline"] == rule_index()["RPY-SEC-007"].remediation


@pytest.mark.terraform
@pytest.mark.emulator
def test_plans_pass_our_checks_and_a_broken_plan_fails_them(plans, tmp_path):
    """One checkov run over the three env plans and a broken copy of prod's."""
    files = []
    for env, plan in plans.items():
        (tmp_path / "real").mkdir(exist_ok=True)
        files.append(tmp_path / "real" / f"{env}.plan.json")
        files[-1].write_text(json.dumps(plan.data))
    broken = json.loads(json.dumps(plans["prod"].data))
    for change in broken["resource_changes"]:
        if change["address"] == RDS:
            change["change"]["after"]["deletion_protection"] = False
    for module in _modules(broken["planned_values"]["root_module"]):
        for res in module.get("resources", []):
            if res["address"] == RDS:
                res["values"]["deletion_protection"] = False
    (tmp_path / "broken").mkdir()
    files.append(tmp_path / "broken" / "prod.plan.json")
    files[-1].write_text(json.dumps(broken))

    args = [a for f in files for a in ("-f", str(f))]
    results = checkov(*args, "--framework", "terraform_plan")
    by_file: dict[str, list[dict]] = {}
    for r in results:
        by_file.setdefault(Path(r["file_abs_path"]).parent.name, []).append(r)
    real_failed = [f"{r['check_id']} {r['resource']}: {r['details']}" for r in by_file["real"]
                   if r["result"] == "FAILED"]
    assert not real_failed
    seen = {r["check_id"] for r in by_file["real"]}
    # Every exported check judged something in the plans (PASSED), except those that only found unknowns.
    assert {"CKV_RPY_SIZ_002", "CKV_RPY_SIZ_005", "CKV_RPY_SEC_001", "CKV_RPY_SEC_011"} <= seen
    broken_failed = {(r["check_id"], r["resource"]) for r in by_file["broken"] if r["result"] == "FAILED"}
    assert broken_failed == {("CKV_RPY_SEC_011", RDS)}


def _modules(module: dict) -> list[dict]:
    return [module, *(m for child in module.get("child_modules", []) for m in _modules(child))]
