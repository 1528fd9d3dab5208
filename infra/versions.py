"""`infra --version`: this project's version and the versions of the tools it runs, as found now.

Each line is `name version (where)`; a tool that cannot be found or run says so on its line instead
of failing the command, since --version is what one runs to find out what is missing.
"""

from __future__ import annotations

import re
import subprocess
from importlib import metadata
from pathlib import Path

from core.errors import InputError

PACKAGE = "rupaya-infra"
_LOCKED_AWS = re.compile(r'provider "registry\.terraform\.io/hashicorp/aws" \{\s*version\s*=\s*"([^"]+)"')


def _run_version(binary: str, *args: str) -> str | None:
    try:
        proc = subprocess.run([binary, *args], capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r"(\d+\.\d+\.\d+)", proc.stdout + proc.stderr)
    return match.group(1) if match else None


def _installed_version(binary: str, package: str) -> str | None:
    """The package's version from the metadata of the virtualenv that holds ``binary``, when there is
    one: `checkov --version` imports all of checkov (seconds), its metadata takes a Python start-up."""
    python = Path(binary).parent / "python"
    if not python.is_file():
        return None
    code = f"import importlib.metadata as m; print(m.version({package!r}))"
    try:
        proc = subprocess.run([str(python), "-c", code], capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() if proc.returncode == 0 and proc.stdout.strip() else None


def provider_versions(terraform_dir: Path) -> dict[str, list[str]]:
    """hashicorp/aws versions the roots' lock files pin: {version: [root, ...]}."""
    found: dict[str, list[str]] = {}
    for lock in sorted(terraform_dir.glob("**/.terraform.lock.hcl")):
        if ".terraform" in lock.parent.parts:
            continue
        match = _LOCKED_AWS.search(lock.read_text(errors="replace"))
        if match:
            found.setdefault(match.group(1), []).append(lock.parent.relative_to(terraform_dir).as_posix())
    return found


def versions_text(terraform_dir: Path | str) -> str:
    """The lines; ``terraform_dir`` is the tree, or why there is none (said on the provider's line)."""
    from infra.toolchain import find_terraform
    from policy.scanners._tools import find_tool

    try:
        own = metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        own = "(not installed: run `make setup`)"
    lines = [f"infra {own}"]
    try:
        binary, version = find_terraform()
        lines.append(f"terraform {version} ({binary})")
    except InputError as exc:
        lines.append(f"terraform: {exc}")
    if isinstance(terraform_dir, str):
        lines.append(f"hashicorp/aws: {terraform_dir}")
    else:
        pinned = sorted(provider_versions(terraform_dir).items())
        locked = [f"hashicorp/aws {version} (locked in {', '.join(roots)})" for version, roots in pinned]
        lines += locked or [f"hashicorp/aws: no lock file under {terraform_dir}"]
    for scanner in ("checkov", "trivy"):
        try:
            binary = find_tool(scanner)
        except InputError as exc:
            lines.append(f"{scanner}: {exc}")
            continue
        version = _installed_version(binary, scanner) or _run_version(binary, "--version")
        lines.append(f"{scanner} {version} ({binary})" if version else f"{scanner}: {binary} printed no version")
    return "\n".join(lines) + "\n"
