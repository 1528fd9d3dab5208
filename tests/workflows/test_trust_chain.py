"""The CI side of the trust chain: each finding of the security review, reproduced on a copy of the
workflows as they stood (tests/fixtures/before-trust-chain/.github) and gone on the fixed tree, by
`infra workflows check` (the CI trust rules of infra/workflows/trust.py, zizmor's auditor persona and
the linters) and by the simulator."""

from __future__ import annotations

import shutil
from collections import Counter

import pytest
from cli_run import assert_one_line_error, infra

from core.project import REPO_ROOT, Project
from infra.workflows import check, trust
from infra.workflows.simulate import Event, which

BEFORE = REPO_ROOT / "tests" / "fixtures" / "before-trust-chain"
DELIVERY = Project.discover().delivery


@pytest.fixture(scope="module")
def before() -> list[trust.TrustFinding]:
    return trust.check(BEFORE, DELIVERY)


def flagged(found: list[trust.TrustFinding], rule: str, file: str, job: str = "") -> list[str]:
    return [f.message for f in found if f.rule == rule and f.file == file and job in f.job]


def test_the_fixed_workflows_pass_every_trust_rule():
    assert trust.check(REPO_ROOT, DELIVERY) == []


def test_before_pull_request_code_ran_with_the_staging_and_prod_deploy_roles(before):
    # 10-terraform.yml planned every env on a pull request, in the env's GitHub environment.
    for env in ("staging", "prod"):
        assert any(f"runs it in environment '{env}'" in m
                   for m in flagged(before, "RPY-CI-001", "10-terraform.yml", f"({env})/terraform-plan"))
    assert not flagged(before, "RPY-CI-001", "10-terraform.yml", "(dev)/terraform-plan")  # dev: by design


def test_before_signing_secrets_reached_pull_request_builds(before):
    (message,) = flagged(before, "RPY-CI-001", "03-android-release.yml", "release")
    assert "ANDROID_SIGNING_KEY" in message and "outside any environment" in message


def test_before_deploys_asked_for_the_group_their_caller_held(before):
    deadlocked = {f.job for f in before if f.rule == "RPY-CI-002"}
    assert {"release/deploy-ecs", "release/rollback", "deploy/deploy-ecs", "deploy/rollback"} <= deadlocked


def test_before_any_v_tag_deployed_prod(before):
    messages = flagged(before, "RPY-CI-004", "04-unified-deployment.yml")
    assert any("v1.." in m and "v1.2.3-evil" in m for m in messages)


def test_before_the_gate_and_plans_ran_pull_request_code_with_write_scopes(before):
    gate = flagged(before, "RPY-CI-005", "01-validation.yml")
    assert any("checks, pull-requests, security-events" in m for m in gate)
    assert flagged(before, "RPY-CI-005", "10-terraform.yml", "terraform-plan")


def test_before_the_plan_file_and_its_full_json_were_artifacts(before):
    (message,) = flagged(before, "RPY-CI-006", "deploy-pipeline.yml", "terraform-plan")
    assert "plan.tfplan" in message and "plan.json" in message


def test_before_another_run_could_land_between_plan_and_apply(before):
    assert flagged(before, "RPY-CI-007", "04-unified-deployment.yml")
    assert flagged(before, "RPY-CI-007", "11-rds-migrations.yml")


def test_no_pull_request_reaches_staging_or_prod_credentials():
    """What the simulator shows, for a pull request into every branch that matters: no job runs in an
    environment but dev's (the preview), and an OIDC token outside one asks only for a plan role."""
    held = trust.pull_request_credentials(REPO_ROOT, DELIVERY)
    assert held  # the plan jobs and dev's preview do hold credentials
    for job, creds in held.items():
        assert creds.get("environment") in (None, "dev"), job
        assert not creds.get("secrets"), job
        if "environment" not in creds:
            assert creds["oidc"] == ["plan role (read-only)"], job
    for base in ("main", "develop", "release/v1", "feature/x"):
        result = which(REPO_ROOT, Event("pull_request", "refs/pull/1/merge", base), DELIVERY)
        for workflow in result["workflows"]:
            for job, creds in workflow["credentials"].items():
                assert creds.get("environment") in (None, "dev"), (base, workflow["file"], job)


def test_zizmor_auditor_findings_before_and_after():
    found = check.run(BEFORE / ".github", DELIVERY).findings
    counts = Counter(f.rule for f in found if f.rule.startswith("zizmor/") and f.blocking)
    # The review's counts: 30 undocumented permissions, 4 secrets outside an environment, and the
    # concurrency limits (7, one of which the suppressions file accepts for the dev preview, below).
    assert counts["zizmor/undocumented-permissions"] == 30
    assert counts["zizmor/secrets-outside-env"] == 4
    assert counts["zizmor/concurrency-limits"] == 6
    after = check.run(REPO_ROOT / ".github", DELIVERY)
    assert after.passed, [f"{f.resource}: {f.rule}" for f in after.blocking] + [
        line for lines in after.linters.values() for line in lines]
    assert {f.rule for f in after.findings if f.suppressed} == {"zizmor/concurrency-limits"}


def test_cli_check_exit_codes(tmp_path):
    clean = infra("workflows", "check")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "workflows: clean" in clean.stdout
    shutil.copytree(BEFORE / ".github", tmp_path / ".github")
    dirty = infra("workflows", "check", "--dir", str(tmp_path / ".github"))
    assert dirty.returncode == 1
    assert "FAIL 10-terraform.yml:plan-pull-request (prod)/terraform-plan: RPY-CI-001" in dirty.stdout
    assert_one_line_error(infra("workflows", "check", "--dir", str(tmp_path)), "not a .github folder")
    assert_one_line_error(infra("workflows", "check", "--dir", ""), "--dir must name a .github folder")


def test_a_pull_request_job_given_a_deploy_role_is_caught(tmp_path):
    """The rule, not the fixture: take the fixed tree and hand the plan job the deploy role."""
    shutil.copytree(REPO_ROOT / ".github", tmp_path / ".github")
    pipeline = tmp_path / ".github" / "workflows" / "deploy-pipeline.yml"
    text = pipeline.read_text()
    pipeline.write_text(text.replace("role-arn: ${{ steps.role.outputs.arn }}",
                                     "role-arn: ${{ vars.AWS_DEPLOY_ROLE_ARN }}"))
    found = trust.check(tmp_path, DELIVERY)
    assert {f.rule for f in found} == {"RPY-CI-001", "RPY-CI-003"}  # reachable from PRs, and no environment
    assert all("not the read-only plan role" in f.message for f in found if f.rule == "RPY-CI-001")
