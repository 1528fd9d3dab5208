"""The harness itself: the leftover inventory, the kept state after a failed destroy, and a failed apply.

These tests break things on purpose (an image that blocks a repository's deletion, an argument the
API refuses half-way through an apply) and require the harness to end with nothing left, or with
what is left named, and the state file kept where it says.
"""

from __future__ import annotations

import json

import pytest
from aws_stub import failing_aws  # tests/aws_stub.py

from core.aws import AwsSession
from core.errors import InfraError
from core.project import BOOTSTRAP, Project
from infra import inventory
from infra.cli import main
from infra.stack import Stack, TeardownFailed, resource_type, scope_tags
from infra.terraform import Progress, StepFailed, first_error
from policy.hcl.parse import parse_file

REGISTRY = "module.platform.module.registry"


def test_resource_type_of_state_addresses():
    assert resource_type('module.platform.module.network.aws_subnet.private["us-east-1a"]') == "aws_subnet"
    assert resource_type('module.x.aws_iam_role_policy_attachment.this["dev arn:aws:iam::aws:policy/P.A"]') == (
        "aws_iam_role_policy_attachment"
    )
    assert resource_type("module.platform.data.aws_iam_policy_document.trust") == ""
    assert resource_type("aws_kms_key.state") == "aws_kms_key"
    assert resource_type("data.aws_caller_identity.current") == ""


def test_every_type_the_envs_create_is_known_to_the_inventory(plans):
    for env, plan in plans.items():
        unknown = {c["type"] for c in plan.changes} - set(inventory.TYPES)
        assert not unknown, f"{env}: add these types to infra.inventory.TYPES: {unknown}"
    assert {svc for svc in inventory.TYPES.values() if svc} <= set(inventory.LISTERS)


def test_scope_tags_are_tags_every_root_sets_by_default(project):
    for root in [BOOTSTRAP, *project.envs]:
        scope = scope_tags(project, root)
        versions = project.root_dir(root) / "versions.tf"
        (provider,) = [b for b in parse_file(versions, str(versions)).blocks if b.type == "provider"
                       and b.labels == ("aws",)]
        (tags_block,) = [b for b in provider.body.blocks if b.type == "default_tags"]
        default_tags = {key.value for key, _ in tags_block.body.attributes["tags"].expr.items}
        required = {k for k, v in scope.items() if v is not None}
        assert required <= default_tags, root
        assert not {k for k, v in scope.items() if v is None} & default_tags, f"{root} sets a tag it must lack"
        assert all('"' not in v for v in scope.values() if v is not None), scope


def test_a_wrong_env_is_refused_before_anything_runs(project, toolchain, tmp_path):
    work = Project(terraform_dir=project.terraform_dir, state_dir=tmp_path)
    with pytest.raises(InfraError, match="qa"):
        Stack(work, toolchain, "qa", "http://127.0.0.1:9")
    assert not (tmp_path / "work").exists()


def test_the_inventory_needs_a_scope(emulator):
    with pytest.raises(InfraError, match="at least one tag"):
        inventory.take(AwsSession(emulator), {})


@pytest.mark.emulator
def test_the_inventory_finds_what_carries_the_scopes_tags_and_nothing_else(emulator):
    aws = AwsSession(emulator)
    mine = {"Project": "harness", "Environment": "inv"}
    other = {"Project": "harness", "Environment": "other"}

    def tags(scope, key="Key", value="Value"):
        return [{key: k, value: v} for k, v in scope.items()]

    for scope, suffix in ((mine, "mine"), (other, "other")):
        aws.client("logs").create_log_group(logGroupName=f"/harness/{suffix}", tags=scope)
        aws.client("secretsmanager").create_secret(Name=f"harness/{suffix}", SecretString="x", Tags=tags(scope))
        aws.client("kms").create_key(Tags=tags(scope, "TagKey", "TagValue"))
        vpc = aws.client("ec2").create_vpc(
            CidrBlock="10.99.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": tags(scope)}]
        )["Vpc"]
        aws.client("ec2").create_security_group(
            GroupName=f"harness-{suffix}", Description="x", VpcId=vpc["VpcId"],
            TagSpecifications=[{"ResourceType": "security-group", "Tags": tags(scope)}],
        )
    found = inventory.take(aws, mine)
    assert found.unchecked == {}
    assert sorted(f.type for f in found.found) == [
        "aws_cloudwatch_log_group", "aws_kms_key", "aws_secretsmanager_secret", "aws_security_group", "aws_vpc",
    ]
    assert {f.id for f in found.found} >= {"/harness/mine", "harness/mine"}
    # A key scheduled for deletion is gone as far as AWS lets it be.
    key = next(f.id for f in found.found if f.type == "aws_kms_key")
    aws.client("kms").schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    assert "aws_kms_key" not in {f.type for f in inventory.take(aws, mine, services=["kms"]).found}


