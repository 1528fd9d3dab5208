"""The gate: every check a change to terraform/ or .github/ must pass, for every root, in one table.

Each root (bootstrap, then the envs in tier order) runs the Terraform steps in order; the first
failing one skips the rest of them, but not the other roots. The policy steps (our rules on the
HCL and on the plan, checkov, trivy, cost) always run, on the plan too when there is one, so one
run reports everything that is wrong.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from rich.console import Console
from rich.table import Table

from core.errors import InfraError, InputError
from core.project import BOOTSTRAP, Project
from infra.gate_cache import GateCache
from infra.terraform import PlanSummary, Progress, Terraform, fmt_check
from infra.toolchain import Toolchain
from infra.workspace import prepare
from policy import runner
from policy.hcl.tfvars import check_tfvars
from policy.model import EnvResult, Finding, PolicyInputError, Source

OK, FAIL, SKIP = "ok", "FAIL", "skipped"


@dataclass
class StepResult:
    name: str
    status: str
    detail: str = ""
    seconds: float = 0.0


@dataclass
class RootResult:
    root: str
    steps: list[StepResult] = field(default_factory=list)
    plan: PlanSummary | None = None
    policy: EnvResult | None = None
    cached_at: str | None = None  # shown again from the gate's cache (infra/gate_cache.py), made then

    @property
    def passed(self) -> bool:
        return all(step.status == OK for step in self.steps)


class RootRun:
    """Runs the steps of one root, recording each; after a failure the rest are skipped."""

    def __init__(self, root: str):
        self.result = RootResult(root)

    def step(self, name: str, fn: Callable[[], str | None]) -> None:
        if not self.result.passed:
            self.result.steps.append(StepResult(name, SKIP))
            return
        started = time.monotonic()
        try:
            detail = fn() or ""
            status = OK
        except InputError as exc:  # the user's input (an InfraError, a malformed tfvars file)
            detail, status = str(exc), FAIL
        self.result.steps.append(StepResult(name, status, detail, time.monotonic() - started))


def require_formatted(toolchain: Toolchain, path) -> None:
    unformatted = fmt_check(toolchain, path)
    if unformatted:
        raise InfraError(f"terraform fmt would change: {', '.join(unformatted)}")


def _policy_step(name: str, findings: list[Finding], status: str, seconds: float) -> StepResult:
    blocking = [f for f in findings if f.blocking]
    advisory = [f for f in findings if not f.blocking and f.status == "fail" and not (f.suppressed or f.overridden)]
    if status != "ok":
        return StepResult(name, FAIL, status, seconds)
    if blocking:
        first = blocking[0]
        return StepResult(
            name, FAIL, f"{len(blocking)} violation(s); first: {first.rule} {first.resource}: {first.message}", seconds
        )
    return StepResult(name, OK, f"{len(advisory)} advisory" if advisory else "", seconds)


def add_policy_steps(run: RootRun, result: EnvResult) -> None:
    """One gate step per policy step of the runner, with the findings that step produced."""

    def of_step(step: str) -> list[Finding]:
        if step == "hcl policy":
            return [f for f in result.findings if f.source is Source.HCL and f.rule.startswith("RPY-")]
        if step == "plan policy":
            return [f for f in result.findings if f.source is Source.PLAN and f.rule.startswith("RPY-")]
        if step == "suppressions":
            return [f for f in result.findings if f.rule.startswith("suppression-") or f.rule == "inline-suppression"]
        return [f for f in result.findings if f.family == step or f.rule.startswith(_SCANNER_PREFIX.get(step, "~"))]

    for step, status in (result.steps or {}).items():
        run.result.steps.append(_policy_step(step, of_step(step), status, (result.timings or {}).get(step, 0.0)))


_SCANNER_PREFIX = {"checkov": "CKV", "trivy": "AVD-"}


def gate_root(
    project: Project, toolchain: Toolchain, root: str, endpoint: str, progress: Progress, scanners: bool = True
) -> RootResult:
    run = RootRun(root)
    root_dir = project.root_dir(root)
    holder: dict[str, Terraform] = {}

    def init() -> None:
        check_tfvars(root_dir)
        holder["tf"] = Terraform(toolchain, prepare(project, root, endpoint), progress)
        holder["tf"].init()

    def plan() -> str:
        run.result.plan = holder["tf"].plan()
        return str(run.result.plan)

    run.step("fmt", lambda: require_formatted(toolchain, root_dir))
    run.step("init", init)
    run.step("validate", lambda: holder["tf"].validate())
    run.step("plan", plan)
    plan_json = holder["tf"].ws.plan_json if run.result.plan is not None else None
    options = runner.Options(plan_json=plan_json, scanners=scanners)
    try:
        run.result.policy = runner.run_env(
            project, root, options, on_step=lambda env, step: progress.say(f"-> {env}: {step}")
        )
    except (PolicyInputError, InfraError) as exc:
        run.result.steps.append(StepResult("policy", FAIL, str(exc)))
        return run.result
    add_policy_steps(run, run.result.policy)
    return run.result


def modules_result(project: Project, toolchain: Toolchain) -> RootResult:
    run = RootRun("modules")

    def fmt() -> str:
        require_formatted(toolchain, project.terraform_dir / "modules")
        return f"{len(list((project.terraform_dir / 'modules').iterdir()))} modules"

    run.step("fmt", fmt)
    return run.result


def workflows_result(repo: Path, delivery: dict[str, dict]) -> RootResult:
    """`infra workflows check` on .github/ (actionlint with shellcheck, yamllint, shellcheck on
    scripts/ci, zizmor's every audit and the CI trust rules, against the suppressions file), one step
    each, and whether the generated workflow docs are current."""
    from infra.workflows import check

    result = RootResult("workflows")
    if not (repo / ".github").is_dir():
        result.steps.append(StepResult("lint", OK, "no .github folder: nothing to lint"))
        return result
    started = time.monotonic()
    try:
        checked = check.run(repo / ".github", delivery)
    except InfraError as exc:
        result.steps.append(StepResult("workflows check", FAIL, str(exc)))
        return result
    for name, lines in checked.linters.items():
        result.steps.append(StepResult(name, FAIL if lines else OK, "\n".join(lines[:20]) or "clean"))
    for name, prefix in (("zizmor", "zizmor/"), ("trust rules", "RPY-CI-")):
        mine = [f for f in checked.findings if f.rule.startswith(prefix)]
        blocking = [f"{f.resource}: {f.rule} {f.message}" for f in mine if f.blocking]
        suppressed = sum(1 for f in mine if f.suppressed)
        detail = "\n".join(blocking[:20]) or f"clean ({suppressed} suppressed)"
        result.steps.append(StepResult(name, FAIL if blocking else OK, detail))
    stale_entries = [f"{f.resource}: {f.message}" for f in checked.findings
                     if f.rule.startswith("suppression-") and f.blocking]
    if stale_entries:
        result.steps.append(StepResult("suppressions", FAIL, "\n".join(stale_entries)))
    result.steps[0].seconds = time.monotonic() - started  # one run of every linter and rule
    started = time.monotonic()
    try:
        from infra.workflows.docs import stale

        out_of_date = [str(p.relative_to(repo)) for p in stale(repo, delivery)]
        docs_step = StepResult(
            "docs",
            FAIL if out_of_date else OK,
            f"stale: {', '.join(out_of_date)}; run `infra workflows docs`" if out_of_date else "current",
        )
    except InfraError as exc:
        docs_step = StepResult("docs", FAIL, str(exc))
    docs_step.seconds = time.monotonic() - started
    result.steps.append(docs_step)
    return result


def free_cores() -> int:
    """Cores this process may use less the last minute's load, a core counted free when more than half idle."""
    cores = len(os.sched_getaffinity(0))
    try:
        load = os.getloadavg()[0]
    except OSError:  # no load average on this platform: assume the machine is ours
        load = 0.0
    return max(1, min(cores, round(cores - load)))


def run_gate(
    project: Project,
    toolchain: Toolchain,
    envs: list[str],
    endpoint: Callable[[], str],
    progress: Progress,
    scanners: bool = True,
    cache: GateCache | None = None,
    jobs: int = 1,
) -> list[RootResult]:
    """Every row of the gate, in a stable order. `endpoint()` gives the AWS endpoint, started only when
    a row must plan; a row whose inputs are unchanged since `cache` saw it is shown again from there.

    With jobs > 1 the rows that must run, run that many at once (they share nothing but the endpoint:
    each root plans in a work copy of its own); each row's progress lines are held and printed whole,
    in row order, so the log reads the same however the rows interleaved."""
    rows: list[tuple[str, Callable[[Progress], RootResult]]] = [
        ("workflows", lambda _progress: workflows_result(project.terraform_dir.parent, project.delivery)),
        ("modules", lambda _progress: modules_result(project, toolchain)),
    ]
    rows += [(root, lambda row_progress, root=root: gate_root(project, toolchain, root, endpoint(), row_progress,
                                                               scanners))
             for root in [BOOTSTRAP, *envs]]
    keys = {row: cache.key(row) if cache is not None else "" for row, _ in rows}
    hits = {}
    for row, _ in rows:
        hit = cache.load(row, keys[row]) if cache is not None else None
        if hit is not None:
            hits[row] = hit
    to_run = [(row, run) for row, run in rows if row not in hits]
    workers = max(1, min(jobs, len(to_run)))
    if workers > 1:
        if any(row not in ("workflows", "modules") for row, _ in to_run):
            endpoint()  # started once, before the rows that share it
        progress.say(f"== {len(to_run)} rows to run, {workers} at once; each row's lines follow when it ends")
    results = []
    with ThreadPoolExecutor(max_workers=workers) as pool:
        started: dict[str, tuple[Future, Progress]] = {}
        if workers > 1:
            for row, run in to_run:
                held = progress.held()
                started[row] = (pool.submit(run, held), held)
        for row, run in rows:
            if row in hits:
                result, made = hits[row]
                result.cached_at = made
                progress.say(f"== {row}: unchanged since {made}: its result is shown again from the cache "
                             "(--no-cache runs it)")
            else:
                if row in started:
                    future, held = started[row]
                    try:
                        result = future.result()
                    finally:  # a row that raised still shows what it did up to there
                        progress.release(held)
                else:  # one at a time: run here, its lines as they come
                    result = run(progress)
                if cache is not None and result.passed:  # a failure may be the machine's (a tool, the endpoint)
                    cache.save(row, keys[row], result)
            results.append(result)
    return results


def root_table(result: RootResult) -> Table:
    """One root's steps, one row each: what ran, how it went, how long it took."""
    verdict = "[green]PASS[/]" if result.passed else "[red]FAIL[/]"
    cached = f" [dim](cached: inputs unchanged since {result.cached_at})[/]" if result.cached_at else ""
    table = Table(title=f"{result.root}: {verdict}{cached}", title_justify="left", show_lines=False)
    table.add_column("step")
    table.add_column("result")
    table.add_column("time", justify="right")
    table.add_column("detail", overflow="fold")
    for step in result.steps:
        status = {OK: "[green]ok[/]", FAIL: "[red]FAIL[/]"}.get(step.status, "[dim]skipped[/]")
        table.add_row(step.name, status, f"{step.seconds:.1f}s" if step.status != SKIP else "", step.detail)
    return table


def summary_table(results: list[RootResult]) -> Table:
    """The verdict of every root on one screen."""
    rows = []
    for result in results:
        policy = result.policy
        failed = [f for f in policy.findings if f.status == "fail" and not f.blocking] if policy else []
        suppressed = [f for f in failed if f.suppressed or f.overridden]
        rows.append((
            result.root,
            "[green]PASS[/]" if result.passed else "[red]FAIL[/]",
            str(result.plan) if result.plan else "-",
            str(len(policy.blocking)) if policy else "-",
            str(len(suppressed)) if policy else "-",
            str(len(failed) - len(suppressed)) if policy else "-",
            (policy.cost_total or "-").replace("/month", "") if policy else "-",
        ))
    table = Table(title="infra gate", title_justify="left")
    # The figures (plan counts, cost) never wrap or get cut: on a narrow terminal the words give way.
    figures = {"plan": 2, "cost": 6}
    for column in ("root", "verdict", "plan", "blocking", "suppressed", "advisory", "cost"):
        if column in figures:
            width = max([len(column), *(len(row[figures[column]]) for row in rows)])
            table.add_column(column, no_wrap=True, min_width=width)
        else:
            table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*row)
    return table


