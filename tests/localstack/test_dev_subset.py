"""The part of the dev env root that LocalStack's free tier serves, applied from the real root.

No hand-written root: the committed terraform/envs/dev is applied with `-target` on the modules and
resources whose dependency closure needs only free-tier services (network, KMS and secrets, the
application log group and the alarm topic), which the first test proves from the plan JSON. The
live resources are then checked through boto3 against tiers.yaml's dev row, planned again (must be
empty) and destroyed, and nothing of them may remain.

The rest of dev (ECS, ECR, the ALB, Aurora, ElastiCache, App Auto Scaling, and the CloudWatch alarms,
whose dimensions name the ECS service and the ALB) is applied only where the endpoint serves all of
it (moto); elsewhere its test is skipped with the unserved services named.
"""

from __future__ import annotations

import collections
import contextlib
import json
import urllib.parse
from dataclasses import dataclass, field

import pytest
from botocore.exceptions import ClientError

from core.project import Project
from core.scope import stack_scope
from core.tiers import nat_count
from infra import inventory
from infra.emulator import localstack
from infra.terraform import Progress, Terraform
from infra.workspace import Workspace, prepare
from policy.hcl.tfvars import check_tfvars

pytestmark = [pytest.mark.localstack, pytest.mark.terraform]

ENV = "dev"
NET = "module.platform.module.network"
SEC = "module.platform.module.security"
OBS = "module.platform.module.observability"
TARGETS = (
    SEC,
    NET,
    f"{OBS}.aws_cloudwatch_log_group.app",
    f"{OBS}.aws_sns_topic_policy.alarms",
)
TARGET_ARGS = tuple(f"-target={t}" for t in TARGETS)
ALARM_TARGETS = tuple(
    f"-target={OBS}.aws_cloudwatch_metric_alarm.{name}" for name in ("cpu", "memory", "unhealthy_hosts", "http_5xx")
)


@dataclass
class Dev:
    ws: Workspace
    tf: Terraform
    subset_plan: dict
    full_plan: dict
    scope: dict[str, str | None]
    state: dict[str, dict] = field(default_factory=dict)
    rest_applied: bool = False

    def one(self, address: str) -> dict:
        return self.state[address]

    def all_of(self, prefix: str) -> list[dict]:
        return [v for a, v in sorted(self.state.items()) if a == prefix or a.startswith(f"{prefix}[")]


def _plan(tf: Terraform, ws: Workspace, extra=()) -> dict:
    tf.plan(extra)
    return json.loads(ws.plan_json.read_text())


@pytest.fixture(scope="module")
def dev(project, toolchain, lane_endpoint, tmp_path_factory, state_of, aws):
    """dev's work copy against the endpoint, planned whole and as the subset; always destroyed after."""
    work = Project(terraform_dir=project.terraform_dir, state_dir=tmp_path_factory.mktemp("dev-subset"))
    ws = prepare(work, ENV, lane_endpoint)
    tf = Terraform(toolchain, ws, Progress(quiet=True))
    tf.init()
    name = check_tfvars(project.root_dir(ENV))["project"]
    live = Dev(ws, tf, subset_plan={}, full_plan=_plan(tf, ws), scope=stack_scope(name, ENV))
    live.subset_plan = _plan(tf, ws, TARGET_ARGS)
    try:
        yield live
    finally:
        try:
            if state_of(tf):  # the last test destroys; this is the safety net when it did not run or failed
                tf.destroy()
        finally:
            purge_secrets(aws, live.full_plan)


def purge_secrets(aws, plan: dict) -> None:
    """Delete dev's secrets for good, out of the recovery window a destroy leaves them in.

    Until the window ends their names stay taken (on AWS as on the emulators), so a second run
    against the same endpoint, e.g. a LocalStack the user keeps running, could not create them.
    """
    secrets = aws.client("secretsmanager")
    for rc in plan["resource_changes"]:
        if rc["type"] == "aws_secretsmanager_secret":
            with contextlib.suppress(secrets.exceptions.ResourceNotFoundException):
                secrets.delete_secret(SecretId=rc["change"]["after"]["name"], ForceDeleteWithoutRecovery=True)


