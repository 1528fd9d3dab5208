"""`infra workflows which` on the real workflow files: the seed's four execution sequences, GitHub's
trigger-filter rules, and the expressions the jobs' `if:` conditions use."""

from __future__ import annotations

import json
import shutil

import pytest
from cli_run import assert_one_line_error, infra

from core.errors import InfraError, InputError
from core.project import REPO_ROOT, Project
from infra.workflows.expressions import Evaluator, interpolate
from infra.workflows.simulate import Event, which

DELIVERY = Project.discover().delivery
# A change to the application and both mobile apps: every workflow the seed's sequences name has
# something to do, and no infrastructure-only workflow (10, 11) is pulled in.
APP_CHANGE = ["backend/src/auth.ts", "mobile/android/app/build.gradle", "mobile/ios/App/AppDelegate.swift"]


def run(name, ref, base=None, changed=APP_CHANGE, **inputs):
    return which(REPO_ROOT, Event(name, ref, base, changed, inputs), DELIVERY)


def numbers(result) -> list[str]:
    """The seed's workflow numbers (04u for the unified deployment) of what ran."""
    out = []
    for workflow in result["workflows"]:
        number = workflow["file"][:2]
        out.append("04u" if workflow["file"].startswith("04-unified") else number)
    return out


def jobs(result, prefix):
    (workflow,) = [w for w in result["workflows"] if w["file"].startswith(prefix)]
    return workflow["jobs"]


UNIFIED_DEPLOY = ["deploy/terraform-apply", "deploy/database-migrations", "deploy/deploy-ecs", "deploy/health-check",
                  "deploy/e2e-tests", "deploy/rollback (on failure)", "deploy/deployment-summary"]


def test_feature_branch_push():
    result = run("push", "refs/heads/feature/new-auth")
    assert numbers(result) == ["01", "02", "04u", "05"]  # 01, 02, 04 -> dev and 05, in parallel
    assert result["environment"] == "dev"
    unified = jobs(result, "04-unified")
    # One call of the pipeline (the env's concurrency group held throughout): validate, build and plan side by side.
    assert unified[:4] == ["determine-environment/detect", "deploy/validate/backend", "deploy/build/build",
                           "deploy/terraform-plan"]
    assert unified[4:] == UNIFIED_DEPLOY  # migrations before the deploy, rollback only on a failure


def test_pull_request_to_develop():
    result = run("pull_request", "refs/heads/feature/new-auth", base="develop")
    assert numbers(result) == ["01", "02", "05", "06"]  # 01, 02, 06 and the optional 05 preview
    assert "infra-gate/gate" not in jobs(result, "01-")  # the application changed, not the infrastructure


def test_release_branch_then_its_pull_request_to_main():
    pushed = run("push", "refs/heads/release/v1.2.0")
    assert "04u" in numbers(pushed) and pushed["environment"] == "staging"
    pr = run("pull_request", "refs/heads/release/v1.2.0", base="main")
    assert numbers(pr) == ["02", "03", "07"]  # mobile build, Android build, release tests
    assert pr["environment"] == "none"


def test_main_merge_and_version_tag():
    merged = run("push", "refs/heads/main")
    assert numbers(merged) == ["02", "03", "04u", "08", "09"]  # 08, 09, 02, 03, then 04 -> prod
    assert merged["environment"] == "prod"
    assert jobs(merged, "04-unified")[4:] == UNIFIED_DEPLOY
    tagged = run("push", "refs/tags/v1.2.0")
    assert numbers(tagged) == ["04u"] and tagged["environment"] == "prod"


def test_path_filters_decide_which_workflows_a_change_wakes():
    infra_only = run("push", "refs/heads/feature/x", changed=["terraform/modules/network/main.tf"])
    assert numbers(infra_only) == ["01", "04u", "05", "10"]  # no mobile build; the Terraform workflow
    assert jobs(infra_only, "01-") == ["changes"]  # neither the application checks nor (on a push) the gate
    docs_only = run("push", "refs/heads/feature/x", changed=["docs/guide.md", "README.md"])
    assert "04u" not in numbers(docs_only)  # paths-ignore: a docs-only push deploys nothing
    gate = run("pull_request", "refs/heads/feature/x", base="develop", changed=["policy/rules/sizing.py"])
    assert "infra-gate/gate" in jobs(gate, "01-") and "infra-gate/gate" in jobs(gate, "06-")
    migration = run("push", "refs/heads/main", changed=["backend/migrations/0002_add.sql"])
    assert "11" in numbers(migration)
    assert "migrate/database-migrations" in jobs(migration, "11-")


