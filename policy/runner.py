"""One env through the whole policy: HCL rules, plan rules, scanners, cost, suppressions.

The CLI (`infra policy`, `infra gate`) and the pytest gates call this; it never runs Terraform
itself (the gate hands it the plan JSON it made).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from infra.project import BOOTSTRAP, Project
from policy import cost, engine, hcl, plan
from policy.model import EnvResult, Finding, Level, PolicyInputError, Resource, Source
from policy.scanners import suppressions as supp
from policy.workflows import workflow_environments

SUPPRESSIONS_FILE = Path(__file__).resolve().parent / "suppressions.yaml"


@dataclass
class Options:
    plan_json: Path | None = None
    scanners: bool = True
    overrides: dict[str, str] = field(default_factory=dict)  # soft-mandatory rule id -> reason
    today: date = field(default_factory=date.today)
    # INFRA_SUPPRESSIONS points at another file (a fork's, or a test's broken one).
    suppressions_file: Path = field(
        default_factory=lambda: Path(os.environ.get("INFRA_SUPPRESSIONS") or SUPPRESSIONS_FILE))


def load_plan(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text()
    except OSError as exc:
        raise PolicyInputError(f"{path}: cannot read plan JSON ({exc.strerror})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise PolicyInputError(f"{path}:{exc.lineno}:{exc.colno}: malformed plan JSON: {exc.msg}") from None


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
    repo_root = project.terraform_dir.parent
    tiers_doc = project.tiers
    steps = _Steps()
    findings: list[Finding] = []
    wf_envs = workflow_environments(repo_root)
    say = on_step or (lambda _env, _step: None)

    say(env, "hcl policy")
    with steps.step("hcl policy"):
        hcl_resources = hcl.load_root(root, env, repo_root=repo_root)
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

    if options.scanners:
        from policy import scanners  # imported late: it locates the scanner binaries

        for name, scan in (("checkov", scanners.checkov_scan), ("trivy", scanners.trivy_scan)):
            say(env, name)
            with steps.step(name):
                findings += scan(root, options.plan_json, env, repo_root)

    cost_rows, cost_total = None, None
    tier = tiers_doc["tiers"].get(env)
    if tier:
        estimate = cost.estimate(plan_resources or hcl_resources, tier)
        cost_rows, cost_total = estimate.rows(), estimate.total_text()

    # What ran decides which entries could have matched: only those are reported stale.
    ran = {(env, "policy", "hcl")}
    if options.plan_json is not None:
        ran.add((env, "policy", "plan"))
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
