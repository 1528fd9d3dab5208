"""Time and peak memory of `infra policy` (our rules, no scanners) per size of input: plan JSON and HCL.

Plans: the env's real plan (the emulator work area's <env>.plan.json, or --plan) replicated under
renamed module addresses until the file reaches each size. HCL: the env root plus one generated
`.tf` file of S3 buckets and security groups of each size. Each size runs in its own process
(`infra policy --no-scanners`, INFRA_MAX_INPUT_MB / INFRA_MAX_CONFIG_MB raised to fit), and the
child's wall time and peak RSS are printed with their per-MB ratios. Numbers only: nothing passes
or fails here (the limits and these numbers are in docs/INPUTS.md).

    python benchmarks/input_bench.py [--plan-mb 1,10,50] [--hcl-mb 1,4,8] [--env prod] [--plan PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _sizes(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x.strip()]


def make_plan(source: Path, megabytes: float, out: Path) -> None:
    base = json.loads(source.read_text())
    changes, modules = base["resource_changes"], base["planned_values"]["root_module"].get("child_modules", [])
    unit = len(json.dumps(changes)) + len(json.dumps(modules))
    plan = json.loads(json.dumps(base))
    for copy in range(1, max(1, int(megabytes * 1_000_000 // unit))):
        renamed = json.dumps([changes, modules]).replace("module.platform", f"module.platform{copy}")
        more_changes, more_modules = json.loads(renamed)
        plan["resource_changes"] += more_changes
        plan["planned_values"]["root_module"].setdefault("child_modules", []).extend(more_modules)
    out.write_text(json.dumps(plan))


def make_hcl(root: Path, megabytes: float) -> None:
    block = ('resource "aws_s3_bucket" "b{i}" {{\n  bucket = "${{var.project}}-bench-{i}"\n'
             '  tags = {{ n = "{i}" }}\n}}\n'
             'resource "aws_security_group" "g{i}" {{\n  name = "bench-{i}"\n  description = "bench"\n}}\n')
    target, parts, i = int(megabytes * 1_000_000), [], 0
    size = 0
    while size < target:
        text = block.format(i=i)
        parts.append(text)
        size += len(text)
        i += 1
    (root / "bench.tf").write_text("".join(parts))


def measure(args: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """(seconds, peak RSS in MB, exit code) of one `infra` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "infra.cli", "-q", *args], env=env, capture_output=True, text=True)
    seconds = time.monotonic() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode not in (0, 1):
        print(f"  ! exit {proc.returncode}: {proc.stderr.strip()[-300:]}")
    # ru_maxrss of children is the largest child so far; sizes run smallest first, so it is this one's.
    return seconds, max(peak, before) / 1024, proc.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plan-mb", default="1,10,50")
    parser.add_argument("--hcl-mb", default="1,4,8")
    parser.add_argument("--env", default="prod")
    parser.add_argument("--plan", type=Path)
    options = parser.parse_args()
    source = options.plan or REPO / ".infra" / "work" / "emulator" / "plans" / f"{options.env}.plan.json"
    env = {**os.environ, "INFRA_MAX_INPUT_MB": "1024", "INFRA_MAX_CONFIG_MB": "64"}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if _sizes(options.plan_mb):
            if not source.is_file():
                print(f"no plan at {source}: run `infra plan --env {options.env}` first, or give --plan")
                return 2
            for mb in sorted(_sizes(options.plan_mb)):
                path = work / f"plan-{mb}.json"
                make_plan(source, mb, path)
                real = path.stat().st_size / 1e6
                seconds, rss, _ = measure(["policy", "--env", options.env, "--no-scanners", "--plan", str(path)], env)
                rows.append(("plan JSON", real, seconds, rss))
                path.unlink()
        for mb in sorted(_sizes(options.hcl_mb)):
            repo = work / f"repo-{mb}"
            shutil.copytree(REPO / "terraform", repo / "terraform", ignore=shutil.ignore_patterns(".terraform*"))
            (repo / ".git").mkdir()
            make_hcl(repo / "terraform" / "envs" / options.env, mb)
            real = (repo / "terraform" / "envs" / options.env / "bench.tf").stat().st_size / 1e6
            seconds, rss, _ = measure(["--terraform-dir", str(repo / "terraform"), "policy", "--env", options.env,
                                       "--no-scanners"], env)
            rows.append(("HCL (.tf)", real, seconds, rss))
            shutil.rmtree(repo)
    print(f"{'input':<10} {'MB':>7} {'seconds':>9} {'peak MB':>9} {'s/MB':>7} {'peak MB/MB':>11}")
    for kind, mb, seconds, rss in rows:
        print(f"{kind:<10} {mb:>7.1f} {seconds:>9.1f} {rss:>9.0f} {seconds / mb:>7.2f} {rss / mb:>11.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
