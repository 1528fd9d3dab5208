"""The gate: every check a change to terraform/ must pass, for every root, in one table.

Each root (bootstrap, then the envs in tier order) runs its steps in order; the first failing step
skips the rest of that root but not the other roots, so one run reports everything that is wrong.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from rich.console import Console
from rich.table import Table

from infra.errors import InfraError
from infra.project import BOOTSTRAP, Project
from infra.terraform import PlanSummary, Progress, Terraform, fmt_check
from infra.tfvars import check_tfvars
from infra.toolchain import Toolchain
from infra.workspace import prepare

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
        except InfraError as exc:
            detail, status = str(exc), FAIL
        self.result.steps.append(StepResult(name, status, detail, time.monotonic() - started))


def require_formatted(toolchain: Toolchain, path) -> None:
    unformatted = fmt_check(toolchain, path)
    if unformatted:
        raise InfraError(f"terraform fmt would change: {', '.join(unformatted)}")


def gate_root(project: Project, toolchain: Toolchain, root: str, endpoint: str, progress: Progress) -> RootResult:
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
    return run.result


def modules_result(project: Project, toolchain: Toolchain) -> RootResult:
    run = RootRun("modules")

    def fmt() -> str:
        require_formatted(toolchain, project.terraform_dir / "modules")
        return f"{len(list((project.terraform_dir / 'modules').iterdir()))} modules"

    run.step("fmt", fmt)
    return run.result


def run_gate(
    project: Project, toolchain: Toolchain, envs: list[str], endpoint: str, progress: Progress
) -> list[RootResult]:
    results = [modules_result(project, toolchain)]
    for root in [BOOTSTRAP, *envs]:
        results.append(gate_root(project, toolchain, root, endpoint, progress))
    return results


def summary_table(results: list[RootResult]) -> Table:
    step_names: list[str] = []
    for result in results:
        step_names += [s.name for s in result.steps if s.name not in step_names]
    table = Table(title="infra gate", show_lines=False)
    table.add_column("root")
    for name in step_names:
        table.add_column(name)
    table.add_column("verdict")
    for result in results:
        cells = []
        by_name = {s.name: s for s in result.steps}
        for name in step_names:
            step = by_name.get(name)
            if step is None:
                cells.append("-")
            elif step.status == OK:
                detail = step.detail if name == "plan" else f"{step.seconds:.1f}s"
                cells.append(f"[green]ok[/] {detail}".strip())
            else:
                cells.append("[red]FAIL[/]" if step.status == FAIL else "[dim]skipped[/]")
        cells.append("[green]PASS[/]" if result.passed else "[red]FAIL[/]")
        table.add_row(result.root, *cells)
    return table


def print_report(results: list[RootResult], console: Console) -> None:
    console.print(summary_table(results))
    for result in results:
        for step in result.steps:
            if step.status == FAIL:
                console.print(f"[red]{result.root} / {step.name}:[/] {step.detail}", soft_wrap=True)