@pytest.fixture(scope="module")
def applied(dev, lane_endpoint, require_services, state_of) -> Dev:
    require_services(*localstack.plan_services(dev.subset_plan))
    dev.tf.apply(TARGET_ARGS)
    dev.state = state_of(dev.tf)
    return dev


@pytest.fixture
def tier(project):
    return project.tiers["tiers"][ENV]


def _policy(document) -> dict:
    # IAM returns policy documents URL-encoded; boto3 decodes some and not others.
    return json.loads(urllib.parse.unquote(document)) if isinstance(document, str) else document


def test_the_targets_need_only_free_tier_services(dev):
    services = localstack.plan_services(dev.subset_plan)
    assert set(services) <= localstack.FREE_TIER_SERVICES, services
    assert not set(services) & set(localstack.LICENSED_SERVICES)
    types = collections.Counter(rc["type"] for rc in dev.subset_plan["resource_changes"])
    for rtype in ("aws_vpc", "aws_nat_gateway", "aws_flow_log", "aws_kms_key", "aws_secretsmanager_secret",
                  "aws_cloudwatch_log_group", "aws_sns_topic", "aws_iam_role"):
        assert types[rtype] >= 1, f"the subset lost its {rtype}"
    # What the subset leaves out is what the free tier does not serve, plus the alarms (next test).
    rest = localstack.plan_services(dev.full_plan)
    alarms = rest.pop("cloudwatch")
    assert all(".aws_cloudwatch_metric_alarm." in address for address in alarms)
    assert set(rest) - set(services) <= set(localstack.LICENSED_SERVICES), rest
    assert set(rest) - set(services), "the subset is the whole root"


def test_the_alarms_cannot_be_targeted_without_ecs_and_the_load_balancer(dev):
    # Their dimensions name the ECS cluster and service and the ALB's target group, so the closure of
    # any alarm pulls those in: that is why the subset has the alarm topic but not the alarms.
    closure = localstack.plan_services(_plan(dev.tf, dev.ws, ALARM_TARGETS))
    assert {"cloudwatch", "ecs", "elbv2"} <= set(closure)


def test_vpc_subnets_and_nat_follow_the_dev_tier(applied, tier, aws):
    ec2 = aws.client("ec2")
    net = tier["network"]
    vpc_id = applied.one(f"{NET}.aws_vpc.this")["id"]
    vpc = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]
    assert vpc["CidrBlock"] == net["cidr"]

    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    per_az = collections.Counter(s["AvailabilityZone"] for s in subnets)
    assert len(per_az) == net["az_count"]
    assert set(per_az.values()) == {3}, f"a public, a private and a database subnet per AZ: {dict(per_az)}"

    nat_ids = [n["id"] for n in applied.all_of(f"{NET}.aws_nat_gateway.this")]
    nats = ec2.describe_nat_gateways(NatGatewayIds=nat_ids)["NatGateways"]
    assert len([n for n in nats if n["State"] == "available"]) == (
        nat_count(net)
    )
    public = {s["id"] for s in applied.all_of(f"{NET}.aws_subnet.public")}
    assert {n["SubnetId"] for n in nats} <= public

    tables = {t["RouteTableId"]: t for t in
              ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"]}
    for table in applied.all_of(f"{NET}.aws_route_table.private"):
        routes = tables[table["id"]]["Routes"]
        assert any(r.get("NatGatewayId") in nat_ids and r.get("DestinationCidrBlock") == "0.0.0.0/0"
                   for r in routes)
    database = tables[applied.one(f"{NET}.aws_route_table.database")["id"]]
    assert not any(r.get("DestinationCidrBlock") == "0.0.0.0/0" for r in database["Routes"]), "no way out"

    (flow,) = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc_id]}])["FlowLogs"]
    group = applied.one(f"{NET}.aws_cloudwatch_log_group.flow_logs")
    # moto names the group; LocalStack gives only the destination ARN.
    assert flow.get("LogGroupName", group["name"]) == group["name"]
    assert flow.get("LogDestination", group["arn"]).removesuffix(":*") == group["arn"].removesuffix(":*")
    assert flow["TrafficType"] == "ALL"


