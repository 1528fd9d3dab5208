"""benchmarks/policy_bench.py runs and prints its table (the timings themselves are not checked)."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from core.project import REPO_ROOT

SCRIPT = REPO_ROOT / "benchmarks" / "policy_bench.py"
NUMBER = re.compile(r"^\d+\.\d{3}$")
RATIO = re.compile(r"^\d+\.\dx$")

pytestmark = [pytest.mark.terraform, pytest.mark.emulator]


@pytest.fixture(scope="module")
def plans_dir(plans, tmp_path_factory):
    folder = tmp_path_factory.mktemp("bench-plans")
    for env, plan in plans.items():
        (folder / f"{env}.plan.json").write_text(json.dumps(plan.data))
    return folder


def bench(*args: str) -> dict[tuple[str, str], list[str]]:
    proc = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, cwd=REPO_ROOT,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    rows = {}
    for line in proc.stdout.splitlines():
        cells = line.split()
        if len(cells) == 8 and cells[1] in ("hcl", "plan", "both"):
            rows[cells[0], cells[1]] = cells[2:]
    assert "our engine, " in proc.stdout and "(target: under 1 s)" in proc.stdout
    return rows


def test_the_benchmark_times_our_engine_on_every_env(plans_dir, plans):
    rows = bench("--repeat", "1", "--plans", str(plans_dir), "--no-checkov")
    expected = {(env, kind) for env in plans for kind in ("hcl", "plan")}
    expected |= {("all", kind) for kind in ("hcl", "plan", "both")}
    assert set(rows) == expected
    for cells in rows.values():
        assert all(NUMBER.match(c) for c in cells[:3]), cells  # ours: cold, warm, uncached
        assert cells[3:] == ["-", "-", "-"], cells  # no checkov


# A second proof, in `make test-integration`: the default suite runs checkov on every real root and
# plan (tests/policy/test_scanners.py) and this script without it (above); what is left is the
# script's checkov column, which `make bench` prints.
@pytest.mark.integration
def test_the_benchmark_compares_with_checkov(plans_dir):
    rows = bench("--repeat", "1", "--plans", str(plans_dir), "--envs", "dev")
    assert set(rows) == {("dev", "hcl"), ("dev", "plan"), ("all", "hcl"), ("all", "plan"), ("all", "both")}
    for cells in rows.values():
        assert all(NUMBER.match(c) for c in cells[:4]), cells
        assert all(RATIO.match(c) for c in cells[4:]), cells
