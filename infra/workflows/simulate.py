"""`infra workflows which`: what an event runs, read from the real workflow files.

For an event (push, pull_request, workflow_dispatch, create) on a ref, with the files it changed:

- which workflows trigger, under GitHub's rules: `branches`/`tags` (and -ignore) against the pushed
  ref, or against a pull request's base; `paths` (and -ignore) against the changed files (never for
  tag pushes); a push filter that names only branches ignores tags, and the other way round;
- which of their jobs run, in `needs` order, with each `if:` evaluated as GitHub evaluates it
  (expressions.py): a job without a status function needs every job it needs to have succeeded;
  reusable workflows are expanded (`caller/job`) with the inputs the caller passes;
- step outputs the simulation knows: `infra detect-env` (the same function the job runs) and
  dorny/paths-filter (the repository's filter file against the changed files);
- jobs that run only when something failed (the rollback) are listed as such.

Without --changed, path filters are taken to match, and the result says so.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core import reading
from core.errors import InfraError
from infra.workflows.detect import NONE, Ref, detect
from infra.workflows.expressions import Evaluator, interpolate, truthy, unwrap, uses_status_function
from infra.workflows.filters import included

EVENTS = ("push", "pull_request", "workflow_dispatch", "create")


@dataclass
class Event:
    name: str
    ref: str
    base: str | None = None
    changed: list[str] | None = None
    inputs: dict[str, str] = field(default_factory=dict)

    def __post_init__(self):
        if self.name not in EVENTS:
            raise InfraError(f"unknown event '{self.name}'; the simulator knows {', '.join(EVENTS)}")
        if self.name == "pull_request" and not self.base:
            raise InfraError("a pull_request needs --base (the branch it merges into)")
        if self.base and self.name != "pull_request":
            raise InfraError(f"--base is for pull_request events, not {self.name}")
        if self.inputs and self.name != "workflow_dispatch":
            raise InfraError(f"inputs come only with workflow_dispatch, not with {self.name}")


@dataclass
class Workflow:
    file: str
    name: str
    on: dict
    doc: dict


_READ: dict[tuple[str, int, int], dict] = {}  # (path, mtime, size) -> the parsed workflow


def read(path: Path) -> dict:
    """A workflow file, parsed (once per version of the file: the trust rules simulate many events)."""
    try:
        stat = path.stat()
    except OSError as exc:
        raise InfraError(f"{path}: cannot read the workflow ({exc.strerror})") from None
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key not in _READ:
        _READ[key] = _parse(path)
    return _READ[key]


def _parse(path: Path) -> dict:
    doc = reading.read_yaml(path, "workflow")
    if not isinstance(doc, dict) or not isinstance(doc.get("jobs"), dict):
        raise InfraError(f"{path}: not a workflow (no jobs)")
    if True in doc:  # YAML 1.1 reads the key `on` as the boolean true
        doc["on"] = doc.pop(True)
    return doc


def triggers(doc: dict) -> dict[str, dict]:
    on = doc.get("on")
    if isinstance(on, str):
        return {on: {}}
    if isinstance(on, list):
        return {event: {} for event in on}
    if isinstance(on, dict):
        return {event: (config or {}) for event, config in on.items()}
    return {}


def load(folder: Path) -> list[Workflow]:
    if not folder.is_dir():
        raise InfraError(f"no workflow folder at {folder}")
    workflows = []
    for path in sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")]):
        doc = read(path)
        workflows.append(Workflow(path.name, str(doc.get("name") or path.name), triggers(doc), doc))
    return workflows


def _paths_match(config: dict, changed: list[str] | None) -> bool:
    if changed is None:
        return True
    if "paths" in config:
        return any(included(config["paths"], path) for path in changed)
    if "paths-ignore" in config:
        return any(not included(config["paths-ignore"], path) for path in changed)
    return True


def _refs_match(config: dict, ref: Ref) -> bool:
    branches = "branches" in config or "branches-ignore" in config
    tags = "tags" in config or "tags-ignore" in config
    if ref.kind == "branch":
        if tags and not branches:
            return False
        if "branches" in config:
            return included(config["branches"], ref.name)
        return not included(config.get("branches-ignore", []), ref.name)
    if branches and not tags:
        return False
    if "tags" in config:
        return included(config["tags"], ref.name)
    return not included(config.get("tags-ignore", []), ref.name)


def triggered(workflow: Workflow, event: Event) -> bool:
    if event.name not in workflow.on:
        return False
    config = workflow.on[event.name]
    if event.name == "push":
        ref = Ref.parse(event.ref)
        if ref.kind not in ("branch", "tag"):
            raise InfraError(f"a push runs on a branch or a tag, not on {event.ref}")
        return _refs_match(config, ref) and (ref.kind == "tag" or _paths_match(config, event.changed))
    if event.name == "pull_request":
        base = Ref.parse(event.base)
        return _refs_match({k: v for k, v in config.items() if k.startswith("branches")}, base) and _paths_match(
            config, event.changed
        )
    return True  # workflow_dispatch and create take no filters


class StepOutputs(dict):
    """A step's outputs: the ones the simulation computes, and a stand-in for any other (a build's
    digest, say), since a step that ran has set its outputs."""

    def __init__(self, step_id: str, known: dict[str, str]):
        super().__init__(known)
        self.step_id = step_id

    def get(self, key, default=None):
        return super().get(key, f"<{self.step_id}.{key}>")


@dataclass
class JobRun:
    name: str
    when: str  # "runs" or "on failure"
    after: list[str] = field(default_factory=list)  # the runs it waits for (its `needs`, expanded)
    # What the job holds when it runs (the trust rules read these; infra/workflows/trust.py):
    file: str = ""  # the workflow file that defines the job
    environment: str | None = None  # its GitHub environment, evaluated
    permissions: dict[str, str] = field(default_factory=dict)  # effective: capped by every calling job
    secrets: list[str] = field(default_factory=list)  # secrets.<NAME> it references (but GITHUB_TOKEN)
    roles: list[str] = field(default_factory=list)  # the role-arn expressions of its AWS OIDC steps
    concurrency: list[str] = field(default_factory=list)  # groups held by it and every caller, outermost first
    runs_checkout: bool = False  # runs code it checked out of the event's commit (not the base branch's)
    step_text: str = ""  # its steps, env and inputs as JSON text (for the rules that look for commands)


_LEVELS = {"none": 0, "read": 1, "write": 2}
_SECRET = re.compile(r"\bsecrets\.([A-Za-z_][A-Za-z0-9_]*)")


def capped(job_permissions: Any, cap: dict[str, str] | None) -> dict[str, str]:
    """A job's permissions as GitHub grants them: a called workflow's job never gets more than the
    calling job (scopes the caller does not name are none)."""
    if isinstance(job_permissions, str):  # read-all / write-all
        level = job_permissions.split("-")[0]
        job_permissions = {scope: level for scope in (cap or {"contents": level, "id-token": level})}
    own = {k: str(v) for k, v in (job_permissions or {}).items()}
    if cap is None:
        return own
    return {k: min(v, cap.get(k, "none"), key=lambda lv: _LEVELS.get(lv, 0)) for k, v in own.items()}


class Simulation:
    def __init__(self, repo: Path, event: Event, delivery: dict[str, dict]):
        self.repo, self.event, self.delivery = repo, event, delivery
        # A job or called workflow that asks for a concurrency group one of its callers holds: GitHub
        # cancels that as a deadlock. (file, job, group) of each.
        self.deadlocks: list[tuple[str, str, str]] = []
        ref = Ref.parse(event.ref)
        self.github = {
            "event_name": event.name,
            "ref": event.ref if event.ref.startswith("refs/") else f"refs/heads/{event.ref}",
            "ref_name": ref.name,
            "ref_type": ref.kind,
            "base_ref": event.base or "",
            "sha": "0" * 40,
        }

    def environment(self, chosen: str | None = None) -> str:
        """What `infra detect-env` answers for the event, with a manual choice (the dispatch input by default)."""
        chosen = chosen if chosen is not None else self.event.inputs.get("environment")
        base = Ref.parse(self.event.base).name if self.event.base else None
        inputs = {"environment": chosen} if chosen else None
        return detect(self.event.name, self.event.ref, self.delivery, inputs, base).environment

    # --- steps whose outputs the simulation knows --------------------------------------------------

    def _step_outputs(self, step: dict, evaluator: Evaluator) -> dict[str, str]:
        uses, run = str(step.get("uses", "")), str(step.get("run", ""))
        if "infra detect-env" in run:
            chosen = interpolate(evaluator, (step.get("env") or {}).get("CHOSEN", ""))
            return {"environment": self.environment(chosen or "")}
        if uses.startswith("dorny/paths-filter@"):
            spec = (step.get("with") or {}).get("filters", "")
            filters = (
                reading.read_yaml(self.repo / spec, "paths filter")
                if spec.endswith((".yml", ".yaml"))
                else reading.loads_yaml(spec, "dorny/paths-filter", "filters input")
            )
            return {
                name: "true"
                if self.event.changed is None or any(included(list(patterns), path) for path in self.event.changed)
                else "false"
                for name, patterns in (filters or {}).items()
            }
        return {}

    # --- jobs --------------------------------------------------------------------------------------

    def run_workflow(
        self, doc: dict, inputs: dict[str, Any], prefix: str = "", base_after: tuple[str, ...] = (),
        file: str = "", cap: dict[str, str] | None = None, held: tuple[str, ...] = (),
    ) -> tuple[list[JobRun], dict]:
        jobs: dict = doc["jobs"]
        group = self._group(doc.get("concurrency"), {"github": self.github, "inputs": inputs, "vars": {}})
        if group is not None:
            if group in held:
                self.deadlocks.append((file, prefix.rstrip("/") or "(workflow)", group))
            held = (*held, group)
        results: dict[str, dict] = {}
        exits: dict[str, list[str]] = {}  # job -> the runs whose end is that job's end
        runs: list[JobRun] = []
        for name in self._order(jobs):
            job = jobs[name]
            needs = self._needs(job)
            after = sorted({e for n in needs for e in exits[n]}) if needs else list(base_after)
            context = {
                "github": self.github,
                "inputs": inputs,
                "vars": {},
                "needs": {n: results[n] for n in needs},
                "env": {},
                "secrets": {},
            }
            if not self._runs(job, needs, results, context, failed=False):
                results[name] = {"result": "skipped", "outputs": {}}
                exits[name] = after  # a skipped job ends when what it waited for ended
                if self._runs(job, needs, results, context, failed=True):
                    runs.append(self._job_run(job, f"{prefix}{name}", "on failure", after, context, file, cap, held))
                continue
            outputs: dict[str, Any] = {}
            exits[name] = []
            for values in self._matrix(job):
                label = f"{prefix}{name}" + (f" ({', '.join(map(str, values.values()))})" if values else "")
                scope = {**context, "matrix": values}
                if "uses" in job:
                    job_group = self._group(job.get("concurrency"), scope)
                    if job_group is not None and job_group in held:
                        self.deadlocks.append((file, label, job_group))
                    inner, outputs = self._call(job, scope, f"{label}/", tuple(after), capped(
                        job.get("permissions"), cap), (*held, *([job_group] if job_group else [])))
                    runs.extend(inner)
                    waited = {a for run in inner for a in run.after}
                    exits[name] += [r.name for r in inner if r.when == "runs" and r.name not in waited]
                else:
                    runs.append(self._job_run(job, label, "runs", after, scope, file, cap, held))
                    outputs = self._job_outputs(job, scope)
                    exits[name].append(label)
            results[name] = {"result": "success", "outputs": outputs}
        return runs, results

    def _group(self, spec: Any, context: dict) -> str | None:
        """A concurrency group, evaluated ("deploy-prod"); None when there is none."""
        group = spec.get("group") if isinstance(spec, dict) else spec
        if group is None:
            return None
        return str(interpolate(Evaluator(context), str(group))).strip().lower()  # GitHub compares them case-blind

    def _job_run(self, job: dict, label: str, when: str, after: list[str], context: dict, file: str,
                 cap: dict[str, str] | None, held: tuple[str, ...]) -> JobRun:
        evaluator = Evaluator(context)
        environment = job.get("environment")
        if isinstance(environment, dict):
            environment = environment.get("name")
        environment = str(interpolate(evaluator, str(environment))) if environment is not None else None
        own = self._group(job.get("concurrency"), context)
        if own is not None and own in held:
            self.deadlocks.append((file, label, own))
        steps = job.get("steps") or []
        by_id = {str(s["id"]): s for s in steps if isinstance(s, dict) and s.get("id")}
        roles = []
        for step in steps:
            if any(a in str(step.get("uses", "")) for a in ("aws-oidc", "configure-aws-credentials")):
                arn = str((step.get("with") or {}).get("role-arn") or (step.get("with") or {}).get("role-to-assume"))
                # A role computed by an earlier step: what that step reads is where the role comes from.
                source = [json.dumps(by_id[i], default=str) for i in re.findall(r"steps\.([\w-]+)\.outputs", arn)
                          if i in by_id]
                roles.append(" <- ".join([arn.strip(), *source]).strip())
        text = json.dumps({k: v for k, v in job.items() if k in ("steps", "env", "with", "services", "container")},
                          default=str)
        checked_out = False
        runs_checkout = False
        for step in steps:
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                ref = str((step.get("with") or {}).get("ref", ""))
                checked_out = not re.search(r"base\.sha|base_ref", ref)
            elif checked_out and ("run" in step or str(step.get("uses", "")).startswith("./")):
                runs_checkout = True
        return JobRun(
            label, when, after, file=file, environment=environment or None,
            permissions=capped(job.get("permissions"), cap),
            secrets=sorted(set(_SECRET.findall(text)) - {"GITHUB_TOKEN"}), roles=roles,
            concurrency=[*held, *([own] if own else [])], runs_checkout=runs_checkout, step_text=text,
        )

    def _order(self, jobs: dict) -> list[str]:
        done: list[str] = []
        pending = list(jobs)
        while pending:
            ready = [n for n in pending if all(d in done for d in self._needs(jobs[n]))]
            if not ready:
                raise InfraError(f"jobs {', '.join(pending)} need each other or a job that does not exist")
            done.extend(ready)
            pending = [n for n in pending if n not in ready]
        return done

    @staticmethod
    def _needs(job: dict) -> list[str]:
        needs = job.get("needs") or []
        return [needs] if isinstance(needs, str) else list(needs)

    def _runs(self, job: dict, needs: list[str], results: dict, context: dict, failed: bool) -> bool:
        states = [results[n]["result"] for n in needs]
        all_ok = all(s == "success" for s in states)
        status = {
            "success": lambda: all_ok and not failed,
            "failure": lambda: failed or "failure" in states,
            "always": lambda: True,
            "cancelled": lambda: False,
        }
        evaluator = Evaluator(context, {**status, "hashFiles": self._hash_files})
        condition = job.get("if")
        if condition is None:
            return all_ok and not failed
        if uses_status_function(unwrap(condition)):
            return truthy(evaluator.evaluate(str(condition)))
        return all_ok and not failed and truthy(evaluator.evaluate(str(condition)))

    def _hash_files(self, *patterns: str) -> str:
        return "hash" if any(list(self.repo.glob(p)) for p in patterns) else ""

    @staticmethod
    def _matrix(job: dict) -> list[dict]:
        matrix = (job.get("strategy") or {}).get("matrix") or {}
        axes = {k: v for k, v in matrix.items() if isinstance(v, list) and k not in ("include", "exclude")}
        if not axes:
            return [{}]
        return [dict(zip(axes, combo, strict=True)) for combo in itertools.product(*axes.values())]

    def _job_outputs(self, job: dict, context: dict) -> dict[str, Any]:
        steps: dict[str, dict] = {}
        for step in job.get("steps") or []:
            evaluator = Evaluator(
                {**context, "steps": steps},
                {
                    "hashFiles": self._hash_files,
                    "success": lambda: True,
                    "failure": lambda: False,
                    "always": lambda: True,
                    "cancelled": lambda: False,
                },
            )
            if step.get("id"):
                known = self._step_outputs(step, evaluator)
                steps[step["id"]] = {"outputs": StepOutputs(step["id"], known), "outcome": "success"}
        evaluator = Evaluator({**context, "steps": steps})
        return {k: interpolate(evaluator, v) for k, v in (job.get("outputs") or {}).items()}

    def _call(self, job: dict, context: dict, prefix: str, after: tuple[str, ...],
              cap: dict[str, str] | None = None, held: tuple[str, ...] = ()) -> tuple[list[JobRun], dict]:
        uses = str(job["uses"])
        if not uses.startswith("./"):
            return [JobRun(prefix.rstrip("/"), "runs", list(after), file=uses, permissions=dict(cap or {}),
                           concurrency=list(held))], {}
        called = read(self.repo / uses)
        declared = (triggers(called).get("workflow_call") or {}).get("inputs") or {}
        evaluator = Evaluator(context)
        given = {k: interpolate(evaluator, v) for k, v in (job.get("with") or {}).items()}
        unknown = sorted(set(given) - set(declared))
        if unknown:
            raise InfraError(f"{uses} has no input(s) {', '.join(unknown)}")
        inputs = {k: given.get(k, (spec or {}).get("default")) for k, spec in declared.items()}
        runs, results = self.run_workflow(called, inputs, prefix, after, Path(uses).name, cap, held)
        outputs_spec = (triggers(called).get("workflow_call") or {}).get("outputs") or {}
        jobs_evaluator = Evaluator({"jobs": results})
        return runs, {k: interpolate(jobs_evaluator, spec.get("value", "")) for k, spec in outputs_spec.items()}


def simulate(repo: Path, event: Event, delivery: dict[str, dict]) -> tuple[str, list[tuple[Workflow, list[JobRun]]]]:
    """The env the deployment targets, and each triggered workflow with the job runs it makes."""
    simulation, triggered_runs = run_event(repo, event, delivery)
    return simulation.environment(), triggered_runs


def run_event(
    repo: Path, event: Event, delivery: dict[str, dict]
) -> tuple[Simulation, list[tuple[Workflow, list[JobRun]]]]:
    """The simulation of one event (its deadlocks found) and each triggered workflow's job runs."""
    simulation = Simulation(repo, event, delivery)
    triggered_runs = []
    for workflow in load(repo / ".github" / "workflows"):
        if not triggered(workflow, event):
            continue
        inputs = {}
        if event.name == "workflow_dispatch":
            declared = workflow.on["workflow_dispatch"].get("inputs") or {}
            if set(event.inputs) - set(declared):
                continue  # another manual workflow: these inputs are not its
            inputs = {k: event.inputs.get(k, (spec or {}).get("default")) for k, spec in declared.items()}
        runs, _ = simulation.run_workflow(workflow.doc, inputs, file=workflow.file)
        triggered_runs.append((workflow, runs))
    return simulation, triggered_runs