def test_branch_and_tag_filters():
    assert numbers(run("push", "refs/heads/bugfix/crash")) == ["01"]  # 02 builds feature/*, release/*, main
    assert numbers(run("push", "refs/heads/develop")) == []  # develop deploys and tests nothing by itself
    assert numbers(run("push", "refs/heads/feature/a/b")) == []  # feature/* does not match across /
    assert numbers(run("push", "refs/tags/release-1")) == []  # no v*.*.* tag
    assert numbers(run("pull_request", "refs/heads/x", base="release/v1")) == ["02"]


def test_manual_dispatch_takes_the_chosen_environment():
    result = run("workflow_dispatch", "refs/heads/main", changed=None, environment="staging")
    assert result["environment"] == "staging"
    unified = jobs(result, "04-unified")
    assert unified[-len(UNIFIED_DEPLOY):] == UNIFIED_DEPLOY
    assert {w["file"][:2] for w in result["workflows"]} >= {"00", "04", "10", "11", "15"}


def test_without_changed_files_path_filters_are_assumed_and_said_so():
    result = which(REPO_ROOT, Event("push", "refs/heads/feature/x"), DELIVERY)
    assert result["assumed"] and "10" in numbers(result)


@pytest.mark.parametrize(("args", "message"), [
    (("pushh", "refs/heads/main"), "unknown event 'pushh'"),
    (("pull_request", "refs/heads/x"), "needs --base"),
    (("push", "refs/heads/main", "develop"), "--base is for pull_request"),
    (("push", "v1.2.3"), "could be a branch or a tag"),
    (("push", "refs/pull/1/merge"), "runs on a branch or a tag"),
])
def test_bad_events_are_errors(args, message):
    with pytest.raises(InfraError, match=message):
        which(REPO_ROOT, Event(*args), DELIVERY)


def test_a_broken_workflow_file_is_named(tmp_path):
    shutil.copytree(REPO_ROOT / ".github", tmp_path / ".github")
    (tmp_path / ".github" / "workflows" / "99-broken.yml").write_text("on: push\njobs: [\n")
    with pytest.raises(InputError, match=r"99-broken\.yml:3: the workflow is not valid YAML"):
        which(tmp_path, Event("push", "refs/heads/main", changed=[]), DELIVERY)


def test_cli_json_and_text():
    proc = infra("workflows", "which", "--event", "push", "--ref", "refs/heads/feature/x", "--format", "json",
                 *[arg for path in APP_CHANGE for arg in ("--changed", path)])
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["environment"] == "dev"
    assert {"file", "name", "jobs", "credentials"} == set(doc["workflows"][0])
    text = infra("workflows", "which", "--event", "push", "--ref", "refs/tags/v2.0.0")
    assert "-> environment: prod" in text.stdout and "deploy/rollback (on failure)" in text.stdout
    assert "deploy/terraform-apply  [environment prod; OIDC: deploy role]" in text.stdout
    assert_one_line_error(infra("workflows", "which", "--event", "pull_request", "--ref", "refs/heads/x"),
                          "needs --base")


# --- the expressions -------------------------------------------------------------------------------


@pytest.mark.parametrize(("expression", "expected"), [
    ("github.ref == 'REFS/HEADS/MAIN'", True),  # string comparison ignores case
    ("github.base_ref || 'none'", "none"),  # || returns an operand
    ("needs.a.outputs.x && 'yes'", "yes"),
    ("!contains(inputs.parts, 'plan')", False),
    ("contains(fromJSON('[\"a\",\"b\"]'), 'B')", True),
    ("startsWith(github.ref, 'refs/heads/')", True),
    ("format('deploy-{0}-{1}', 'x', 2)", "deploy-x-2"),
    ("inputs['parts']", "plan,apply"),
    ("missing.thing == null", True),
    ("1 < '2'", True),
    ("${{ (github.event_name == 'push') && !(inputs.parts == 'plan') }}", True),
])
def test_expressions_follow_github(expression, expected):
    context = {"github": {"ref": "refs/heads/main", "base_ref": "", "event_name": "push"},
               "needs": {"a": {"outputs": {"x": "1"}}}, "inputs": {"parts": "plan,apply"}}
    assert Evaluator(context).evaluate(expression) == expected


def test_interpolation_and_bad_expressions():
    evaluator = Evaluator({"github": {"run_id": 7}})
    assert interpolate(evaluator, "gha-${{ github.run_id }}-x") == "gha-7-x"
    assert interpolate(evaluator, "${{ github.run_id }}") == 7
    assert interpolate(evaluator, "plain") == "plain"
    for bad in ("github.ref ==", "nosuch(1)", "'unclosed", "(a"):
        with pytest.raises(InfraError):
            evaluator.evaluate(bad)
