"""The generated workflow documents: committed and current, and really computed from the data."""

from __future__ import annotations

import re
import shutil

import pytest
from cli_run import assert_one_line_error, infra
from terraform_tree import copy_terraform  # tests/terraform_tree.py

from core.errors import InfraError
from core.project import REPO_ROOT, Project
from infra.workflows import docs

DELIVERY = Project.discover().delivery


def test_the_committed_docs_are_what_the_workflows_generate():
    assert docs.stale(REPO_ROOT, DELIVERY) == [], "run `infra workflows docs` and commit the result"


def total(text: str) -> float:
    return float(re.search(r"\*\*([\d.]+) min\*\* from a feature push to production", text).group(1))


@pytest.fixture
def repo_copy(tmp_path):
    shutil.copytree(REPO_ROOT / ".github", tmp_path / ".github")
    return tmp_path


def test_the_critical_path_follows_the_duration_data(repo_copy):
    before = total(docs.render(repo_copy, DELIVERY)[repo_copy / "docs" / "WORKFLOWS_EXECUTION_SEQUENCE.md"])
    durations = repo_copy / docs.DURATIONS
    # terraform-apply is on the unified deployment's critical path (three deployments on the way to prod).
    durations.write_text(durations.read_text().replace("terraform-apply: 6.5", "terraform-apply: 16.5"))
    after = total(docs.render(repo_copy, DELIVERY)[repo_copy / "docs" / "WORKFLOWS_EXECUTION_SEQUENCE.md"])
    assert after == before + 30
    # build is not: the plan, the apply and the migrations run beside it.
    durations.write_text(durations.read_text().replace("  build: 8", "  build: 9"))
    assert total(docs.render(repo_copy, DELIVERY)[repo_copy / "docs" / "WORKFLOWS_EXECUTION_SEQUENCE.md"]) == after


def test_a_job_without_a_duration_is_named(repo_copy):
    durations = repo_copy / docs.DURATIONS
    durations.write_text(durations.read_text().replace("  deploy-ecs: 3\n", ""))
    with pytest.raises(InfraError, match="no duration for job `deploy-ecs`"):
        docs.render(repo_copy, DELIVERY)


def test_the_unified_graph_has_every_job_and_the_rollback_on_failure():
    text = (REPO_ROOT / "docs" / "UNIFIED_DEPLOYMENT_ARCHITECTURE.md").read_text()
    for job in ("determine-environment/detect", "deploy/terraform-plan", "deploy/terraform-apply",
                "deploy/database-migrations", "deploy/deploy-ecs", "deploy/health-check",
                "deploy/e2e-tests", "deploy/deployment-summary"):
        assert f'["{job}<br/>' in text, job
    assert "deploy/rollback<br/>on failure" in text and "-.->" in text


def test_cli_check_reports_stale_docs(tmp_path):
    shutil.copytree(REPO_ROOT / ".github", tmp_path / ".github")
    copy_terraform(tmp_path / "terraform")
    proc = infra("--terraform-dir", str(tmp_path / "terraform"), "workflows", "docs", "--check")
    assert_one_line_error(proc, "stale workflow docs", code=1)  # the copy has no docs/ yet
    written = infra("--terraform-dir", str(tmp_path / "terraform"), "workflows", "docs")
    assert written.returncode == 0 and "wrote docs/WORKFLOWS_QUICK_REFERENCE.md" in written.stdout
    assert infra("--terraform-dir", str(tmp_path / "terraform"), "workflows", "docs", "--check").returncode == 0
