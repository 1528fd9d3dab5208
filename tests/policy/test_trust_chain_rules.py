"""The IAM side of the trust chain, on real HCL: a copy of the bootstrap as it stood before the
security review (tests/fixtures/before-trust-chain) is flagged for each finding, and the fixed
terraform/bootstrap passes, with no escalation suppressed.

These run the HCL evaluator only (no Terraform, no emulator); the gate runs the same rules on the
real plan of every root."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from core.project import REPO_ROOT, Project
from policy import engine
from policy.hcl.loader import evaluate_root
from policy.iam.analysis import Principal
from policy.model import Resource, Source
from policy.rules.security import policy_document

BEFORE = REPO_ROOT / "tests" / "fixtures" / "before-trust-chain"
TIERS = Project.discover().tiers
# github_repository is the operator's input (never committed): given as an operator would.
OPERATOR = {"github_repository": "acme-corp/payments"}


def findings(root: Path, repo: Path, env: str = "bootstrap") -> list:
    resources = evaluate_root(root, env, repo_root=repo, inputs=OPERATOR).resources
    return engine.evaluate(resources, env, TIERS, Source.HCL, workflow_environments={"dev", "staging", "prod"})


def failing(found: list, rule: str) -> list[str]:
    return [f"{f.resource}: {f.message}" for f in found if f.rule == rule and f.status == "fail"]


def failing_paths(found: list, address: str) -> set[str]:
    """The escalation paths RPY-SEC-020 found on one role."""
    return {p for f in found if f.rule == "RPY-SEC-020" and f.status == "fail" and f.resource == address
            for p in f.actual}


@pytest.fixture(scope="module")
def before() -> list:
    return findings(BEFORE / "terraform" / "bootstrap", BEFORE)


@pytest.fixture(scope="module")
def after() -> list:
    return findings(REPO_ROOT / "terraform" / "bootstrap", REPO_ROOT)


def test_before_staging_and_prod_trust_only_the_environment_name(before):
    # "What stops a branch from reaching prod lives only in repository settings."
    flagged = failing(before, "RPY-SEC-019")
    assert any('this["prod"]' in f and "pins no job_workflow_ref" in f for f in flagged), flagged
    assert any('this["staging"]' in f and "pins no job_workflow_ref" in f for f in flagged), flagged
    assert not any('this["dev"]' in f for f in flagged)  # dev takes pull requests by design


def test_before_every_deploy_role_can_widen_itself(before):
    # "The dev role can create a role with *, trust itself and assume it."
    for env in ("dev", "staging", "prod"):
        found = failing_paths(before, f'module.github_oidc.aws_iam_role.this["{env}"]')
        assert {"PutRolePolicy", "UpdateRolePolicyToAssumeIt", "AttachRolePolicy"} <= found, (env, found)


def test_before_the_state_key_delegates_to_the_account(before):
    flagged = failing(before, "RPY-SEC-022")
    assert any("aws_kms_key.state" in f and ":root use the key" in f for f in flagged), flagged


def test_after_bootstrap_passes_the_trust_and_escalation_rules(after):
    for rule in ("RPY-SEC-019", "RPY-SEC-020", "RPY-SEC-021", "RPY-SEC-022"):
        assert failing(after, rule) == [], rule
    # Decided, not skipped: the rules saw the documents (nothing "unknown until plan" about them).
    undecided = [f.resource for f in after if f.rule in ("RPY-SEC-019", "RPY-SEC-020") and f.status == "unknown"]
    assert undecided == []


def test_after_the_only_wildcard_grant_is_the_deploy_roles_stack_services(after):
    flagged = failing(after, "RPY-SEC-018")
    assert flagged and all("rupaya-deploy-" in f and "StackServices" in f for f in flagged), flagged


# --- the fixed documents, mutated: each safeguard is what makes the difference --------------------


def deploy_doc(after_resources: list[Resource], env: str) -> dict:
    address = f'module.github_oidc.aws_iam_role_policy.this["rupaya-deploy-{env}"]'
    (role_policy,) = [r for r in after_resources if r.address == address]
    return policy_document(role_policy.get("policy"))


@pytest.fixture(scope="module")
def after_resources() -> list[Resource]:
    return evaluate_root(REPO_ROOT / "terraform" / "bootstrap", "bootstrap", repo_root=REPO_ROOT,
                         inputs=OPERATOR).resources


def without(doc: dict, sid: str, key: str | None = None) -> dict:
    mutated = copy.deepcopy(doc)
    for st in mutated["Statement"]:
        if st.get("Sid") == sid:
            if key is None:
                mutated["Statement"].remove(st)
            else:
                st.pop(key)
            break
    else:
        raise AssertionError(f"no statement {sid}")
    return mutated


def escalations(doc: dict) -> set[str]:
    return {p.path for p in Principal([("deploy", doc)]).escalations()}


def test_the_boundary_condition_is_what_stops_the_deploy_role(after_resources):
    fixed = deploy_doc(after_resources, "dev")
    assert escalations(fixed) == set()
    assert {"PutRolePolicy", "AttachRolePolicy", "UpdateRolePolicyToAssumeIt"} <= escalations(
        without(fixed, "RolesWithBoundary", "Condition"))
    assert "ECSExecuteCommandOnRunningTask" in escalations(without(fixed, "DenyEscalationActions"))


def test_in_one_account_dev_cannot_touch_prod_by_name_or_tag(after_resources):
    principal = Principal([("deploy", deploy_doc(after_resources, "dev"))])
    prod_cluster = "arn:aws:rds:us-east-1:123456789012:cluster:rupaya-prod"
    prod_repo = "arn:aws:ecr:us-east-1:123456789012:repository/rupaya-backend-prod"
    assert principal.denied("rds:deletedbcluster", prod_cluster)
    prod_secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rupaya-prod/jwt-x"
    assert principal.denied("secretsmanager:getsecretvalue", prod_secret)
    assert principal.denied("ecr:putimage", prod_repo)
    assert not principal.denied("ecr:batchgetimage", prod_repo)  # promotion reads other registries
    assert not principal.denied("rds:deletedbcluster", "arn:aws:rds:us-east-1:123456789012:cluster:rupaya-dev")
    tag_guard = [st for st in deploy_doc(after_resources, "dev")["Statement"]
                 if st.get("Sid") == "NoOtherEnvironmentsByTag"]
    assert tag_guard and tag_guard[0]["Condition"]["StringEquals"]["aws:ResourceTag/Environment"] in (
        ["prod", "staging"], ["staging", "prod"])


def test_a_plan_role_that_could_write_is_flagged(after_resources):
    (plan_policy,) = [r for r in after_resources
                      if r.address == 'module.github_oidc.aws_iam_role_policy.this["rupaya-plan-prod"]']
    (plan_role,) = [r for r in after_resources
                    if r.address == 'module.github_oidc.aws_iam_role.this["rupaya-plan-prod"]']
    widened = copy.deepcopy(policy_document(plan_policy.get("policy")))
    widened["Statement"].append({"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"})
    mutated = [r for r in after_resources if r.address != plan_policy.address]
    mutated.append(Resource(plan_policy.address, plan_policy.type, {**plan_policy.values, "policy": widened},
                            "bootstrap", Source.HCL))
    found = engine.evaluate(mutated, "bootstrap", TIERS, Source.HCL)
    flagged = failing(found, "RPY-SEC-019")
    assert any(plan_role.address in f and "admits pull-request code" in f and "s3:PutObject" in f for f in flagged)


def test_the_plan_roles_cannot_read_secrets_logs_or_other_state(after_resources):
    (plan_policy,) = [r for r in after_resources
                      if r.address == 'module.github_oidc.aws_iam_role_policy.this["rupaya-plan-prod"]']
    principal = Principal([("plan", policy_document(plan_policy.get("policy")))])
    for action in ("secretsmanager:getsecretvalue", "logs:getlogevents", "ssm:getparameter", "ecr:batchgetimage"):
        assert principal.reach(action) == [], action
    (state,) = principal.reach("s3:getobject")
    # The bucket is named after the account, which the HCL alone does not know ("*" stands for it).
    assert re.fullmatch(r"arn:[^:]+:s3:::(rupaya-terraform-state-\d{12}|\*)/envs/prod/\*", state), state
    assert principal.reach("ec2:describevpcs") == ["*"]


def module_findings(root: Path, repo: Path, tmp_path: Path, **tfvars: str) -> list:
    """The rules on one module evaluated as a root, with the given variables."""
    values = tmp_path / "module.tfvars"
    values.write_text("".join(f'{k} = "{v}"\n' for k, v in tfvars.items()))
    resources = evaluate_root(root, "dev", tfvars=[values], repo_root=repo).resources
    return engine.evaluate(resources, "dev", TIERS, Source.HCL)


def test_before_the_env_key_delegated_to_the_account_and_now_names_its_principals(tmp_path):
    old = module_findings(BEFORE / "terraform" / "modules" / "security", BEFORE, tmp_path, name="rupaya-dev")
    flagged = failing(old, "RPY-SEC-022")
    assert any(":root use the key" in f for f in flagged) and any("no named principal" in f for f in flagged)
    # The env roots as they are: the key of every tier names its administrators and users.
    for env in ("dev", "staging", "prod"):
        assert failing(findings(REPO_ROOT / "terraform" / "envs" / env, REPO_ROOT, env), "RPY-SEC-022") == [], env


def role_resource(after_resources: list[Resource], name: str, kind: str = "aws_iam_role") -> Resource:
    (found,) = [r for r in after_resources if r.address == f'module.github_oidc.{kind}.this["{name}"]']
    return found


def test_a_prod_subject_without_the_ref_claim_is_flagged(after_resources):
    # job_workflow_ref alone says which ref the *workflow file* was read at: a job on any branch
    # that calls the pipeline as it is on main matches it. The ref claim closes that.
    role = role_resource(after_resources, "rupaya-deploy-prod")
    trust = copy.deepcopy(policy_document(role.get("assume_role_policy")))
    like = trust["Statement"][0]["Condition"]["StringLike"]
    key = next(k for k in like if k.endswith(":sub"))
    like[key] = [re.sub(r":ref:[^:]+:job_workflow_ref:", ":job_workflow_ref:", s) for s in like[key]]
    assert all(":ref:" not in s for s in like[key]), like[key]
    mutated = [r for r in after_resources if r.address != role.address]
    mutated.append(Resource(role.address, role.type, {**role.values, "assume_role_policy": trust}, "bootstrap",
                            Source.HCL))
    flagged = failing(engine.evaluate(mutated, "bootstrap", TIERS, Source.HCL), "RPY-SEC-019")
    assert flagged and all("pins no ref claim" in f for f in flagged), flagged


def test_forged_subjects_are_excluded_from_every_trust(after_resources):
    # An environment or branch name that spells out a second claim must not match the patterns.
    for name in ("rupaya-deploy-prod", "rupaya-plan-prod"):
        trust = policy_document(role_resource(after_resources, name).get("assume_role_policy"))
        excluded = [x for st in trust["Statement"] for values in (st["Condition"].get("StringNotLike") or {}).values()
                    for x in values]
        assert "*:job_workflow_ref:*:job_workflow_ref:*" in excluded and "*@*@*" in excluded, (name, excluded)


def test_the_deploy_roles_resource_wildcard_writes_are_the_known_few(after_resources):
    """Actions AWS only grants on Resource "*" cannot be scoped to the env's names: after the denies,
    these are what a deploy role can still do account-wide (none creates access: each is reviewed in
    docs/SECURITY.md). A new one here is a decision, not a drift."""
    from policy.iam import actions as iam_actions

    principal = Principal([("deploy", deploy_doc(after_resources, "prod"))])
    account_wide = set()
    for action in {a for st in principal.allows for a in st.actions}:
        info = iam_actions.lookup(action)
        if info and info.writes and info.wildcard_only and "*" in principal.reach(action):
            account_wide.add(info.name)
    assert account_wide == {
        "acm:RequestCertificate", "appconfig:CreateApplication", "appconfig:CreateDeploymentStrategy",
        "ecs:DeregisterTaskDefinition", "ecs:DiscoverPollEndpoint", "kms:CreateKey", "kms:GenerateRandom",
        "sns:SetSubscriptionAttributes", "sns:Unsubscribe",
    }
    # Denied outright: running a task of one's choosing (a task role's credentials) and account settings.
    for denied in ("ecs:runtask", "ecs:starttask", "ecs:executecommand", "ecs:putaccountsettingdefault",
                   "s3:putaccountpublicaccessblock", "logs:putresourcepolicy"):
        assert principal.reach(denied) == [], denied


# IAM's quotas, in characters without whitespace: an inline role policy 10,240, a trust policy
# 2,048 (the default; 4,096 once raised). Past them, CreateRole or PutRolePolicy fails at apply.
INLINE_POLICY_LIMIT, TRUST_POLICY_LIMIT = 10_240, 2_048
ACCOUNT_ID = "123456789012"  # stands in for the account ID, unknown until plan, at its real length


def minified_length(doc: dict) -> int:
    return len(json.dumps(doc, separators=(",", ":"), default=lambda _unknown: ACCOUNT_ID))


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_the_roles_policies_fit_iams_quotas(after_resources, env):
    for name in (f"rupaya-deploy-{env}", f"rupaya-plan-{env}"):
        policy = policy_document(role_resource(after_resources, name, "aws_iam_role_policy").get("policy"))
        trust = policy_document(role_resource(after_resources, name).get("assume_role_policy"))
        assert minified_length(policy) <= INLINE_POLICY_LIMIT, name
        assert minified_length(trust) <= TRUST_POLICY_LIMIT, name
