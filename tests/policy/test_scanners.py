"""checkov and trivy, really run (make setup installs them), on the real roots and on broken copies.

The real roots and their plans must have no unexplained finding: every failed check is either fixed
in the Terraform or suppressed, with a reason and an expiry date, in policy/suppressions.yaml. Each
root is scanned once per session (a checkov run takes seconds).
"""

from __future__ import annotations

import copy
import hashlib
import json
import stat
from datetime import date
from pathlib import Path

import pytest

from core.errors import InfraError
from core.project import BOOTSTRAP, REPO_ROOT, Project
from policy.model import Level, Source
from policy.scanners import (
    INLINE_RULE,
    _tools,
    checkov,
    checkov_scan,
    inline_suppressions,
    ran_from,
    scan,
    scan_timings,
    trivy,
    trivy_scan,
)
from policy.scanners import suppressions as supp

ROOTS = [BOOTSTRAP, *Project.discover(REPO_ROOT / "terraform").envs]
RDS = "module.platform.module.database.aws_rds_cluster.this"


def root_dir(tree: Path, root: str) -> Path:
    return tree / BOOTSTRAP if root == BOOTSTRAP else tree / "envs" / root


def write_plan(folder: Path, name: str, data: dict) -> Path:
    path = folder / f"{name}.plan.json"
    path.write_text(json.dumps(data))
    return path


def set_after(plan: dict, address: str, **values) -> dict:
    """A copy of the plan in which the resource at `address` plans the given values."""
    plan = copy.deepcopy(plan)
    for change in plan["resource_changes"]:
        if change["address"] == address:
            change["change"]["after"].update(values)
            for key in values:
                change["change"]["after_unknown"].pop(key, None)

    def visit(module: dict) -> None:
        for res in module.get("resources", []):
            if res["address"] == address:
                res["values"].update(values)
        for child in module.get("child_modules", []):
            visit(child)

    visit(plan["planned_values"]["root_module"])
    return plan


@pytest.fixture(scope="module")
def plan_files(plans, bootstrap_plan, tmp_path_factory) -> dict[str, Path]:
    """Plan JSONs of every root: the shared env plans and the shared bootstrap plan."""
    folder = tmp_path_factory.mktemp("scanner-plans")
    files = {env: write_plan(folder, env, plan.data) for env, plan in plans.items()}
    files[BOOTSTRAP] = write_plan(folder, BOOTSTRAP, json.loads(bootstrap_plan.read_text()))
    return files


@pytest.fixture(scope="module")
def real_scans(plan_files) -> dict[str, list]:
    """Both scanners on every real root and its plan, once."""
    scan_timings.clear()
    return {root: scan(root_dir(REPO_ROOT / "terraform", root), plan_files[root], root, REPO_ROOT) for root in ROOTS}


# --------------------------------------------------------------------------- the real roots


@pytest.mark.terraform
@pytest.mark.emulator
@pytest.mark.parametrize("root", ROOTS)
def test_real_roots_have_no_unexplained_findings(real_scans, root):
    # Only the scanners ran here: entries for the project's own rules are checked by tests/policy/test_gate.py.
    ran = {run for run in ran_from(scan_timings) if run[0] == root}
    findings = supp.apply(real_scans[root], supp.load(), date.today(), env=root, ran=ran)
    blocking = [f"{f.rule} {f.resource} ({f.source}: {f.message})" for f in findings if f.blocking]
    assert not blocking, "fix these or explain them in policy/suppressions.yaml:\n" + "\n".join(blocking)
    stale = [f"{f.resource}: {f.message}" for f in findings if f.rule == supp.STALE_RULE]
    assert not stale, "stale suppressions:\n" + "\n".join(stale)
    unexplained = [f for f in findings if f.status == "fail" and not f.suppressed and f.rule != supp.STALE_RULE]
    assert not unexplained


@pytest.mark.terraform
@pytest.mark.emulator
def test_both_scanners_ran_on_both_inputs_of_every_root(real_scans):
    expected = {(r, s, src) for r in ROOTS for s in ("checkov", "trivy") for src in ("hcl", "plan")}
    assert ran_from(scan_timings) >= expected
    for timing in scan_timings:
        assert timing.seconds > 0, timing  # a duration was measured (how long is benchmarks' business)


