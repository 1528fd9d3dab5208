"""Time the project's policy engine against checkov on the same env roots and plans, in one run.

For each env (dev, staging, prod by default):

  hcl policy    policy.hcl.load_root + policy.engine.evaluate on terraform/envs/<env>
  plan policy   read the plan JSON + policy.plan.resources_from_plan + policy.engine.evaluate

"cold" is the first run in this process (empty caches: parsed HCL, AWS catalog, IAM action table);
the first env's cold run also pays for what every later env reuses (the HCL grammar, say). "warm"
is the median of --repeat further runs; "uncached" the same with policy.hcl's caches of parsed
files and module configurations cleared before each run: every env parses all its files anew, the
modules it shares with the other envs too. The imports are timed apart. Then checkov, the way policy/scanners/checkov.py
runs it (its own virtualenv, offline, `-d <root> --var-file ...` and `-f <plan> --framework
terraform_plan`), once per env root and once per plan JSON: the wall time of each checkov process.

Plans: --plans DIR takes DIR/<env>.plan.json. Without it, the emulator work area's plans
(.infra/work/emulator/plans/<env>.plan.json) are used when they are newer than every file they
were made from, and `infra plan --env <env>` makes them otherwise (that starts the emulator).

Prints a table and the ratios checkov / ours; numbers only, nothing passes or fails here.

    python benchmarks/policy_bench.py [--repeat N] [--envs dev,staging,prod] [--plans DIR] [--no-checkov]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

KINDS = ("hcl", "plan")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10, help="warm runs per env and input (median; default 10)")
    parser.add_argument("--envs", default="", help="comma-separated envs (default: every tier of tiers.yaml)")
    parser.add_argument("--plans", type=Path, help="folder with <env>.plan.json for every env")
    parser.add_argument("--no-checkov", action="store_true", help="time our engine only")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def plan_inputs(project: Any, env: str) -> list[Path]:
    """The files a plan of `env` is made from: its root's and its local modules' .tf, tfvars, tiers.yaml."""
    from policy.scanners._tools import module_files

    root = project.env_dir(env)
    return [*module_files(root), *root.glob("*.tfvars"), project.tiers_file]


def is_fresh(plan_json: Path, inputs: list[Path]) -> bool:
    if not plan_json.is_file():
        return False
    newest = max((p.stat().st_mtime for p in inputs if p.is_file()), default=0.0)
    return plan_json.stat().st_mtime >= newest


def plan_files(project: Any, envs: list[str], plans_dir: Path | None) -> dict[str, Path]:
    if plans_dir is not None:
        files = {env: plans_dir / f"{env}.plan.json" for env in envs}
        missing = [str(p) for p in files.values() if not p.is_file()]
        if missing:
            sys.exit(f"policy_bench: no plan JSON {', '.join(missing)}")
        return files
    folder = project.state_dir / "work" / "emulator" / "plans"
    files = {}
    for env in envs:
        plan_json = folder / f"{env}.plan.json"
        if not is_fresh(plan_json, plan_inputs(project, env)):
            print(f"policy_bench: {plan_json} is missing or older than its sources: infra plan --env {env}",
                  file=sys.stderr)
            subprocess.run([sys.executable, "-c", "import sys; from infra.cli import main; sys.exit(main())",
                            "--quiet", "plan", "--env", env], check=True, cwd=REPO_ROOT, stdout=sys.stderr)
        files[env] = plan_json
    return files


def run_ours(project: Any, envs: list[str], plans: dict[str, Path], repeat: int) -> dict[tuple[str, str], dict]:
    """{(env, kind): {"cold": s, "warm": s, "uncached": s}} for our HCL and plan policy."""
    from policy import engine, hcl, plan
    from policy.model import Source
    from policy.workflows import workflow_environments

    tiers = project.tiers
    repo_root = project.terraform_dir.parent
    wf_envs = workflow_environments(repo_root)

    def hcl_policy(env: str) -> Callable[[], Any]:
        root = project.env_dir(env)
        return lambda: engine.evaluate(hcl.load_root(root, env, repo_root=repo_root), env, tiers, Source.HCL,
                                       workflow_environments=wf_envs)

    def plan_policy(env: str) -> Callable[[], Any]:
        path = plans[env]
        return lambda: engine.evaluate(plan.resources_from_plan(json.loads(path.read_text()), env), env, tiers,
                                       Source.PLAN, workflow_environments=wf_envs)

    steps = {(env, kind): (hcl_policy if kind == "hcl" else plan_policy)(env) for env in envs for kind in KINDS}
    cold = {key: timed(fn) for key, fn in steps.items()}
    warm: dict[tuple[str, str], list[float]] = {key: [] for key in steps}
    uncached: dict[tuple[str, str], list[float]] = {key: [] for key in steps}
    for _ in range(repeat):
        for key, fn in steps.items():
            warm[key].append(timed(fn))
    for _ in range(repeat):
        for key, fn in steps.items():
            hcl.clear_cache()
            uncached[key].append(timed(fn))
    return {key: {"cold": cold[key], "warm": statistics.median(warm[key]),
                  "uncached": statistics.median(uncached[key])} for key in steps}


def run_checkov(project: Any, envs: list[str], plans: dict[str, Path]) -> dict[tuple[str, str], float]:
    """{(env, kind): seconds} of checkov as the gate runs it, one process per root and per plan."""
    from policy.scanners import _tools, checkov

    repo_root = project.terraform_dir.parent
    _tools.scan_timings.clear()
    for env in envs:
        root = project.env_dir(env)
        checkov.scan_root(root, env, repo_root)
        checkov.scan_plan(plans[env], env, repo_root, root)
    return {(t.env, t.source): t.seconds for t in _tools.scan_timings if t.scanner == "checkov"}


def fmt(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.3f}"


def ratio(theirs: float | None, ours: float) -> str:
    return "-" if theirs is None or ours <= 0 else f"{theirs / ours:.1f}x"


def report(envs: list[str], ours: dict, theirs: dict | None, repeat: int, import_s: float) -> None:
    checkov_note = "checkov: one process per root and per plan" if theirs is not None else "checkov: not run"
    print(f"policy benchmark: {len(envs)} env(s), warm = median of {repeat} run(s); {checkov_note}")
    print(f"imports (infra, policy): {import_s:.3f} s, once per process, not in the times below")
    print()
    header = ("env", "input", "ours cold s", "ours warm s", "ours uncached s", "checkov s", "checkov/cold",
              "checkov/warm")
    rows: list[tuple[str, ...]] = []

    def add(env: str, kind: str, cold: float, warm: float, uncached: float, ckv: float | None) -> None:
        rows.append((env, kind, fmt(cold), fmt(warm), fmt(uncached), fmt(ckv), ratio(ckv, cold), ratio(ckv, warm)))

    for env in envs:
        for kind in KINDS:
            ckv = theirs.get((env, kind)) if theirs is not None else None
            add(env, kind, ours[env, kind]["cold"], ours[env, kind]["warm"], ours[env, kind]["uncached"], ckv)
    totals: dict[str, tuple[float, float, float, float | None]] = {}
    for kind in (*KINDS, "both"):
        kinds = KINDS if kind == "both" else (kind,)
        keys = [(env, k) for env in envs for k in kinds]
        ckv = sum(theirs[key] for key in keys) if theirs is not None and all(key in theirs for key in keys) else None
        totals[kind] = (*(sum(ours[key][m] for key in keys) for m in ("cold", "warm", "uncached")), ckv)
        add("all", kind, *totals[kind])
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    for row in (header, *rows):
        print("  ".join(cell.ljust(w) if i < 2 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths,
                                                                                                      strict=True))))
    cold, warm, uncached, ckv = totals["both"]
    print()
    print(f"our engine, {len(envs)} env(s), hcl + plan: cold {cold:.3f} s, warm {warm:.3f} s, "
          f"uncached {uncached:.3f} s (target: under 1 s)")
    if ckv is not None:
        print(f"checkov, same inputs: {ckv:.3f} s; ratio checkov/ours: {ckv / cold:.1f}x cold, {ckv / warm:.1f}x warm")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    start = time.perf_counter()
    from core.project import Project
    from policy import engine, hcl, plan  # noqa: F401 - imported here to time the imports
    from policy.workflows import workflow_environments  # noqa: F401

    import_s = time.perf_counter() - start
    project = Project.discover(REPO_ROOT / "terraform")
    envs = [e.strip() for e in args.envs.split(",") if e.strip()] or project.envs
    for env in envs:
        project.check_env(env)
    plans = plan_files(project, envs, args.plans)
    ours = run_ours(project, envs, plans, args.repeat)
    theirs = None if args.no_checkov else run_checkov(project, envs, plans)
    report(envs, ours, theirs, args.repeat, import_s)
    return 0


if __name__ == "__main__":
    sys.exit(main())