def role_kind(source: str) -> str:
    """Which of bootstrap's roles an AWS role step asks for (by the variable its ARN comes from)."""
    if "AWS_PLAN_ROLE_ARNS" in source:
        return "plan role (read-only)"
    if "AWS_DEPLOY_ROLE_ARN" in source:
        return "deploy role"
    return source.split(" <- ")[0]


def credentials(run: JobRun) -> dict[str, Any]:
    """What a job can reach: its GitHub environment (and the secrets behind it), an OIDC token and
    which role it asks for, and the secrets it names. Empty for a job that holds none of it."""
    found: dict[str, Any] = {}
    if run.environment:
        found["environment"] = run.environment
    if run.permissions.get("id-token") == "write":
        found["oidc"] = [role_kind(r) for r in run.roles] or ["(no AWS role step)"]
    if run.secrets:
        found["secrets"] = run.secrets
    return found


def job_label(run: JobRun) -> str:
    return run.name if run.when == "runs" else f"{run.name} (on failure)"


def which(repo: Path, event: Event, delivery: dict[str, dict]) -> dict:
    """{"environment": ..., "workflows": [{"file", "name", "jobs": [...]}], "assumed": [...]}"""
    environment, triggered_runs = simulate(repo, event, delivery)
    result: dict[str, Any] = {
        "environment": environment,
        "workflows": [
            {"file": w.file, "name": w.name, "jobs": [job_label(r) for r in runs],
             "credentials": {job_label(r): c for r in runs if (c := credentials(r))}}
            for w, runs in triggered_runs
        ],
    }
    if event.changed is None and event.name in ("push", "pull_request"):
        result["assumed"] = ["no --changed given: every path filter is taken to match"]
    return result


__all__ = ["NONE", "Event", "JobRun", "load", "simulate", "triggered", "which"]
