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


@pytest.mark.parametrize("hook", ["env-policy.sh", "terraform-validate.sh"])
def test_a_hook_fails_when_a_step_before_its_checks_fails(tmp_path, hook):
    """The list of touched roots (or the toolchain's settings) failing must fail the hook, not pass it
    with nothing checked."""
    hooks = tmp_path / "scripts" / "hooks"
    hooks.mkdir(parents=True)
    (hooks / hook).write_text((REPO_ROOT / "scripts" / "hooks" / hook).read_text())
    (hooks / "roots.sh").write_text("#!/usr/bin/env bash\necho 'roots: broken' >&2\nexit 3\n")
    for script in hooks.iterdir():
        script.chmod(0o755)
    (tmp_path / ".venv").symlink_to(REPO_ROOT / ".venv")
    proc = subprocess.run(["bash", str(hooks / hook), "terraform/envs/dev/main.tf"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert "roots: broken" in proc.stderr
