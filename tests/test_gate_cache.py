"""The gate's cache (infra/gate_cache.py): a wrong hit is a bug, so each kind of input is changed on a
copy of the tree and the rows that read it must get a new key, and only those; then the real gate
runs twice on a copy and shows the second time from the cache."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from cli_run import infra  # tests/cli_run.py

from core.project import REPO_ROOT, Project
from infra import gate, gate_cache
from infra.gate_cache import GateCache, module_closure

ROOTS = ["bootstrap", "dev", "staging", "prod"]
ROWS = ["workflows", "modules", *ROOTS]


@pytest.fixture
def tree(tmp_path, monkeypatch) -> Project:
    """A copy of the repository's parts the gate reads: the Terraform tree, .github, scripts/ci, docs,
    and the code and pins (the cache's REPO_ROOT points at the copy)."""
    ignore = shutil.ignore_patterns(".terraform", "*.tfstate*", "__pycache__")
    for part in ("terraform", ".github", "scripts/ci", "docs", "core", "policy", "infra"):
        shutil.copytree(REPO_ROOT / part, tmp_path / part, ignore=ignore)
    for name in ("constraints.txt", "constraints-checkov.txt", ".yamllint.yml"):
        shutil.copy(REPO_ROOT / name, tmp_path / name)
    monkeypatch.setattr(gate_cache, "REPO_ROOT", tmp_path)
    for name in [n for n in os.environ if n.startswith("TF_VAR_")]:
        monkeypatch.delenv(name)
    return Project(terraform_dir=tmp_path / "terraform", state_dir=tmp_path / "state")


def keys(project: Project, **options) -> dict[str, str]:
    settings = {"terraform_version": "1.11.0", "mirror": None, "scanners": True, **options}
    cache = GateCache(project, **settings)
    return {row: cache.key(row) for row in ROWS}


def changed(before: dict[str, str], after: dict[str, str]) -> set[str]:
    return {row for row in ROWS if before[row] != after[row]}


def append(path: Path, line: str) -> None:
    path.write_text(path.read_text() + line)


def test_the_envs_call_the_platform_and_through_it_every_concern_module(tree):
    names = {m.name for m in module_closure(tree.root_dir("dev"))}
    assert {"platform", "network", "database", "cache", "service"} <= names
    assert "platform" not in {m.name for m in module_closure(tree.root_dir("bootstrap"))}


@pytest.mark.parametrize(("edit", "rows"), [
    (lambda root: append(root / "terraform/envs/dev/terraform.tfvars", "# one line\n"), {"dev"}),
    (lambda root: append(root / "terraform/envs/prod/main.tf", "\n"), {"prod"}),
    (lambda root: append(root / "terraform/modules/cache/main.tf", "\n"), {"modules", "dev", "staging", "prod"}),
    (lambda root: append(root / "terraform/bootstrap/main.tf", "\n"), {"bootstrap"}),
    (lambda root: append(root / "terraform/tiers.yaml", "\n"), set(ROWS)),
    (lambda root: append(root / "policy/suppressions.yaml", "\n"), set(ROWS)),
    (lambda root: append(root / "policy/rules/sizing.py", "\n"), set(ROWS)),
    (lambda root: append(root / "policy/data/prices.yaml", "\n"), set(ROWS)),
    (lambda root: append(root / "infra/workspace.py", "\n"), set(ROWS)),
    (lambda root: append(root / "constraints-checkov.txt", "\n"), set(ROWS)),
    (lambda root: append(root / ".github/workflows/deploy-pipeline.yml", "\n"), {"workflows", *ROOTS}),
    (lambda root: append(root / "scripts/ci/terraform.sh", "\n"), {"workflows"}),
    (lambda root: (root / "terraform/envs/staging/extra.auto.tfvars").write_text('project = "x"\n'), {"staging"}),
], ids=["env-tfvars", "env-root", "module", "bootstrap", "tiers", "suppressions", "rule-code", "rule-data",
        "infra-code", "scanner-pins", "workflow", "ci-script", "new-file"])
def test_a_change_gives_a_new_key_to_exactly_the_rows_that_read_it(tree, edit, rows):
    before = keys(tree)
    assert keys(tree) == before  # the same tree, the same keys
    edit(tree.terraform_dir.parent)
    assert changed(before, keys(tree)) == rows


def test_tools_settings_and_options_are_in_every_key(tree, monkeypatch):
    before = keys(tree)
    assert changed(before, keys(tree, terraform_version="1.11.1")) == set(ROWS)
    assert changed(before, keys(tree, scanners=False)) == set(ROWS)
    assert changed(before, keys(tree, endpoint="http://localhost:4566")) == set(ROWS)
    mirror = tree.terraform_dir.parent / "mirror"
    (mirror / "registry.terraform.io/hashicorp/aws").mkdir(parents=True)
    with_mirror = keys(tree, mirror=mirror)
    (mirror / "registry.terraform.io/hashicorp/aws/5.101.0.json").write_text("{}")
    assert changed(with_mirror, keys(tree, mirror=mirror)) == set(ROWS)
    monkeypatch.setenv("TF_VAR_alarm_email", "ops@example.org")
    assert changed(before, keys(tree)) == set(ROWS)


def test_an_entry_is_used_only_under_its_key_and_a_broken_one_is_ignored(tree):
    cache = GateCache(tree, "1.11.0", None, scanners=True)
    cache.save("dev", "k1", {"verdict": "PASS"})
    assert cache.load("dev", "k1")[0] == {"verdict": "PASS"}
    assert cache.load("dev", "k2") is None
    (cache.folder / "dev.pickle").write_bytes(b"not a pickle")
    assert cache.load("dev", "k1") is None
    assert GateCache(tree, "1.11.0", None, scanners=True, enabled=False).load("dev", "k1") is None


@pytest.mark.terraform
@pytest.mark.emulator
def test_the_gate_shows_an_unchanged_tree_from_the_cache_and_runs_a_changed_env_again(terraform_copy, tmp_path):
    env = {"INFRA_TERRAFORM_DIR": str(terraform_copy), "INFRA_STATE_DIR": str(tmp_path / "state")}
    args = ("gate", "--env", "dev", "--no-scanners")
    first = infra(*args, "--jobs", "2", env=env)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-2000:]  # only passing rows are kept
    assert "unchanged since" not in first.stderr and "-> dev: plan" in first.stderr
    # Two rows at once, yet each row's lines come whole and in row order, and so do the tables.
    assert "== 4 rows to run, 2 at once" in first.stderr
    lines = first.stderr.splitlines()
    labels = [label for line in lines if line.startswith(("-> ", "ok "))
              if (label := line.split(":")[0].split()[-1]) != "emulator"]
    rows = [label for i, label in enumerate(labels) if i == 0 or labels[i - 1] != label]
    assert rows == ["bootstrap", "dev"], labels
    titles = [line.split(":")[0].strip() for line in first.stdout.splitlines()
              if line.strip().startswith(("workflows:", "modules:", "bootstrap:", "dev:"))]
    assert titles == ["workflows", "modules", "bootstrap", "dev"], first.stdout
    second = infra(*args, env=env)
    assert second.returncode == first.returncode
    for row in ("workflows", "modules", "bootstrap", "dev"):
        assert f"== {row}: unchanged since" in second.stderr, second.stderr
    assert "-> dev: plan" not in second.stderr
    assert "stopped again when this command ends" not in second.stderr  # no emulator needed
    assert "(cached: inputs unchanged since" in second.stdout
    append(terraform_copy / "envs" / "dev" / "terraform.tfvars", "# one line\n")
    third = infra(*args, env=env)
    assert "-> dev: plan" in third.stderr and "== dev: unchanged" not in third.stderr
    assert "== bootstrap: unchanged since" in third.stderr


@pytest.mark.parametrize(("cores", "load", "free"), [(2, 0.2, 2), (2, 0.6, 1), (2, 1.9, 1), (2, 7.0, 1), (8, 2.4, 6)])
def test_the_gate_counts_a_core_free_when_the_load_leaves_more_than_half_of_it(monkeypatch, cores, load, free):
    monkeypatch.setattr(gate.os, "sched_getaffinity", lambda _pid: set(range(cores)))
    monkeypatch.setattr(gate.os, "getloadavg", lambda: (load, load, load))
    assert gate.free_cores() == free