def print_report(results: list[RootResult], console: Console) -> None:
    for result in results:
        console.print(root_table(result))
    console.print(summary_table(results))
    for result in results:
        for step in result.steps:
            if step.status == FAIL:
                console.print(f"[red]{result.root} / {step.name}:[/] {step.detail}", soft_wrap=True)
        for finding in result.policy.blocking if result.policy else []:
            where = f" ({finding.file}:{finding.line})" if finding.file else ""
            console.print(f"  [red]{finding.rule}[/] {finding.resource}{where}: {finding.message}", soft_wrap=True)
            console.print(f"    fix: {finding.remediation}", soft_wrap=True)


def annotations(results: list[RootResult]) -> str:
    """GitHub workflow commands for the gate: every root's policy findings and failed steps
    (policy.reports.github), a failed step of a root without policy (fmt, init, plan, ...) too."""
    from policy.reports import github

    envs = []
    for result in results:
        failed = {step.name: f"failed: {step.detail}" for step in result.steps if step.status == FAIL}
        policy = result.policy or EnvResult(env=result.root, findings=[])
        envs.append(replace(policy, steps={**(policy.steps or {}), **failed}))
    return github.render(envs)


REPORT_FILES = {"json": "policy.json", "sarif": "policy.sarif", "junit": "policy.junit.xml", "markdown": "policy.md"}


def write_reports(results: list[EnvResult], folder: Path) -> list[Path]:
    """The policy reports CI publishes: SARIF for code scanning, JUnit for checks, Markdown for the PR."""
    from policy import reports
    from policy.rules import ALL_RULES

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt, name in REPORT_FILES.items():
        path = folder / name
        path.write_text(reports.render(results, fmt, rules=ALL_RULES))
        written.append(path)
    return written
