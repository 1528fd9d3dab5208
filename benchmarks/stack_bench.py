"""Time `infra up`, `infra verify` and `infra down` for each env against a fresh emulator.

Prints one row per env (seconds) and nothing else worth asserting: numbers, not a test. Each env
gets its own emulator and work dir, so one env's leftovers cannot slow the next.

    .venv/bin/python benchmarks/stack_bench.py [--envs dev,staging,prod]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from core.project import Project  # noqa: E402
from infra import verify  # noqa: E402
from infra.emulator import manager  # noqa: E402
from infra.stack import Stack  # noqa: E402
from infra.terraform import Progress  # noqa: E402
from infra.toolchain import load_toolchain  # noqa: E402


def bench_env(project: Project, env: str, work: Path) -> dict[str, float | str]:
    toolchain = load_toolchain(project.state_dir)
    row: dict[str, float | str] = {"env": env}
    with manager.running(state_dir=work / "emulator") as info:
        stack = Stack(Project(project.terraform_dir, work), toolchain, env, info.endpoint, Progress(quiet=True))
        started = time.monotonic()
        stack.apply()
        stack.outputs()
        row["up"] = time.monotonic() - started

        started = time.monotonic()
        checks = [verify.drift_check(stack), *verify.health_checks(stack, stack.outputs(),
                                                                   project.tiers["tiers"][env])]
        checks += verify.policy_checks(stack)
        row["verify"] = time.monotonic() - started
        row["checks"] = f"{sum(c.ok for c in checks)}/{len(checks)} ok"

        started = time.monotonic()
        left = stack.destroy()
        row["down"] = time.monotonic() - started
        row["left"] = str(len(left.found))
    row["total"] = float(row["up"]) + float(row["verify"]) + float(row["down"])
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--envs", help="comma-separated envs (default: every tier of tiers.yaml)")
    args = parser.parse_args(argv)
    project = Project.discover(REPO_ROOT / "terraform")
    envs = args.envs.split(",") if args.envs else project.envs
    for env in envs:
        project.check_env(env)
    print(f"up / verify / down per env on a fresh emulator; {len(envs)} env(s), seconds")
    print(f"{'env':<8} {'up':>7} {'verify':>7} {'down':>7} {'total':>7}  checks     left")
    for env in envs:
        with tempfile.TemporaryDirectory(prefix=f"stack-bench-{env}-") as work:
            row = bench_env(project, env, Path(work))
        print(f"{row['env']:<8} {row['up']:>7.1f} {row['verify']:>7.1f} {row['down']:>7.1f} {row['total']:>7.1f}"
              f"  {row['checks']:<10} {row['left']}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