def test_a_service_the_endpoint_does_not_serve_is_reported_not_crashed():
    # Answered the way LocalStack's free tier answers ECS or RDS.
    with failing_aws(501, "InternalFailure", "not included in your current license plan") as endpoint:
        found = inventory.take(AwsSession(endpoint), {"Environment": "dev"}, services=["ecs", "logs"])
    assert found.found == []
    assert set(found.unchecked) == {"ecs", "logs"}
    assert "license plan" in found.unchecked["ecs"]


@pytest.mark.integration
@pytest.mark.terraform
@pytest.mark.emulator
def test_a_failed_destroy_keeps_the_state_and_infra_down_finishes_it(
    project, toolchain, emulator, tmp_path, monkeypatch, capsys
):
    """A guard the teardown does not lift makes the destroy fail: the destroy says so naming the kept
    state, and `infra down` on the same work copy, once the guard is gone, destroys the rest.

    The guard: an image in the repository, with the teardown's registry `force_delete` taken out
    (the real teardown lifts it, so a delivered env goes down with its images)."""
    from infra import workspace

    lifted = workspace.TEARDOWN_HCL
    monkeypatch.setattr(workspace, "TEARDOWN_HCL", "\n".join(
        line for line in lifted.splitlines() if "ecr_force_delete" not in line) + "\n")
    work = Project(terraform_dir=project.terraform_dir, state_dir=tmp_path)
    stack = Stack(work, toolchain, "dev", emulator, Progress(quiet=True))
    stack.apply(("-target", REGISTRY))
    ecr = stack.aws.client("ecr")
    repo = next(f.id for f in stack.take_inventory().found if f.type == "aws_ecr_repository")
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                           "config": {"digest": "sha256:" + "0" * 64, "size": 1, "mediaType": "x"}, "layers": []})
    ecr.put_image(repositoryName=repo, imageManifest=manifest, imageTag="left-behind")

    with pytest.raises(TeardownFailed) as failed:
        stack.destroy()
    message = str(failed.value)
    assert "RepositoryNotEmpty" in message
    assert f"state kept at {stack.workspace.state_file}" in message
    assert any(resource_type(a) == "aws_ecr_repository" for a in stack.state_addresses()), "state lost"

    ecr.batch_delete_image(repositoryName=repo, imageIds=[{"imageTag": "left-behind"}])
    monkeypatch.setenv("INFRA_STATE_DIR", str(tmp_path))
    assert main(["down", "--env", "dev", "--aws-endpoint", emulator]) == 0
    assert "nothing tagged" in capsys.readouterr().out
    assert stack.take_inventory().found == []
    assert stack.state_addresses() == []


@pytest.mark.apply
@pytest.mark.integration
@pytest.mark.terraform
@pytest.mark.emulator
def test_a_failure_in_the_middle_of_an_apply_still_ends_with_nothing_left(terraform_env, terraform_copy, emulator):
    """The database's ingress rule names a security group that does not exist: the API refuses it
    half-way through the apply, after the network, KMS and others exist. The harness destroys them."""
    module = terraform_copy / "modules" / "database" / "main.tf"
    text = module.read_text()
    assert "var.allowed_security_group_ids[count.index]" in text
    module.write_text(text.replace("var.allowed_security_group_ids[count.index]", '"sg-0123456789abcdef0"'))

    with pytest.raises(StepFailed) as failed, terraform_env("dev", terraform_dir=terraform_copy):
        pytest.fail("the broken apply succeeded")
    assert "apply" in str(failed.value)
    assert "InvalidGroup.NotFound" in str(failed.value), "the API's answer is in the one-line error"
    dev_scope = scope_tags(Project.discover(terraform_copy), "dev")
    left = inventory.take(AwsSession(emulator), dev_scope)
    assert left.found == [], f"left behind:\n{left.describe()}"


API_ERROR = """
Error: creating VPC Security Group Rule

  with module.platform.module.database.aws_vpc_security_group_ingress_rule.postgres[0],
  on ../../modules/database/main.tf line 39, in resource "aws_vpc_security_group_ingress_rule" "postgres":
  39: resource "aws_vpc_security_group_ingress_rule" "postgres" {

operation error EC2: AuthorizeSecurityGroupIngress, https response error
StatusCode: 400, RequestID:
gEub2shWlKltFJSY9GKoDoqJBhmDM6gqLGdbOTuVwEhtBJkYk1Rl, api error
InvalidGroup.NotFound: The security group 'sg-0123456789abcdef0' does not
exist

Error: a second error
"""


def test_a_failed_step_says_what_the_api_answered_in_one_line():
    line = first_error(API_ERROR)
    assert "\n" not in line
    assert line.startswith("creating VPC Security Group Rule; on ../../modules/database/main.tf line 39")
    assert "InvalidGroup.NotFound: The security group 'sg-0123456789abcdef0' does not exist" in line
    assert "39: resource" not in line and "second error" not in line
