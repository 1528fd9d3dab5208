"""The workflow linters, as `infra gate` and the tests run them on .github/:

- actionlint, with shellcheck on every `run:` script (both come as wheels; see pyproject.toml);
- zizmor --offline (security audits; without --offline it calls GitHub's API when a token is set);
- yamllint with the repository's .yamllint.yml (`truthy` keys off, for `on:`);
- shellcheck on the scripts the workflows call (scripts/ci/*.sh).

Each returns the findings as lines; an empty list is clean. A missing tool is an InfraError.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from infra.errors import InfraError


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
    proc = _run([tool("actionlint"), "-shellcheck", tool("shellcheck"), "-oneline", "-no-color"], repo)
    if proc.returncode not in (0, 1):
        raise InfraError(f"actionlint failed to run: {proc.stderr.strip() or proc.stdout.strip()}")
    return [line for line in proc.stdout.splitlines() if line.strip()]


def zizmor(repo: Path) -> list[str]:
    proc = _run([tool("zizmor"), "--offline", "--format", "plain", "--no-progress", ".github"], repo)
    if proc.returncode != 0 and "findings" not in proc.stdout + proc.stderr:
        raise InfraError(f"zizmor failed to run: {(proc.stderr or proc.stdout).strip().splitlines()[-1]}")
    if proc.returncode == 0:
        return []
    return [line for line in proc.stdout.splitlines() if line.startswith(("error[", "warning[", "help[", "info"))]


def yamllint(repo: Path) -> list[str]:
    proc = _run([tool("yamllint"), "-c", ".yamllint.yml", "-f", "parsable", ".github"], repo)
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
    "actionlint": actionlint, "zizmor": zizmor, "yamllint": yamllint, "shellcheck": shellcheck,
}
