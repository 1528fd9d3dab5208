"""`infra detect-env`: the seed's branch-to-environment rules, manual input, and every bad input."""

from __future__ import annotations

import pytest
from cli_run import assert_one_line_error, infra

from core.errors import InfraError
from core.project import Project
from infra.workflows.detect import detect

DELIVERY = Project.discover().delivery  # tiers.yaml's own rules: the tests read what the workflows read


@pytest.mark.parametrize(("event", "ref", "extra", "env"), [
    # The seed's rules: feature/* -> dev, release/* -> staging, main and semver tags -> prod.
    ("push", "refs/heads/feature/new-auth", {}, "dev"),
    ("push", "refs/heads/feature/JIRA-12_x", {}, "dev"),
    ("push", "refs/heads/release/v1.2.0", {}, "staging"),
    ("push", "refs/heads/main", {}, "prod"),
    ("push", "main", {}, "prod"),  # github.ref_name of a branch push
    ("push", "refs/tags/v1.2.0", {}, "prod"),
    ("push", "refs/tags/v10.20.30", {}, "prod"),
    ("push", "refs/tags/v1.2.3-rc.4", {}, "prod"),
    # Tags that look like versions but are not strict semver deploy nothing.
    ("push", "refs/tags/v1..", {}, "none"),
    ("push", "refs/tags/vX.Y.Z-evil", {}, "none"),
    ("push", "refs/tags/v1.2.3-evil", {}, "none"),
    ("push", "refs/tags/v1.2.3.4", {}, "none"),
    # Branches and tags that deploy nothing.
    ("push", "refs/heads/develop", {}, "none"),
    ("push", "refs/heads/bugfix/crash", {}, "none"),
    ("push", "refs/heads/chore/deps", {}, "none"),
    ("push", "refs/heads/feature", {}, "none"),  # no slash: not feature/*
    ("push", "refs/heads/feature/a/b", {}, "none"),  # * stops at /, as in the workflow's trigger
    ("push", "refs/heads/mainline", {}, "none"),
    ("push", "refs/tags/v1.2", {}, "none"),
    ("push", "refs/tags/release-1", {}, "none"),
    # Manual input wins over the branch.
    ("workflow_dispatch", "refs/heads/main", {"inputs": {"environment": "dev"}}, "dev"),
    ("workflow_dispatch", "refs/heads/feature/x", {"inputs": {"environment": "prod"}}, "prod"),
    ("workflow_dispatch", "refs/heads/release/v2", {}, "staging"),  # no input: the branch's rule
    # Pull requests: only into develop, as the dev preview.
    ("pull_request", "refs/pull/7/merge", {"base_ref": "develop"}, "dev"),
    ("pull_request", "refs/pull/7/merge", {"base_ref": "main"}, "none"),
    ("pull_request", "refs/pull/7/merge", {"base_ref": "refs/heads/develop"}, "dev"),
    # Events that never deploy.
    ("schedule", "refs/heads/main", {}, "none"),
    ("create", "refs/tags/v1.2.0", {}, "none"),
])
def test_rules(event, ref, extra, env):
    assert detect(event, ref, DELIVERY, extra.get("inputs"), extra.get("base_ref")).environment == env


@pytest.mark.parametrize(("event", "ref", "extra", "message"), [
    ("workflow_dispatch", "refs/heads/main", {"inputs": {"environment": "qa"}}, "unknown environment 'qa'"),
    ("workflow_dispatch", "refs/heads/main", {"inputs": {"env": "dev"}}, "unknown input(s) env"),
    ("push", "refs/heads/main", {"inputs": {"environment": "dev"}}, "only with workflow_dispatch"),
    ("pushh", "refs/heads/main", {}, "unknown event 'pushh'"),
    ("push", "v1.2.3", {}, "could be a branch or a tag"),
    ("push", "refs/remotes/origin/main", {}, "is not a branch"),
    ("push", "refs/pull/3/merge", {}, "runs on a branch or a tag"),
    ("push", "  ", {}, "--ref is empty"),
    ("pull_request", "refs/pull/7/merge", {}, "needs --base-ref"),
    ("push", "refs/heads/main", {"base_ref": "develop"}, "--base-ref is for pull_request"),
    ("pull_request", "refs/pull/7/merge", {"base_ref": "refs/tags/v1.2.3"}, "is not a branch"),
])
def test_bad_input_is_an_error_never_a_guess(event, ref, extra, message):
    with pytest.raises(InfraError, match=message.replace("(", r"\(").replace(")", r"\)")):
        detect(event, ref, DELIVERY, extra.get("inputs"), extra.get("base_ref"))


def test_a_tier_without_delivery_rules_is_never_chosen_by_a_ref():
    only_dev = {"dev": DELIVERY["dev"], "prod": {}}
    assert detect("push", "refs/heads/main", only_dev).environment == "none"
    assert detect("workflow_dispatch", "refs/heads/main", only_dev, {"environment": "prod"}).environment == "prod"


def test_cli_prints_one_word_and_the_reason_on_stderr():
    proc = infra("detect-env", "--event", "push", "--ref", "refs/heads/release/v1.2.0")
    assert proc.returncode == 0 and proc.stdout == "staging\n"
    assert "release/v1.2.0 matches release/*" in proc.stderr
    manual = infra("detect-env", "--event", "workflow_dispatch", "--ref", "refs/heads/main",
                   "--input", "environment=dev")
    assert manual.stdout == "dev\n"
    assert infra("-q", "detect-env", "--event", "push", "--ref", "refs/heads/develop").stdout == "none\n"
    assert_one_line_error(infra("detect-env", "--event", "workflow_dispatch", "--ref", "main",
                                "--input", "environment=production"), "unknown environment 'production'")
    assert_one_line_error(infra("detect-env", "--event", "workflow_dispatch", "--ref", "main", "--input", "dev"),
                          "is not NAME=VALUE")