@pytest.mark.terraform
@pytest.mark.emulator
def test_real_findings_name_the_resource_and_the_file(real_scans):
    for root, findings in real_scans.items():
        for f in findings:
            assert f.family == "security" and f.env == root and f.title.startswith(("checkov: ", "trivy: "))
            assert f.rule.startswith(("CKV_", "CKV2_", "AVD-")), f.rule
            assert f.resource and not f.resource.startswith("/"), f
            if f.source is Source.HCL:
                assert f.file and f.file.startswith("terraform/") and f.file.endswith(".tf"), f
                assert f.line and f.line > 0, f


@pytest.mark.terraform
@pytest.mark.emulator
def test_a_plan_check_on_values_known_only_after_apply_is_undecided(real_scans):
    undecided = [f for f in real_scans["dev"] if f.status == "unknown"]
    log_groups = {f.resource for f in undecided if f.rule == "CKV_AWS_158"}
    assert "module.platform.module.observability.aws_cloudwatch_log_group.app" in log_groups
    assert all(f.source is Source.PLAN and not f.blocking for f in undecided)
    assert any(f.rule == "AVD-AWS-0017" and "kms_key_id known only after apply" in f.message for f in undecided)


# --------------------------------------------------------------------------- broken copies


def unencrypted_aurora(tree: Path) -> None:
    main = tree / "modules" / "database" / "main.tf"
    text = main.read_text()
    old = "  storage_encrypted                   = true\n"
    assert old in text
    main.write_text(text.replace(old, "  storage_encrypted                   = false\n"))


def test_an_unencrypted_aurora_cluster_is_found_by_both_scanners(terraform_copy):
    unencrypted_aurora(terraform_copy)
    repo = terraform_copy.parent
    line = 1 + next(i for i, t in enumerate((terraform_copy / "modules/database/main.tf").read_text().splitlines())
                    if "storage_encrypted" in t)
    dev = root_dir(terraform_copy, "dev")
    found = {f.rule: f for f in checkov_scan(dev, None, "dev", repo) + trivy_scan(dev, None, "dev", repo)}
    ckv, avd = found["CKV_AWS_96"], found["AVD-AWS-0079"]
    for f in (ckv, avd):
        assert f.resource == RDS and f.file == "terraform/modules/database/main.tf" and f.source is Source.HCL
        assert f.level is Level.HARD and f.blocking
    assert avd.line == line and "storage encryption" in avd.message
    assert ckv.line < line  # checkov points at the resource block
    # Nothing in the suppressions file explains it away.
    applied = supp.apply([ckv, avd], supp.load(), date.today(), ran=set())
    assert all(f.blocking for f in applied)


def test_a_public_state_bucket_is_found_in_bootstrap(terraform_copy):
    main = terraform_copy / "bootstrap" / "main.tf"
    text = main.read_text()
    main.write_text(text.replace("  block_public_acls       = true", "  block_public_acls       = false", 1))
    repo = terraform_copy.parent
    boot = root_dir(terraform_copy, BOOTSTRAP)
    found = {(f.rule, f.resource) for f in scan(boot, None, BOOTSTRAP, repo)}
    assert ("CKV_AWS_53", "aws_s3_bucket_public_access_block.state") in found
    assert ("AVD-AWS-0086", "aws_s3_bucket_public_access_block.state") in found


@pytest.mark.terraform
@pytest.mark.emulator
def test_an_unencrypted_cluster_in_a_plan_is_found_by_both_scanners(plans, tmp_path):
    plan = write_plan(tmp_path, "dev", set_after(plans["dev"].data, RDS, storage_encrypted=False))
    dev = root_dir(REPO_ROOT / "terraform", "dev")
    ckv = [f for f in checkov.scan_plan(plan, "dev", REPO_ROOT, dev) if f.rule == "CKV_AWS_96"]
    avd = [f for f in trivy.scan_plan(plan, "dev", REPO_ROOT) if f.rule == "AVD-AWS-0079"]
    assert len(ckv) == 1 and len(avd) == 1
    assert ckv[0].resource == avd[0].resource == RDS
    assert ckv[0].status == avd[0].status == "fail"  # storage_encrypted is known: decided
    assert ckv[0].file == "terraform/modules/database/main.tf" and ckv[0].source is Source.PLAN  # mapped back
    assert avd[0].file == str(plan) and avd[0].line is None


