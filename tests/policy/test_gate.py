"""The policy as test cases: one per env and rule, so a PR's JUnit shows
"prod / security / rds-encryption FAILED" with the findings as the failure message.

Each case checks the committed tree: the HCL of the env root and its real plan against the
emulator, with policy/suppressions.yaml applied, exactly as `infra gate` does (minus the scanners,
which have their own tests).
"""

from __future__ import annotations

import copy
import json

import pytest

from core.project import BOOTSTRAP, REPO_ROOT, Project
from policy import runner
from policy.model import EnvResult, Source
from policy.rules import ALL_RULES

pytestmark = [pytest.mark.terraform, pytest.mark.emulator]

ENVS = [BOOTSTRAP, *Project.discover(REPO_ROOT / "terraform").envs]
CASES = [
    pytest.param(env, rule, id=f"{env} / {rule.family} / {rule.slug}")
    for env in ENVS
    for rule in ALL_RULES
    if env != BOOTSTRAP or rule.family == "security"
]


@pytest.fixture(scope="session")
def policy_results(project, plans, bootstrap_plan, tmp_path_factory) -> dict[str, EnvResult]:
    """Each env through the policy once: HCL and plan (the shared plans), suppressions applied."""
    folder = tmp_path_factory.mktemp("gate-plans")
    results = {}
    for env in ENVS:
        if env == BOOTSTRAP:
            plan_json = bootstrap_plan
        else:
            plan_json = folder / f"{env}.plan.json"
            plan_json.write_text(json.dumps(plans[env].data))
        results[env] = runner.run_env(project, env, runner.Options(plan_json=plan_json, scanners=False))
    return results


@pytest.mark.parametrize(("env", "rule"), CASES)
def test_policy(policy_results, env, rule):
    findings = [f for f in policy_results[env].findings if f.rule == rule.id]
    blocking = [f for f in findings if f.blocking]
    report = "\n".join(
        f"{f.source}: {f.resource} ({f.file}:{f.line}): {f.message}\n  fix: {f.remediation}" for f in blocking
    )
    assert not blocking, f"{rule.id} {rule.title}:\n{report}"


def test_every_env_ran_both_inputs(policy_results):
    prod = policy_results["prod"]
    assert prod.steps == {"hcl policy": "ok", "plan policy": "ok", "suppressions": "ok"}


def test_the_rules_see_the_real_stack_on_both_inputs(project, plans):
    """The cases above pass because the rules looked, not because nothing reached them: on the HCL
    and on the plan alike, a budget of $1 makes the cost rule fail on dev's real resources."""
    from policy import engine, hcl
    from policy.plan import resources_from_plan
    from policy.rules.cost import Budget

    tiers = copy.deepcopy(project.tiers)
    tiers["tiers"]["dev"]["budget_usd_month"] = {"min": 0, "max": 1}
    inputs = {
        Source.HCL: hcl.load_root(project.root_dir("dev"), "dev", repo_root=project.terraform_dir.parent),
        Source.PLAN: resources_from_plan(plans["dev"].data, "dev"),
    }
    for source, resources in inputs.items():
        found = engine.evaluate(resources, "dev", tiers, source, rules=[Budget])
        assert [f.status for f in found if f.rule == Budget.id] == ["fail"], source


def test_every_resource_rule_has_resources_to_check(project):
    """A rule whose resource types the stack never uses would pass forever without looking."""
    from policy import hcl

    present = {
        r.type
        for env in ENVS
        for r in hcl.load_root(project.root_dir(env), env, repo_root=project.terraform_dir.parent)
    }
    idle = [rule.id for rule in ALL_RULES if rule.resource_types and not present & set(rule.resource_types)]
    assert idle == []
