"""The workflow files themselves: one per seed workflow, their triggers, and the hardening rules,
checked on the YAML; then the real linters (actionlint with shellcheck, zizmor, yamllint) on .github/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from core.project import REPO_ROOT, Project
from infra.workflows import lint

WORKFLOWS = REPO_ROOT / ".github" / "workflows"
ACTIONS = REPO_ROOT / ".github" / "actions"
FILES = sorted(WORKFLOWS.glob("*.yml"))
ACTION_FILES = sorted(ACTIONS.glob("*/action.yml"))
SHA_PIN = re.compile(r"^\s*(?:-\s+)?uses:\s+(?P<action>[^@\s]+)@(?P<ref>\S+)(?P<comment>\s+#\s*v\d[\w.\-]*)?\s*$")


def load(path: Path) -> dict:
    doc = yaml.safe_load(path.read_text())
    if True in doc:  # YAML 1.1 reads the key `on` as the boolean true
        doc["on"] = doc.pop(True)
    return doc


def triggers(path: Path) -> dict:
    on = load(path)["on"]
    return {name: {} for name in on} if isinstance(on, list) else {k: (v or {}) for k, v in on.items()}


SEED = {  # file prefix -> (events the seed names, the branch filter of push or pull_request where it names one)
    "00-": ({"workflow_dispatch"}, None),
    "01-": ({"push", "pull_request"}, ["feature/*", "bugfix/*", "chore/*"]),  # PRs: into develop
    "02-": ({"push", "pull_request"}, ["feature/*", "release/*", "main"]),
    "03-android": ({"push", "pull_request", "workflow_dispatch"}, ["main"]),
    "04-ios": ({"workflow_dispatch"}, None),
    "04-unified": ({"push", "workflow_dispatch"}, ["feature/*", "release/*", "main"]),
    "05-": ({"push", "pull_request"}, ["feature/*"]),
    "06-": ({"pull_request"}, ["develop"]),
    "07-": ({"push", "pull_request", "workflow_dispatch"}, ["release/*"]),
    "08-": ({"push"}, ["main"]),
    "09-": ({"push"}, ["main"]),
    "10-": ({"push", "pull_request", "workflow_dispatch"}, ["feature/*", "release/*", "main"]),
    "11-": ({"push", "workflow_dispatch"}, ["main", "develop", "release/*"]),
    "12-": ({"workflow_dispatch"}, None),
    "13-": ({"workflow_dispatch"}, None),
    "14-": ({"workflow_dispatch"}, None),
    "15-": ({"workflow_dispatch"}, None),
}


def seed_file(prefix: str) -> Path:
    (path,) = [p for p in FILES if p.name.startswith(prefix)]
    return path


@pytest.mark.parametrize("prefix", SEED)
def test_each_seed_workflow_has_its_file_and_triggers(prefix):
    events, branches = SEED[prefix]
    on = triggers(seed_file(prefix))
    assert set(on) == events
    if branches:
        event = "push" if "push" in on else "pull_request"
        assert on[event].get("branches") == branches


def test_the_unified_deployment_takes_version_tags_and_a_manual_environment():
    on = triggers(seed_file("04-unified"))
    # Strict semver, exactly tiers.yaml's prod delivery tags (RPY-CI-004 checks any workflow's).
    assert on["push"]["tags"] == Project.discover().delivery["prod"]["tags"]
    assert on["workflow_dispatch"]["inputs"]["environment"]["options"] == ["dev", "staging", "prod"]


def test_no_workflow_runs_on_pull_request_target_and_all_start_without_permissions():
    for path in FILES:
        assert "pull_request_target" not in triggers(path), path.name
        assert load(path).get("permissions") == {}, f"{path.name}: top-level permissions must be {{}}"


def jobs():
    for path in FILES:
        for name, job in load(path)["jobs"].items():
            yield path, name, job


def test_every_job_that_runs_has_a_timeout_and_declares_its_permissions():
    for path, name, job in jobs():
        assert "permissions" in job, f"{path.name}:{name} inherits permissions"
        if "runs-on" in job:
            assert isinstance(job.get("timeout-minutes"), int), f"{path.name}:{name} has no timeout"


def steps(job: dict) -> list[dict]:
    return job.get("steps", [])


def test_id_token_only_where_aws_is_reached():
    for path, name, job in jobs():
        wants = (job.get("permissions") or {}).get("id-token") == "write"
        uses_oidc = any("aws-oidc" in str(s.get("uses", "")) for s in steps(job))
        calls = job.get("uses", "")
        if "runs-on" in job:
            assert wants == uses_oidc, f"{path.name}:{name}: id-token {'without' if wants else 'missing for'} OIDC"
        elif wants:  # a reusable workflow: one of its jobs must use OIDC
            called = load(REPO_ROOT / calls.removeprefix("./"))
            assert any("aws-oidc" in str(s.get("uses", "")) for j in called["jobs"].values() for s in steps(j)), name


def test_checkout_never_keeps_the_token():
    for path in [*FILES, *ACTION_FILES]:
        for job in load(path).get("jobs", {"_": {"steps": load(path).get("runs", {}).get("steps", [])}}).values():
            for step in steps(job):
                if str(step.get("uses", "")).startswith("actions/checkout@"):
                    assert step.get("with", {}).get("persist-credentials") is False, path.name


def test_no_event_data_or_inputs_are_expanded_inside_run():
    pattern = re.compile(r"\$\{\{\s*(github\.event\.|inputs\.)")
    for path in [*FILES, *ACTION_FILES]:
        doc = load(path)
        all_steps = [s for j in doc.get("jobs", {}).values() for s in steps(j)] + doc.get("runs", {}).get("steps", [])
        for step in all_steps:
            assert not pattern.search(str(step.get("run", ""))), f"{path.name}: {step.get('name') or step['run'][:40]}"


def test_every_remote_action_is_pinned_by_full_sha_with_its_version():
    seen = 0
    for path in [*FILES, *ACTION_FILES]:
        for line in path.read_text().splitlines():
            match = SHA_PIN.match(line)
            if not match or match["action"].startswith("./"):
                continue
            seen += 1
            assert re.fullmatch(r"[0-9a-f]{40}", match["ref"]), f"{path.name}: {line.strip()} is not pinned by SHA"
            assert match["comment"], f"{path.name}: {line.strip()} has no version comment"
    assert seen > 10


def test_env_jobs_use_their_environment_and_one_deploy_at_a_time():
    doc = load(WORKFLOWS / "deploy-pipeline.yml")
    pipeline = doc["jobs"]
    for name in ("terraform-apply", "database-migrations", "deploy-ecs", "health-check", "rollback"):
        assert pipeline[name]["environment"] == "${{ inputs.environment }}", name
    # The env's one concurrency group is the whole pipeline's, never a job's (that would deadlock).
    assert "deploy-{0}" in doc["concurrency"]["group"] and doc["concurrency"]["cancel-in-progress"] is False
    holders = [(p.name, n) for p, n, job in jobs() if "deploy-" in str(job.get("concurrency", ""))]
    assert holders == []
    # The plan runs with no environment, and so with the read-only plan role only.
    assert "environment" not in pipeline["terraform-plan"]
    # Migrations before the deploy; rollback after any failure past the apply; never a destroy.
    assert "database-migrations" in pipeline["deploy-ecs"]["needs"]
    assert "failure()" in pipeline["rollback"]["if"]
    commands = [str(s.get("run", "")) for j in pipeline.values() for s in steps(j)]
    commands += [p.read_text() for p in (REPO_ROOT / "scripts" / "ci").glob("*.sh")]
    assert not [c for c in commands if re.search(r"\bdestroy\b|-destroy", c)]


def test_the_deploy_logic_lives_in_one_reusable_pipeline():
    callers = {p.name for p, _, job in jobs() if job.get("uses") == "./.github/workflows/deploy-pipeline.yml"}
    assert {seed_file(p).name for p in ("04-unified", "05-", "10-", "11-", "12-", "13-", "14-")} <= callers
    for path in FILES:
        if path.name != "deploy-pipeline.yml":
            commands = " ".join(str(s.get("run", "")) for j in load(path)["jobs"].values() for s in steps(j))
            assert "infra deploy" not in commands and "infra rollback" not in commands, path.name


@pytest.mark.parametrize("linter", sorted(lint.LINTERS))
def test_the_linters_report_nothing(linter):
    assert lint.LINTERS[linter](REPO_ROOT) == []


def test_no_step_body_is_written_in_two_files():
    """Shared steps live in composite actions, reusable workflows or scripts/ci, not copied between files."""
    seen: dict[str, str] = {}
    for path in [*FILES, *ACTION_FILES]:
        doc = load(path)
        bodies = {str(s["run"]).strip() for j in doc.get("jobs", {}).values() for s in steps(j) if "run" in s}
        bodies |= {str(s["run"]).strip() for s in doc.get("runs", {}).get("steps", []) if "run" in s}
        for body in bodies:
            if len(body) > 40:  # one short command (`make test`) may appear twice
                assert body not in seen, f"{path.name} repeats a step of {seen[body]}: {body[:60]}"
                seen[body] = path.name


def report_problems(workflows: Path) -> list[str]:
    """Why the plan's or the gate's report would not reach the pull request when the policy fails."""
    problems = []
    pipeline = load(workflows / "deploy-pipeline.yml")["jobs"]
    gate = load(workflows / "infra-gate.yml")["jobs"]
    uploads = [(name, s) for name, job in (("plan", pipeline["terraform-plan"]), ("gate", gate["gate"]))
               for s in steps(job) if "upload-artifact" in str(s.get("uses", ""))]
    problems += [f"{name}: the report is uploaded only when every step passed" for name, s in uploads
                 if "cancelled()" not in str(s.get("if", "")) and "always()" not in str(s.get("if", ""))]
    if not uploads or len(uploads) < 2:
        problems.append("a report is never uploaded for a job of its own to post")
    posters = [(n, j) for n, j in (("plan-comment", pipeline.get("plan-comment")), ("publish", gate.get("publish")))]
    for name, job in posters:
        if job is None:
            problems.append(f"{name}: no separate job posts the report")
            continue
        if "cancelled()" not in str(job.get("if", "")) and "always()" not in str(job.get("if", "")):
            problems.append(f"{name}: does not run when the job before it failed")
        checkouts = [s for s in steps(job) if str(s.get("uses", "")).startswith("actions/checkout@")]
        if any("base.sha" not in str((s.get("with") or {}).get("ref", "")) for s in checkouts):
            problems.append(f"{name}: runs the pull request's code")
    if set(gate["gate"].get("permissions", {})) != {"contents"}:
        problems.append("gate: the job that runs the pull request's code holds write scopes")
    return problems


def test_reports_reach_the_pull_request_when_the_policy_fails():
    """The plan's and the gate's reports are uploaded even after a failing step, and posted by a job that
    runs when the job before it failed, on the base branch's code. Before the review, they were not."""
    assert report_problems(WORKFLOWS) == []
    before = report_problems(REPO_ROOT / "tests" / "fixtures" / "before-trust-chain" / ".github" / "workflows")
    assert "plan: the report is uploaded only when every step passed" in before
    assert "publish: no separate job posts the report" in before
