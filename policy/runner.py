"""One env through the whole policy: HCL rules, plan or live rules, scanners, cost, suppressions.

The CLI (`infra policy`, `infra gate`) and the pytest gates call this; it never runs Terraform
itself (the gate hands it the plan JSON it made).

The rules always run on the HCL of the env root; then, like a plan JSON (`Options.plan_json`), the
live resources of an applied env (`Options.live_session`, read by policy/live.py at
`Options.live_endpoint`) go through the same rules with source "live". The two are exclusive: a plan
says what will be, the live env what is. With live resources the cost estimate prices what exists,
each service the endpoint does not serve is a step "live <service>" with status "skipped: <why>", and
finding nothing of the env at all is an input error (the env is not applied there).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from core import reading
from core.project import BOOTSTRAP, Project
from core.scope import describe_scope
from policy import cost, engine, hcl, live, plan
from policy import inputs as operator_inputs
from policy.model import EnvResult, Finding, Level, PolicyInputError, Resource, Source
from policy.scanners import suppressions as supp
from policy.workflows import workflow_environments

SUPPRESSIONS_FILE = Path(__file__).resolve().parent / "suppressions.yaml"


@dataclass
class Options:
    plan_json: Path | None = None
    live_session: Any = None  # a boto3.Session: evaluate the env's live resources (not with plan_json)
    live_endpoint: str | None = None  # the AWS endpoint the live resources are read from (None: AWS)
    scanners: bool = True
    overrides: dict[str, str] = field(default_factory=dict)  # soft-mandatory rule id -> reason
    today: date = field(default_factory=date.today)
    # INFRA_SUPPRESSIONS points at another file (a fork's, or a test's broken one).
    suppressions_file: Path = field(
        default_factory=lambda: Path(os.environ.get("INFRA_SUPPRESSIONS") or SUPPRESSIONS_FILE))


def load_plan(path: Path) -> dict[str, Any]:
    return reading.read_json(path, "plan JSON")


class _Steps:
    def __init__(self) -> None:
        self.status: dict[str, str] = {}
        self.timings: dict[str, float] = {}

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        except PolicyInputError:
            self.status[name] = "failed"
            raise
        finally:
            self.timings[name] = time.perf_counter() - start
        self.status.setdefault(name, "ok")


def run_env(project: Project, env: str, options: Options,
            on_step: Callable[[str, str], None] | None = None) -> EnvResult:
    """Evaluate one env (or the bootstrap root); input problems raise PolicyInputError.

    File names in findings are relative to the directory that holds the Terraform tree, so a
    copy of the tree (tests, a user's fork) reports the same paths as the repository.
    """
    root = project.root_dir(env if env == BOOTSTRAP else project.check_env(env))
    if options.live_session is not None and options.plan_json is not None:
        raise PolicyInputError("live policy and a plan JSON are exclusive: check one or the other")
    if options.live_session is not None and env == BOOTSTRAP:
        raise PolicyInputError("live policy is for one env (dev, staging, prod), not bootstrap")
    repo_root = project.terraform_dir.parent
    tiers_doc = project.tiers
    steps = _Steps()
    findings: list[Finding] = []
    wf_envs = workflow_environments(repo_root)
    say = on_step or (lambda _env, _step: None)

    say(env, "hcl policy")
    with steps.step("hcl policy"):
        # What the operator has not set is read as the stand-ins the emulator plans with (policy.inputs):
        # the HCL is judged as the plan is, not with every use of a missing input unknown.
        hcl_resources = hcl.load_env_root(root, env, repo_root=repo_root,
                                          inputs=operator_inputs.stand_ins(project, env))
        findings += engine.evaluate(hcl_resources, env, tiers_doc, Source.HCL, workflow_environments=wf_envs)

    plan_summary = None
    plan_resources: list[Resource] = []
    if options.plan_json is not None:
        say(env, "plan policy")
        with steps.step("plan policy"):
            plan_doc = load_plan(options.plan_json)
            plan_resources = plan.resources_from_plan(plan_doc, env)
            engine.fill_partials(plan_resources, hcl_resources)
            plan_summary = plan.summary(plan_doc)
            plan_findings = engine.evaluate(plan_resources, env, tiers_doc, Source.PLAN,
                                            workflow_environments=wf_envs)
            engine.locate(plan_findings, hcl_resources)
            findings += plan_findings

    live_resources: list[Resource] = []
    live_skipped: dict[str, str] = {}
    if options.live_session is not None:
        say(env, "live policy")
        with steps.step("live policy"):
            found = live.resources_from_live(options.live_session, env, endpoint_url=options.live_endpoint,
                                             root_dir=root)
            if not found:
                scope = describe_scope(found.scope)
                skipped = f" ({len(found.skipped)} services not served)" if found.skipped else ""
                raise PolicyInputError(f"live: nothing tagged {scope} on {options.live_endpoint or 'AWS'}"
                                       f"{skipped}: is {env} applied there?")
            live_findings = live.evaluate_live(found, env, tiers_doc, workflow_environments=wf_envs)
            findings += live_findings
            live_resources, live_skipped = list(found), found.skipped
        for service, why in sorted(live_skipped.items()):
            steps.status[f"live {service}"] = f"skipped: {why}"

    if options.scanners:
        from policy import scanners  # imported late: it locates the scanner binaries

        for name, scan in (("checkov", scanners.checkov_scan), ("trivy", scanners.trivy_scan)):
            say(env, name)
            with steps.step(name):
                findings += scan(root, options.plan_json, env, repo_root)

    cost_rows, cost_total = None, None
    tier = tiers_doc["tiers"].get(env)
    if tier:
        estimate = cost.estimate(live_resources or plan_resources or hcl_resources, tier)
        if live_skipped:  # what could not be read is not priced: the total is a lower bound
            estimate.complete = False
            estimate.notes.append(f"live: {', '.join(sorted(live_skipped))} not read; their resources are not priced")
        cost_rows, cost_total = estimate.rows(), estimate.total_text()

    # What ran decides which entries could have matched: only those are reported stale.
    ran = {(env, "policy", "hcl")}
    if options.plan_json is not None:
        ran.add((env, "policy", "plan"))
    if options.live_session is not None:
        ran.add((env, "policy", "live"))
    if options.scanners:
        sources = ("hcl", "plan") if options.plan_json is not None else ("hcl",)
        ran |= {(env, scanner, source) for scanner in ("checkov", "trivy") for source in sources}
    with steps.step("suppressions"):
        entries = supp.load(options.suppressions_file)
        findings = supp.apply(findings, entries, options.today, env=env, ran=ran)
    for finding in findings:
        if finding.level is Level.SOFT and finding.rule in options.overrides:
            finding.overridden = options.overrides[finding.rule]

    return EnvResult(env=env, findings=findings, plan=plan_summary, cost_rows=cost_rows, cost_total=cost_total,
                     steps=steps.status, timings=steps.timings)