def test_kms_key_rotates_and_encrypts_the_secret(applied, aws):
    kms = aws.client("kms")
    key = applied.one(f"{SEC}.aws_kms_key.this")
    meta = kms.describe_key(KeyId=key["id"])["KeyMetadata"]
    assert meta["KeyState"] == "Enabled"
    assert meta["Arn"] == key["arn"]
    assert kms.get_key_rotation_status(KeyId=key["id"])["KeyRotationEnabled"] is True
    alias = applied.one(f"{SEC}.aws_kms_alias.this")["name"]
    aliases = {a["AliasName"]: a.get("TargetKeyId") for a in kms.list_aliases(KeyId=key["id"])["Aliases"]}
    assert aliases.get(alias) == key["id"]

    jwt = applied.one(f"{SEC}.aws_secretsmanager_secret.jwt")
    secret = aws.client("secretsmanager").describe_secret(SecretId=jwt["arn"])
    assert secret["KmsKeyId"] in (key["arn"], key["id"])
    # Terraform makes the secret, never its value (`infra secrets init` does).
    assert not [a for a in applied.state if ".aws_secretsmanager_secret_version." in a]


def test_log_groups_keep_the_tier_retention_and_use_the_key(applied, tier, aws):
    logs = aws.client("logs")
    key_arn = applied.one(f"{SEC}.aws_kms_key.this")["arn"]
    for address in (f"{NET}.aws_cloudwatch_log_group.flow_logs", f"{OBS}.aws_cloudwatch_log_group.app"):
        name = applied.one(address)["name"]
        found = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
        groups = [g for g in found if g["logGroupName"] == name]
        assert len(groups) == 1, name
        assert groups[0]["retentionInDays"] == tier["logs"]["retention_days"]
        assert groups[0]["kmsKeyId"] == key_arn


