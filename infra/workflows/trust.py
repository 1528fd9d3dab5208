"""The CI trust rules: what pull-request code can reach, and how deployments hold their env.

They read the workflow files as GitHub runs them: the simulator (simulate.py) expands reusable
workflows with the inputs their callers pass, evaluates `if:`, environments and concurrency groups,
and caps each called job's permissions by its callers'. Every finding names the file and the job.

  RPY-CI-001  a job reachable from a pull request holds no staging or prod credentials: no OIDC
              token in a GitHub environment other than a tier that takes pull requests (the dev
              preview), no OIDC token outside one except for the read-only plan role, no
              environment-scoped secrets of another environment, no secret outside an environment
  RPY-CI-002  no job or called workflow asks for a concurrency group one of its callers holds
              (GitHub cancels that as a deadlock)
  RPY-CI-003  every job that changes an env (a deploy role, `infra deploy|rollback|migrate|promote|
              flags`, `terraform.sh apply`) runs in a GitHub environment
  RPY-CI-004  tag filters of deploying workflows admit strict semver only, and only the tags
              tiers.yaml's delivery names
  RPY-CI-005  a job that runs a pull request's code holds read scopes only (and an OIDC token, which
              RPY-CI-001 judges): anything that posts or uploads runs in a job of its own, on the base
              branch's code (defence in depth: a pull request's new dependency runs in the first job)
  RPY-CI-006  no artifact holds a plan file, a plan's full JSON or a state: they carry sensitive values
              in clear (hand on the redacted plan and its fingerprint: infra plan-review)
  RPY-CI-007  the jobs of one run that plan or change an env all hold one concurrency group, so no other
              run's apply lands between this run's plan and its apply, migrations and deploy
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.workflows.detect import NONE
from infra.workflows.filters import included
from infra.workflows.simulate import Event, JobRun, Workflow, load, run_event, triggers

PULL_REQUEST = "pull_request"
# Tags that look like versions but are not strict semver: none of them may start a deployment.
NOT_SEMVER = ("v1..", "vX.Y.Z-evil", "v1.2.3-evil", "v1.2", "v1.2.3.4", "v01.2.3x", "v1.2.3-rc.1-evil", "1.2.3")
_CHANGES_AN_ENV = re.compile(r"infra (deploy|rollback|migrate|promote|flags)\b|terraform\.sh apply|terraform apply")
_PLANS_AN_ENV = re.compile(r"terraform\.sh plan|terraform plan")
# Paths an artifact must never hold: plan files, a plan's full JSON, state.
_SECRET_ARTIFACT = re.compile(r"(\.tfplan|tfplan)\b|(^|/)(plan|apply)\.json\b|\.tfstate\b")


@dataclass(frozen=True)
class TrustFinding:
    rule: str
    file: str
    job: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.job}: {self.rule} {self.message}"


def _pr_bases(workflows: list[Workflow]) -> list[str]:
    """Branches a pull request could target: every literal the workflows' filters name, samples of
    their patterns, and a branch none of them names."""
    bases = {"main", "develop", "some-other-branch"}
    for workflow in workflows:
        for pattern in (workflow.on.get(PULL_REQUEST) or {}).get("branches") or []:
            bases.add(_sample(str(pattern).lstrip("!")))
    return sorted(bases)


def _sample(pattern: str) -> str:
    """A concrete name a GitHub filter pattern matches ("release/*" -> "release/x")."""
    sample = re.sub(r"\[([^\]]*)\]\+?", lambda m: m.group(1)[0] if m.group(1) else "x", pattern)
    return sample.replace("**", "x/x").replace("*", "x").replace("?", "").replace("+", "")


def _tier_takes_pull_requests(delivery: dict[str, dict]) -> set[str]:
    return {env for env, d in delivery.items() if (d or {}).get("pull_requests_into")}


def pull_request_reach(repo: Path, delivery: dict[str, dict]) -> tuple[list[TrustFinding], list[tuple[str, JobRun]]]:
    """RPY-CI-001, over a pull request into every base branch that matters."""
    preview = _tier_takes_pull_requests(delivery)
    findings: list[TrustFinding] = []
    seen: list[tuple[str, JobRun]] = []
    for base in _pr_bases(load(repo / ".github" / "workflows")):
        _, runs = run_event(repo, Event(PULL_REQUEST, "refs/pull/1/merge", base), delivery)
        for workflow, jobs in runs:
            for run in jobs:
                seen.append((workflow.file, run))
                findings += _judge_pull_request_job(workflow.file, run, base, preview)
    return sorted(set(findings), key=str), seen


def _judge_pull_request_job(file: str, run: JobRun, base: str, preview: set[str]) -> list[TrustFinding]:
    found = []
    where = f"a pull request into {base}"
    oidc = run.permissions.get("id-token") == "write"
    if run.environment and run.environment not in preview:
        found.append(TrustFinding("RPY-CI-001", file, run.name, f"{where} runs it in environment "
                                  f"{run.environment!r}: its secrets, variables and (with OIDC) its role"))
    if oidc and not run.environment and not run.roles:
        found.append(TrustFinding("RPY-CI-001", file, run.name, f"{where} gives it an OIDC token with no role "
                                  "step to say which role: any role that trusts pull requests"))
    if oidc and not run.environment:
        for role in run.roles:
            if "AWS_PLAN_ROLE_ARNS" not in role:
                found.append(TrustFinding("RPY-CI-001", file, run.name, f"{where} gives it an OIDC token for "
                                          f"{role.split(' <- ')[0]}, not the read-only plan role"))
    if run.secrets and not run.environment:
        found.append(TrustFinding("RPY-CI-001", file, run.name, f"{where} hands it secrets outside any "
                                  f"environment: {', '.join(run.secrets)}"))
    writes = sorted(k for k, v in run.permissions.items() if v == "write" and k != "id-token")
    if run.runs_checkout and writes:
        found.append(TrustFinding("RPY-CI-005", file, run.name, f"{where} runs its code with write scopes: "
                                  f"{', '.join(writes)} (post or upload from a separate job on the base's code)"))
    return found


def _events(workflows: list[Workflow], delivery: dict[str, dict]) -> Iterable[Event]:
    """Events that exercise every trigger: pushes to samples of every branch and tag filter and to each
    tier's delivery refs, pull requests, and each workflow's manual run with each choice."""
    refs = {"refs/heads/main", "refs/heads/develop"}
    for workflow in workflows:
        push = workflow.on.get("push") or {}
        refs |= {f"refs/heads/{_sample(str(p).lstrip('!'))}" for p in push.get("branches") or []}
        refs |= {f"refs/tags/{_sample(str(p).lstrip('!'))}" for p in push.get("tags") or []}
    for d in delivery.values():
        refs |= {f"refs/heads/{_sample(p)}" for p in (d or {}).get("branches", [])}
        refs |= {f"refs/tags/{_sample(p)}" for p in (d or {}).get("tags", [])}
    for ref in sorted(refs):
        yield Event("push", ref)
    for base in _pr_bases(workflows):
        yield Event(PULL_REQUEST, "refs/pull/1/merge", base)
    for workflow in workflows:
        declared = (workflow.on.get("workflow_dispatch") or {}).get("inputs") or {}
        if "workflow_dispatch" not in workflow.on:
            continue
        choices = [{}]
        for name, spec in declared.items():
            if (spec or {}).get("type") == "choice":
                choices = [{**c, name: str(o)} for c in choices for o in spec.get("options") or []]
        for ref in ("refs/heads/main", *(r for r in sorted(refs) if r.startswith("refs/heads/release/"))):
            for chosen in choices:
                required = {n: "x" for n, spec in declared.items()
                            if (spec or {}).get("required") and n not in chosen}
                yield Event("workflow_dispatch", ref, inputs={**chosen, **required})


def concurrency_deadlocks(repo: Path, delivery: dict[str, dict]) -> list[TrustFinding]:
    """RPY-CI-002, over every event the workflows answer."""
    found = set()
    for event in _events(load(repo / ".github" / "workflows"), delivery):
        simulation, _ = run_event(repo, event, delivery)
        for file, job, group in simulation.deadlocks:
            found.add(TrustFinding("RPY-CI-002", file, job, f"asks for concurrency group {group!r}, which a job "
                                   "that calls it holds already: GitHub cancels that as a deadlock"))
    return sorted(found, key=str)


def deploy_jobs_without_environment(repo: Path) -> list[TrustFinding]:
    """RPY-CI-003, on each job as written."""
    found = []
    for workflow in load(repo / ".github" / "workflows"):
        for name, job in (workflow.doc.get("jobs") or {}).items():
            if "steps" not in job or job.get("environment"):
                continue
            text = "\n".join(f"{s.get('uses', '')} {s.get('run', '')} {(s.get('with') or {})}" for s in job["steps"]
                             if isinstance(s, dict))
            if "AWS_DEPLOY_ROLE_ARN" in text or _CHANGES_AN_ENV.search(text):
                found.append(TrustFinding("RPY-CI-003", workflow.file, name, "changes an env (a deploy role or "
                                          "a deploying command) without a GitHub environment"))
    return found


def tag_filters(repo: Path, delivery: dict[str, dict]) -> list[TrustFinding]:
    """RPY-CI-004, on each push trigger that names tags."""
    allowed = {t for d in delivery.values() for t in (d or {}).get("tags", [])}
    found = []
    for workflow in load(repo / ".github" / "workflows"):
        tags = [str(t) for t in ((workflow.on.get("push") or {}).get("tags") or [])]
        if not tags:
            continue
        loose = [t for t in NOT_SEMVER if included(tags, t)]
        if loose:
            found.append(TrustFinding("RPY-CI-004", workflow.file, "on.push.tags", f"{tags} admits tags that are not "
                                      f"strict semver: {', '.join(loose)}"))
        unknown = [t for t in tags if t.lstrip("!") not in allowed]
        if unknown:
            found.append(TrustFinding("RPY-CI-004", workflow.file, "on.push.tags", f"{', '.join(unknown)} is not a "
                                      f"tag pattern of tiers.yaml's delivery ({', '.join(sorted(allowed)) or 'none'})"))
    return found


def secret_artifacts(repo: Path) -> list[TrustFinding]:
    """RPY-CI-006, on every upload-artifact step as written."""
    found = []
    for workflow in load(repo / ".github" / "workflows"):
        for name, job in (workflow.doc.get("jobs") or {}).items():
            for step in job.get("steps") or []:
                if not str(step.get("uses", "")).startswith("actions/upload-artifact@"):
                    continue
                paths = [p.strip() for p in str((step.get("with") or {}).get("path", "")).splitlines() if p.strip()]
                leaking = [p for p in paths if _SECRET_ARTIFACT.search(p)]
                if leaking:
                    found.append(TrustFinding("RPY-CI-006", workflow.file, name, f"uploads {', '.join(leaking)}: "
                                              "plan files, full plan JSON and state hold sensitive values in clear"))
    return found


def serialised_runs(repo: Path, delivery: dict[str, dict]) -> list[TrustFinding]:
    """RPY-CI-007, over every event the workflows answer."""
    found = set()
    for event in _events(load(repo / ".github" / "workflows"), delivery):
        _, runs = run_event(repo, event, delivery)
        for workflow, jobs in runs:
            changing = [r for r in jobs if r.environment and _CHANGES_AN_ENV.search(r.step_text)]
            if not changing:
                continue
            involved = changing + [r for r in jobs if _PLANS_AN_ENV.search(r.step_text)]
            common = set.intersection(*(set(r.concurrency) for r in involved))
            if not common:
                held = "; ".join(f"{r.name}: {', '.join(r.concurrency) or 'none'}" for r in involved)
                found.add(TrustFinding("RPY-CI-007", workflow.file, "(run)", "the jobs that plan and change the env "
                                       f"hold no concurrency group in common, so another run can land between them "
                                       f"({held})"))
    return sorted(found, key=str)


def check(repo: Path, delivery: dict[str, dict]) -> list[TrustFinding]:
    """Every finding of the rules on the workflows of `repo` (its .github/workflows)."""
    reach, _ = pull_request_reach(repo, delivery)
    return [*reach, *concurrency_deadlocks(repo, delivery), *deploy_jobs_without_environment(repo),
            *tag_filters(repo, delivery), *secret_artifacts(repo), *serialised_runs(repo, delivery)]


def pull_request_credentials(repo: Path, delivery: dict[str, dict]) -> dict[str, dict[str, Any]]:
    """Every job a pull request runs that holds credentials, with what it holds (the simulator's view)."""
    from infra.workflows.simulate import credentials

    _, seen = pull_request_reach(repo, delivery)
    return {f"{file}: {run.name}": held for file, run in seen if (held := credentials(run))}


__all__ = ["NONE", "TrustFinding", "check", "pull_request_credentials", "triggers"]
