"""Time `infra gate` three ways in one run: cold (an empty cache), unchanged (every row from the
cache), and after a one-line change to envs/dev/terraform.tfvars (dev runs again, the rest is cached).

Prints the three figures side by side; numbers, not a test. It works on a copy of the tree in a
temporary folder, with a state folder of its own, so the repository's cache is not touched.

    .venv/bin/python benchmarks/gate_bench.py [--no-scanners] [--jobs N]

`--jobs N` is passed to every gate (default: the gate's own choice, the cores the load leaves free),
so `--jobs 1` and `--jobs 2` compare the rows run in turn with two at once.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
PARTS = ("terraform", ".github", "scripts/ci", "docs")


def timed_gate(env: dict[str, str], extra: list[str]) -> tuple[float, int]:
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "infra.cli", "gate", *extra], env=env, cwd=REPO_ROOT,
                          capture_output=True, text=True, check=False)
    if proc.returncode not in (0, 1):
        sys.exit(f"infra gate failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    return time.monotonic() - started, proc.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-scanners", action="store_true", help="leave checkov and trivy out of every run")
    parser.add_argument("--jobs", type=int, help="rows each gate runs at once (default: the gate's choice)")
    args = parser.parse_args()
    extra = ["--no-scanners"] if args.no_scanners else []
    if args.jobs is not None:
        extra += ["--jobs", str(args.jobs)]
    with tempfile.TemporaryDirectory(prefix="gate-bench-") as tmp:
        work = Path(tmp)
        ignore = shutil.ignore_patterns(".terraform", "*.tfstate*", "__pycache__")
        for part in PARTS:
            shutil.copytree(REPO_ROOT / part, work / part, ignore=ignore)
        shutil.copy(REPO_ROOT / ".yamllint.yml", work / ".yamllint.yml")
        env = {**os.environ, "INFRA_TERRAFORM_DIR": str(work / "terraform"), "INFRA_STATE_DIR": str(work / "state")}
        cold, code = timed_gate(env, extra)
        unchanged, _ = timed_gate(env, extra)
        tfvars = work / "terraform" / "envs" / "dev" / "terraform.tfvars"
        tfvars.write_text(tfvars.read_text() + "# a one-line change\n")
        one_env, _ = timed_gate(env, extra)
    note = (", no scanners" if args.no_scanners else "") + (f", --jobs {args.jobs}" if args.jobs else "")
    print(f"{'cold':>10} {'unchanged':>10} {'dev changed':>12}   (infra gate, seconds{note}; exit {code})")
    print(f"{cold:>10.1f} {unchanged:>10.1f} {one_env:>12.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