def test_flow_log_role_trusts_only_this_accounts_flow_logs(applied, aws, account_id):
    role = aws.client("iam").get_role(RoleName=applied.one(f"{NET}.aws_iam_role.flow_logs")["name"])["Role"]
    (statement,) = _policy(role["AssumeRolePolicyDocument"])["Statement"]
    assert statement["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    # The account comes from the endpoint's STS (000000000000 on LocalStack, 123456789012 on moto).
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": account_id}}


def test_alarm_topic_is_encrypted_and_only_this_accounts_alarms_publish(applied, aws, account_id):
    topic = applied.one(f"{OBS}.aws_sns_topic.alarms")
    attributes = aws.client("sns").get_topic_attributes(TopicArn=topic["arn"])["Attributes"]
    assert attributes["KmsMasterKeyId"] == applied.one(f"{SEC}.aws_kms_key.this")["arn"]
    allow = next(s for s in _policy(attributes["Policy"])["Statement"] if s["Sid"] == "AllowCloudWatchAlarms")
    assert allow["Condition"]["StringEquals"] == {"aws:SourceAccount": account_id}
    assert allow["Condition"]["ArnLike"]["aws:SourceArn"].split(":")[4] == account_id


def test_a_second_plan_of_the_subset_is_empty(applied):
    proc = applied.tf.run(
        "replan", ["plan", "-input=false", "-no-color", "-detailed-exitcode", *TARGET_ARGS], ok_codes=(0, 2)
    )
    assert proc.returncode == 0, f"drift after apply:\n{proc.stdout[-3000:]}"


def test_the_rest_of_dev_with_its_alarms_applies_where_ecs_rds_and_the_load_balancer_are_served(
    applied, aws, require_services, state_of
):
    subset = localstack.plan_services(applied.subset_plan)
    rest = [s for s in localstack.plan_services(applied.full_plan) if s not in subset]
    order = {name: i for i, name in enumerate(localstack.LICENSED_SERVICES)}
    require_services(*sorted(rest, key=lambda s: (order.get(s, len(order)), s)))

    applied.rest_applied = True
    applied.tf.apply()
    applied.state = state_of(applied.tf)
    alarms = sorted(
        rc["change"]["after"]["alarm_name"]
        for rc in applied.full_plan["resource_changes"] if rc["type"] == "aws_cloudwatch_metric_alarm"
    )
    found = aws.client("cloudwatch").describe_alarms(AlarmNames=alarms)["MetricAlarms"]
    assert sorted(a["AlarmName"] for a in found) == alarms
    topic = applied.one(f"{OBS}.aws_sns_topic.alarms")["arn"]
    assert all(a["AlarmActions"] == [topic] for a in found)
    cluster = applied.one("module.platform.module.service.aws_ecs_cluster.this")
    assert aws.client("ecs").describe_clusters(clusters=[cluster["arn"]])["clusters"][0]["status"] == "ACTIVE"


def _gone(call, *missing_codes: str) -> bool:
    try:
        call()
    except ClientError as exc:
        return exc.response["Error"]["Code"] in missing_codes
    return False


def test_destroy_leaves_nothing_of_the_subset(applied, aws, state_of):
    before = dict(applied.state)
    applied.tf.destroy()
    assert state_of(applied.tf) == {}

    ec2 = aws.client("ec2")
    vpc_id = before[f"{NET}.aws_vpc.this"]["id"]
    assert ec2.describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Vpcs"] == []
    assert ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"] == []
    nat_ids = [v["id"] for a, v in before.items() if ".aws_nat_gateway." in a]
    nats = ec2.describe_nat_gateways(Filter=[{"Name": "nat-gateway-id", "Values": nat_ids}])["NatGateways"]
    assert all(n["State"] in ("deleted", "deleting") for n in nats)
    eips = [v["allocation_id"] for a, v in before.items() if ".aws_eip." in a]
    assert ec2.describe_addresses(Filters=[{"Name": "allocation-id", "Values": eips}])["Addresses"] == []

    kms = aws.client("kms")
    key = before[f"{SEC}.aws_kms_key.this"]
    assert kms.describe_key(KeyId=key["id"])["KeyMetadata"]["KeyState"] == "PendingDeletion"
    assert kms.list_aliases(KeyId=key["id"])["Aliases"] == []

    secrets = aws.client("secretsmanager")
    for address, values in before.items():
        if ".aws_secretsmanager_secret." in address:
            try:
                assert "DeletedDate" in secrets.describe_secret(SecretId=values["arn"])  # in its recovery window
            except ClientError as exc:
                assert exc.response["Error"]["Code"] == "ResourceNotFoundException"

    logs = aws.client("logs")
    for address, values in before.items():
        if ".aws_cloudwatch_log_group." in address:
            groups = logs.describe_log_groups(logGroupNamePrefix=values["name"])["logGroups"]
            assert values["name"] not in [g["logGroupName"] for g in groups]
    iam = aws.client("iam")
    role = before[f"{NET}.aws_iam_role.flow_logs"]["name"]
    assert _gone(lambda: iam.get_role(RoleName=role), "NoSuchEntity")
    topic = before[f"{OBS}.aws_sns_topic.alarms"]["arn"]
    assert _gone(lambda: aws.client("sns").get_topic_attributes(TopicArn=topic), "NotFound", "NotFoundException")

    # And nothing else tagged as dev's is left in the account (services the endpoint does not serve
    # are reported as unchecked, not as failures).
    left = inventory.take(aws, applied.scope)
    assert left.found == [], left.describe()
