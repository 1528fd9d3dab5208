"""`pre-commit run --all-files` passes on a clean tree: every hook of .pre-commit-config.yaml runs,
offline, from what `make setup` installed (the hooks are local: nothing is cloned)."""

from __future__ import annotations

import os
import subprocess

import pytest
import yaml

from core.project import REPO_ROOT

pytestmark = pytest.mark.terraform  # terraform validate is one of the hooks


def test_every_hook_is_local_and_runs_a_pinned_or_project_tool():
    config = yaml.safe_load((REPO_ROOT / ".pre-commit-config.yaml").read_text())
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]
    assert {repo["repo"] for repo in config["repos"]} == {"local"}, "a remote hook would be cloned: not offline"
    assert {hook["id"] for hook in hooks} >= {"terraform-fmt", "terraform-validate", "ruff", "yamllint", "actionlint",
                                              "shellcheck", "zizmor", "env-policy", "docs", "workflow-docs"}
    for hook in hooks:
        tool = hook["entry"].split()[0]
        assert tool == "terraform" or (REPO_ROOT / tool).exists(), f"{hook['id']}: {tool} is not installed here"


@pytest.mark.integration  # a second proof: `make test` runs each check the hooks run (see docs/TESTING.md)
def test_pre_commit_passes_on_the_clean_tree(tmp_path):
    if not (REPO_ROOT / ".git").exists():
        pytest.skip("not a git checkout: pre-commit needs one")
    # --all-files never stashes the work tree; the hooks only read it.
    proc = subprocess.run([str(REPO_ROOT / ".venv" / "bin" / "pre-commit"), "run", "--all-files", "--color", "never"],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=900,
                          env={**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = [line for line in proc.stdout.splitlines() if line.endswith(("Passed", "Failed", "Skipped"))]
    config = yaml.safe_load((REPO_ROOT / ".pre-commit-config.yaml").read_text())
    assert len(results) == sum(len(repo["hooks"]) for repo in config["repos"]), "every hook ran"
    assert all(line.endswith("Passed") for line in results), proc.stdout
