"""The import contracts of pyproject.toml ([tool.importlinter]), run with import-linter as `lint-imports`
would run them: imports go core <- policy <- infra, the CLI's command modules never import its root,
and no two parts of a package import each other (policy.hcl's expr/functions pair excepted).

Each contract is also shown to catch what it forbids, on a copy of the packages with one bad import
added: a contract that cannot fail would prove nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from core.project import REPO_ROOT

PACKAGES = ("core", "policy", "infra")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--config", str(root / "pyproject.toml")], cwd=root,
                          env=env, capture_output=True, text=True, timeout=300)


def test_the_tree_keeps_every_import_contract():
    proc = lint_imports(REPO_ROOT)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    assert "BROKEN" not in proc.stdout and proc.stdout.count("KEPT") == 3


@pytest.fixture(scope="module")
def copy(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("imports")
    for package in PACKAGES:
        shutil.copytree(REPO_ROOT / package, root / package, ignore=shutil.ignore_patterns("__pycache__", "*.json"))
    shutil.copy(REPO_ROOT / "pyproject.toml", root)
    return root


@pytest.mark.parametrize(("module", "bad_import", "contract"), [
    ("policy/model.py", "import infra.stack", "core <- policy <- infra"),
    ("core/scope.py", "import policy.model", "core <- policy <- infra"),
    ("infra/cli/stack.py", "from infra.cli import root", "the CLI root adds the command modules"),
    ("infra/stack.py", "import infra.delivery.ecs", "no cycles between the parts of a package"),
    ("policy/rules/sizing.py", "import policy.runner", "no cycles between the parts of a package"),
])
def test_each_contract_catches_the_import_it_forbids(copy, module, bad_import, contract):
    path = copy / module
    original = path.read_text()
    path.write_text(original + f"\n{bad_import}  # noqa\n")
    try:
        proc = lint_imports(copy)
    finally:
        path.write_text(original)
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr
    broken = [line for line in proc.stdout.splitlines() if line.endswith("BROKEN") or " BROKEN (" in line]
    assert any(line.startswith(contract) for line in broken), proc.stdout[-3000:]