@pytest.mark.terraform
@pytest.mark.emulator
def test_trivy_plan_findings_keep_the_instance_address(plans, tmp_path):
    pab = "module.platform.module.load_balancer.aws_s3_bucket_public_access_block.logs[0]"
    plan = write_plan(tmp_path, "prod", set_after(plans["prod"].data, pab, block_public_acls=False))
    found = {(f.rule, f.resource) for f in trivy.scan_plan(plan, "prod", REPO_ROOT)}
    assert ("AVD-AWS-0086", pab) in found  # the count instance, by its own address


def test_inline_suppression_comments_are_findings(terraform_copy):
    main = terraform_copy / "modules" / "cache" / "main.tf"
    lines = main.read_text().splitlines()
    at = next(i for i, t in enumerate(lines) if t.startswith('resource "aws_elasticache_replication_group"'))
    lines[at + 1:at + 1] = ["  #checkov:skip=CKV_AWS_191:we like it", "  #trivy:ignore:AVD-AWS-0045"]
    main.write_text("\n".join(lines) + "\n")
    found = inline_suppressions(root_dir(terraform_copy, "dev"), "dev", terraform_copy.parent)
    assert [(f.rule, f.file, f.line) for f in found] == [
        (INLINE_RULE, "terraform/modules/cache/main.tf", at + 2),
        (INLINE_RULE, "terraform/modules/cache/main.tf", at + 3),
    ]
    assert all(f.blocking for f in found) and "CKV_AWS_191" in found[0].message
    only_trivy = inline_suppressions(root_dir(terraform_copy, "dev"), "dev", terraform_copy.parent, scanner="trivy")
    assert [f.line for f in only_trivy] == [at + 3]


# --------------------------------------------------------------------------- failures, in one line


def fake_tool(tmp_path: Path, name: str, script: str) -> str:
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + script + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_a_missing_scanner_says_to_run_make_setup(monkeypatch, tmp_path):
    monkeypatch.delenv("INFRA_CHECKOV", raising=False)
    monkeypatch.setattr(_tools, "_candidates", lambda name: [tmp_path / "nothing" / name])
    with pytest.raises(InfraError, match=r"checkov is not installed .*run `make setup`"):
        scan(REPO_ROOT / "terraform" / "bootstrap", None, BOOTSTRAP, REPO_ROOT)


def test_an_override_that_is_not_a_binary_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("INFRA_TRIVY", str(tmp_path / "trivy"))
    with pytest.raises(InfraError, match=r"INFRA_TRIVY=.*not an executable file"):
        trivy.scan_root(REPO_ROOT / "terraform" / "bootstrap", BOOTSTRAP, REPO_ROOT)


@pytest.mark.parametrize(("script", "words"), [
    ('echo "Traceback (most recent call last):" >&2; echo "KeyError: boom" >&2; exit 1',
     r"checkov failed .*exit 1.*boom"),
    ("echo 'this is not json'", "output is not JSON: this is not json"),
    ("echo '[1, 2]'", "unexpected JSON output"),
])
def test_a_broken_checkov_is_one_line(monkeypatch, tmp_path, script, words):
    monkeypatch.setenv("INFRA_CHECKOV", fake_tool(tmp_path, "checkov", script))
    with pytest.raises(InfraError, match=words) as exc:
        checkov.scan_root(REPO_ROOT / "terraform" / "bootstrap", BOOTSTRAP, REPO_ROOT)
    assert "\n" not in str(exc.value)


