"""The workflow linters, as `infra workflows check` (and so the gate) runs them on a .github/ folder:

- actionlint, with shellcheck on every `run:` script (both come as wheels; see pyproject.toml);
- zizmor --offline with the auditor persona (every audit, pedantic ones included; without --offline
  it calls GitHub's API when a token is set): its findings are judged against the one suppressions
  file (infra/workflows/check.py), so they come back as data, not lines;
- yamllint with the project's .yamllint.yml (`truthy` keys off, for `on:`);
- shellcheck on the scripts the workflows call (scripts/ci/*.sh).

`repo` is the folder that holds .github/ (and scripts/ci/). Each linter returns its findings as
lines; an empty list is clean. A missing tool is an InfraError.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from core.errors import InfraError
from core.project import REPO_ROOT


def tool(name: str) -> str:
    """The tool beside this Python (the project's virtualenv), else on PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        raise InfraError(f"{name} not found; `make setup` installs it into .venv")
    return found


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


def actionlint(repo: Path) -> list[str]:
    # The files by name: actionlint finds .github/workflows on its own only inside a git repository.
    files = sorted(str(p.relative_to(repo)) for p in (repo / ".github" / "workflows").glob("*.y*ml"))
    proc = _run([tool("actionlint"), "-shellcheck", tool("shellcheck"), "-oneline", "-no-color", *files], repo)
    if proc.returncode not in (0, 1):
        raise InfraError(f"actionlint failed to run: {proc.stderr.strip() or proc.stdout.strip()}")
    return [line for line in proc.stdout.splitlines() if line.strip()]


def zizmor_audit(repo: Path) -> list[dict]:
    """zizmor's findings (its JSON), auditor persona: every audit zizmor has."""
    import json

    proc = _run([tool("zizmor"), "--offline", "--persona=auditor", "--format", "json", "--no-progress",
                 ".github"], repo)
    try:
        found = json.loads(proc.stdout or "[]")
    except json.JSONDecodeError:
        found = None
    if not isinstance(found, list):
        lines = (proc.stderr or proc.stdout).strip().splitlines() or ["no output"]
        raise InfraError(f"zizmor failed to run: {lines[-1]}")
    return found


def yamllint(repo: Path) -> list[str]:
    config = REPO_ROOT / ".yamllint.yml"  # the project's rules, whichever .github is checked
    proc = _run([tool("yamllint"), "-c", str(config), "-f", "parsable", ".github"], repo)
    if proc.returncode not in (0, 1):
        raise InfraError(f"yamllint failed to run: {proc.stderr.strip()}")
    return [line for line in proc.stdout.splitlines() if line.strip()]


def shellcheck(repo: Path) -> list[str]:
    scripts = sorted(str(p.relative_to(repo)) for p in (repo / "scripts" / "ci").glob("*.sh"))
    if not scripts:
        return []
    proc = _run([tool("shellcheck"), "--format=gcc", *scripts], repo)
    if proc.returncode not in (0, 1):
        raise InfraError(f"shellcheck failed to run: {proc.stderr.strip()}")
    return [line for line in proc.stdout.splitlines() if line.strip()]


LINTERS: dict[str, Callable[[Path], list[str]]] = {
    "actionlint": actionlint, "yamllint": yamllint, "shellcheck": shellcheck,
}