@pytest.mark.parametrize(("script", "words"), [
    ("echo 'FATAL error' >&2; exit 1", r"trivy failed .*exit 1.*FATAL error"),
    ("echo '{'", "output is not JSON"),
    ('printf "2026-01-01T00:00:00Z\\tERROR\\t[terraform parser] Error parsing file\\terr=bad\\n" >&2; echo "{}"',
     r"trivy on .*: \[terraform parser\] Error parsing file err=bad"),
])
def test_a_broken_trivy_is_one_line(monkeypatch, tmp_path, script, words):
    monkeypatch.setenv("INFRA_TRIVY", fake_tool(tmp_path, "trivy", script))
    with pytest.raises(InfraError, match=words) as exc:
        trivy.scan_root(REPO_ROOT / "terraform" / "bootstrap", BOOTSTRAP, REPO_ROOT)
    assert "\n" not in str(exc.value)


def test_unparsable_terraform_is_an_error_not_a_clean_scan(tmp_path):
    (tmp_path / "main.tf").write_text('resource "aws_s3_bucket" "b" {\n  bucket = "x"\n')
    with pytest.raises(InfraError, match=r"checkov could not parse .*main\.tf"):
        checkov.scan_root(tmp_path, "dev", tmp_path)
    with pytest.raises(InfraError, match=r"trivy on .*Error parsing file"):
        trivy.scan_root(tmp_path, "dev", tmp_path)


def test_a_missing_plan_is_an_error(tmp_path):
    with pytest.raises(InfraError, match="no such plan JSON"):
        trivy.scan_plan(tmp_path / "dev.plan.json", "dev", tmp_path)
    with pytest.raises(InfraError, match="no such plan JSON"):
        checkov.scan_plan(tmp_path / "dev.plan.json", "dev", tmp_path)


# --------------------------------------------------------------------------- helpers


def test_trivy_plan_preparation_removes_nulls_and_names_instances_apart():
    plan = {
        "planned_values": {"root_module": {"child_modules": [{"address": "module.m", "resources": [
            {"address": "module.m.aws_s3_bucket.b[0]", "type": "aws_s3_bucket", "name": "b", "index": 0, "values": {}},
            {"address": 'module.m.aws_s3_bucket.b["x-y"]', "type": "aws_s3_bucket", "name": "b", "index": "x-y"},
            {"address": "module.m.aws_vpc.this", "type": "aws_vpc", "name": "this", "values": {}},
        ]}]}},
        "resource_changes": [{"address": "x", "change": {"after": {"resources": [None, "arn:a"]}}}],
    }
    prepared, names = trivy.prepare_plan(plan)
    assert prepared["resource_changes"][0]["change"]["after"]["resources"] == [trivy.UNKNOWN_PLACEHOLDER, "arn:a"]
    assert plan["resource_changes"][0]["change"]["after"]["resources"][0] is None  # the input is left alone
    suffix = "_" + hashlib.md5(b"module.m").hexdigest()
    assert names == {
        f"aws_s3_bucket.b__0{suffix}": "module.m.aws_s3_bucket.b[0]",
        f"aws_s3_bucket.b__x_y{suffix}": 'module.m.aws_s3_bucket.b["x-y"]',
        f"aws_vpc.this{suffix}": "module.m.aws_vpc.this",
    }


def test_file_calls_are_inlined_for_trivy_without_moving_lines(tmp_path):
    (tmp_path / "data.yaml").write_text('a: "${b}"\nc: 1\n')
    root = tmp_path / "root"
    root.mkdir()
    (root / "main.tf").write_text('locals {\n  x = yamldecode(file("${path.module}/../data.yaml"))\n}\n')
    copy_root = trivy.inline_file_calls(root, tmp_path / "copy")
    text = (copy_root / "main.tf").read_text()
    assert text.count("\n") == 3
    assert 'yamldecode("a: \\"$${b}\\"\\nc: 1\\n")' in text


def test_the_scanners_run_offline():
    env = _tools.offline_env()
    assert env["CKV_SKIP_PACKAGE_UPDATE_CHECK"] == "true" and env["TRIVY_SKIP_CHECK_UPDATE"] == "true"
    assert "--skip-download" in checkov._COMMON
    assert {"--skip-check-update", "--skip-version-check", "--disable-telemetry"} <= set(trivy._common("/x"))
