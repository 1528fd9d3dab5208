"""What a root's stack has in an AWS account, found through boto3 by the tags every resource carries.

Every root tags all it creates through the provider's `default_tags` (Project plus Environment, or
Stack for bootstrap). After a destroy the harness and `infra down` list what still carries those
tags: anything found is a leftover, named by type and id. Objects AWS keeps after a delete (a KMS
key pending deletion, an inactive task definition, a secret in its recovery window) count as gone.

`TYPES` maps every Terraform type the stack uses to the lister that finds it, or to None for a part
of another object (a route, a bucket's versioning) that cannot outlive it. A test checks that every
type in every env's plan is mapped, and that after an apply the inventory finds each object.

Each lister enumerates its service's objects (their states decide what counts as gone); their tags
come from core.tagged, the reader the live policy uses too: the Resource Groups Tagging API where the
endpoint serves it, each service's own tag call otherwise.

A service the endpoint does not serve (LocalStack's free tier answers 501 for ECS, RDS, ...) is
recorded in `Inventory.unchecked` instead of failing: its part of the account was not looked at.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

from core.aws import AwsSession
from core.errors import InfraError
from core.scope import tag_dict, unserved_reason
from core.tagged import TaggedReader


@dataclass(frozen=True, order=True)
class Found:
    type: str  # the Terraform resource type
    id: str  # a name, id or ARN a person can look up

    def __str__(self) -> str:
        return f"{self.type} {self.id}"


@dataclass
class Inventory:
    found: list[Found] = field(default_factory=list)
    unchecked: dict[str, str] = field(default_factory=dict)  # service -> why it was not listed
    tagging_api: str = "not asked"  # whether the Resource Groups Tagging API answered (core.tagged)

    def of_type(self, rtype: str) -> list[Found]:
        return [f for f in self.found if f.type == rtype]

    def describe(self) -> str:
        lines = [f"  {f}" for f in sorted(self.found)]
        lines += [f"  (not checked: {svc}: {why})" for svc, why in sorted(self.unchecked.items())]
        return "\n".join(lines)


class _Unserved(Exception):
    """The endpoint does not serve this service (or this call)."""


def _ec2_filters(scope: dict[str, str | None]) -> list[dict]:
    return [{"Name": f"tag:{k}", "Values": [v]} for k, v in scope.items() if v is not None]


# --- listers: (session, tag reader) -> iterable of Found------------------------------------------


def _ec2(aws: AwsSession, tags: TaggedReader) -> Iterator[Found]:
    ec2 = aws.client("ec2")
    flt = _ec2_filters(tags.scope)

    # The tag filter narrows the search; the tags are checked again because not every emulator
    # honours the filter on every call (moto ignores it for NAT gateways).
    def tagged(item: dict) -> bool:
        return tags.owns(tag_dict(item.get("Tags")))

    for vpc in filter(tagged, ec2.describe_vpcs(Filters=flt)["Vpcs"]):
        yield Found("aws_vpc", vpc["VpcId"])
    for subnet in filter(tagged, ec2.describe_subnets(Filters=flt)["Subnets"]):
        yield Found("aws_subnet", subnet["SubnetId"])
    for igw in filter(tagged, ec2.describe_internet_gateways(Filters=flt)["InternetGateways"]):
        yield Found("aws_internet_gateway", igw["InternetGatewayId"])
    for nat in filter(tagged, ec2.describe_nat_gateways(Filters=flt)["NatGateways"]):
        if nat.get("State") not in ("deleted", "deleting"):
            yield Found("aws_nat_gateway", nat["NatGatewayId"])
    for eip in filter(tagged, ec2.describe_addresses(Filters=flt)["Addresses"]):
        yield Found("aws_eip", eip.get("AllocationId") or eip.get("PublicIp", "?"))
    for table in filter(tagged, ec2.describe_route_tables(Filters=flt)["RouteTables"]):
        if not any(a.get("Main") for a in table.get("Associations", [])):
            yield Found("aws_route_table", table["RouteTableId"])
    for group in filter(tagged, ec2.describe_security_groups(Filters=flt)["SecurityGroups"]):
        if group.get("GroupName") != "default":
            yield Found("aws_security_group", f"{group['GroupId']} ({group.get('GroupName')})")
    for flow in filter(tagged, ec2.describe_flow_logs(Filters=flt)["FlowLogs"]):
        yield Found("aws_flow_log", flow["FlowLogId"])


def _kms(aws: AwsSession, tags: TaggedReader) -> Iterator[Found]:
    kms = aws.client("kms")
    scoped_keys: set[str] = set()
    for page in kms.get_paginator("list_keys").paginate():
        for key in page["Keys"]:
            if not tags.owns(tags.tags_of(key.get("KeyArn"), lambda key=key: tag_dict(
                    kms.list_resource_tags(KeyId=key["KeyId"]).get("Tags"), "TagKey", "TagValue"))):
                continue
            scoped_keys.add(key["KeyId"])
            state = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"].get("KeyState")
            if state not in ("PendingDeletion", "PendingReplicaDeletion"):
                yield Found("aws_kms_key", key["KeyId"])
    # Aliases carry no tags: they belong to the stack whose key they name.
    for page in kms.get_paginator("list_aliases").paginate():
        for alias in page["Aliases"]:
            if alias.get("TargetKeyId") in scoped_keys:
                yield Found("aws_kms_alias", alias["AliasName"])


def _s3(aws: AwsSession, tags: TaggedReader) -> Iterator[Found]:
    s3 = aws.client("s3")

    def bucket_tags(name: str) -> dict[str, str]:
        try:
            return tag_dict(s3.get_bucket_tagging(Bucket=name).get("TagSet"))
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("NoSuchTagSet", "NoSuchBucket"):
                return {}
            raise

    for bucket in s3.list_buckets().get("Buckets", []):
        name = bucket["Name"]
        if tags.owns(tags.tags_of(f"arn:aws:s3:::{name}", lambda name=name: bucket_tags(name))):
            yield Found("aws_s3_bucket", name)


def _iam(aws: AwsSession, tags: TaggedReader) -> Iterator[Found]:
    iam = aws.client("iam")
    for page in iam.get_paginator("list_roles").paginate():
        for role in page["Roles"]:
            if tags.owns(tag_dict(iam.list_role_tags(RoleName=role["RoleName"]).get("Tags"))):
                yield Found("aws_iam_role", role["RoleName"])
    for page in iam.get_paginator("list_policies").paginate(Scope="Local"):
        for policy in page["Policies"]:
            if tags.owns(tag_dict(iam.list_policy_tags(PolicyArn=policy["Arn"]).get("Tags"))):
                yield Found("aws_iam_policy", policy["Arn"])
    for provider in iam.list_open_id_connect_providers().get("OpenIDConnectProviderList", []):
        found = iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=provider["Arn"]).get("Tags")
        if tags.owns(tag_dict(found)):
            yield Found("aws_iam_openid_connect_provider", provider["Arn"])


def _secrets(aws: AwsSession, tags: TaggedReader) -> Iterator[Found]:
    sm = aws.client("secretsmanager")
    # A secret scheduled for deletion is not listed: it is gone unless someone restores it.
    for page in sm.get_paginator("list_secrets").paginate():
        for secret in page["SecretList"]:
            if tags.owns(tag_dict(secret.get("Tags"))):
                yield Found("aws_secretsmanager_secret", secret["Name"])


def _ssm(aws: AwsSession, tags: TaggedReader) -> Iterator[Found]:
    ssm = aws.client("ssm")
    for page in ssm.get_paginator("describe_parameters").paginate():
        for param in page["Parameters"]:
            found = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=param["Name"]).get("TagList")
            if tags.owns(tag_dict(found)):
                yield Found("aws_ssm_parameter", param["Name"])


def _logs(aws: AwsSession, tags: TaggedReader) -> Iterator[Found]:
    logs = aws.client("logs")
    for page in logs.get_paginator("describe_log_groups").paginate():
        for group in page["logGroups"]:
            name = group["logGroupName"]
            if tags.owns(tags.tags_of(group.get("arn"), lambda name=name: logs.list_tags_log_group(
                    logGroupName=name).get("tags", {}))):
                yield Found("aws_cloudwatch_log_group", group["logGroupName"])


def _owned(tags: TaggedReader, client, operation: str, key: str, arn_field: str, tag_call: str,
           arn_arg: str) -> Iterator[dict]:
    """The items of a paginated listing that are in scope, their tags from core.tagged or, where it
    cannot answer, from the service's own `tag_call` (its tags under "Tags")."""
    for page in client.get_paginator(operation).paginate():
        for item in page[key]:
            arn = item[arn_field]

            def own_call(arn: str = arn) -> dict[str, str]:
                return tag_dict(getattr(client, tag_call)(**{arn_arg: arn}).get("Tags"))

            if tags.owns(tags.tags_of(arn, own_call)):
                yield item


def _cloudwatch(aws: AwsSession, tags: TaggedReader) -> Iterator[Found]:
    cw = aws.client("cloudwatch")
    for alarm in _owned(tags, cw, "describe_alarms", "MetricAlarms", "AlarmArn",
                        "list_tags_for_resource", "ResourceARN"):
        yield Found("aws_cloudwatch_metric_alarm", alarm["AlarmName"])


def _sns(aws: AwsSession, tags: TaggedReader) -> Iterator[Found]:
    sns = aws.client("sns")
    for topic in _owned(tags, sns, "list_topics", "Topics", "TopicArn", "list_tags_for_resource", "ResourceArn"):
        yield Found("aws_sns_topic", topic["TopicArn"])


def _ecr(aws: AwsSession, tags: TaggedReader) -> Iterator[Found]:
    ecr = aws.client("ecr")
    for page in ecr.get_paginator("describe_repositories").paginate():
        for repo in page["repositories"]:
            found = ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"]).get("tags")
            if tags.owns(tag_dict(found)):
                yield Found("aws_ecr_repository", repo["repositoryName"])


def _ecs(aws: AwsSession, tags: TaggedReader) -> Iterator[Found]:
    ecs = aws.client("ecs")
    cluster_arns = ecs.list_clusters().get("clusterArns", [])
    clusters = ecs.describe_clusters(clusters=cluster_arns, include=["TAGS"])["clusters"] if cluster_arns else []
    for cluster in clusters:
        if cluster.get("status") != "ACTIVE":
            continue
        if tags.owns(tag_dict(cluster.get("tags"), "key", "value")):
            yield Found("aws_ecs_cluster", cluster["clusterName"])
        arns = ecs.list_services(cluster=cluster["clusterArn"]).get("serviceArns", [])
        for start in range(0, len(arns), 10):
            chunk = arns[start : start + 10]
            for service in ecs.describe_services(cluster=cluster["clusterArn"], services=chunk, include=["TAGS"])[
                "services"
            ]:
                if service.get("status") != "INACTIVE" and tags.owns(tag_dict(service.get("tags"), "key", "value")):
                    yield Found("aws_ecs_service", service["serviceName"])
    # Deregistered revisions stay INACTIVE for ever, on AWS too: only ACTIVE ones are leftovers.
    for page in ecs.get_paginator("list_task_definitions").paginate(status="ACTIVE"):
        for arn in page["taskDefinitionArns"]:
            described = ecs.describe_task_definition(taskDefinition=arn, include=["TAGS"])
            if tags.owns(tag_dict(described.get("tags"), "key", "value")):
                yield Found("aws_ecs_task_definition", arn.rsplit("/", 1)[-1])


def _elbv2(aws: AwsSession, tags: TaggedReader) -> Iterator[Found]:
    elb = aws.client("elbv2")
    arns: list[tuple[str, str]] = []
    for lb in elb.describe_load_balancers().get("LoadBalancers", []):
        arns.append(("aws_lb", lb["LoadBalancerArn"]))
    for tg in elb.describe_target_groups().get("TargetGroups", []):
        arns.append(("aws_lb_target_group", tg["TargetGroupArn"]))
    asked: dict[str, dict[str, str]] = {}  # describe_tags, 20 ARNs a call, once, for what the Tagging API left out

    def own_call(arn: str) -> dict[str, str]:
        if not asked:
            asked["(asked)"] = {}
            for start in range(0, len(arns), 20):
                chunk = [a for _, a in arns[start : start + 20]]
                for desc in elb.describe_tags(ResourceArns=chunk)["TagDescriptions"]:
                    asked[desc["ResourceArn"]] = tag_dict(desc.get("Tags"))
        return asked.get(arn, {})  # {}: gone since it was listed

    for rtype, arn in arns:
        if tags.owns(tags.tags_of(arn, lambda arn=arn: own_call(arn))):
            yield Found(rtype, arn.split(":", 5)[-1])


def _rds(aws: AwsSession, tags: TaggedReader) -> Iterator[Found]:
    rds = aws.client("rds")
    for cluster in rds.describe_db_clusters().get("DBClusters", []):
        if tags.owns(tag_dict(cluster.get("TagList"))):
            yield Found("aws_rds_cluster", cluster["DBClusterIdentifier"])
    for inst in rds.describe_db_instances().get("DBInstances", []):
        if tags.owns(tag_dict(inst.get("TagList"))):
            rtype = "aws_rds_cluster_instance" if inst.get("DBClusterIdentifier") else "aws_db_instance"
            yield Found(rtype, inst["DBInstanceIdentifier"])

    def tagged(arn: str) -> bool:
        def own_call() -> dict[str, str]:
            return tag_dict(rds.list_tags_for_resource(ResourceName=arn).get("TagList"))

        return tags.owns(tags.tags_of(arn, own_call))

    for group in rds.describe_db_subnet_groups().get("DBSubnetGroups", []):
        if tagged(group["DBSubnetGroupArn"]):
            yield Found("aws_db_subnet_group", group["DBSubnetGroupName"])
    for group in rds.describe_db_cluster_parameter_groups().get("DBClusterParameterGroups", []):
        name = group["DBClusterParameterGroupName"]
        if not name.startswith("default.") and tagged(group["DBClusterParameterGroupArn"]):
            yield Found("aws_rds_cluster_parameter_group", group["DBClusterParameterGroupName"])
    for group in rds.describe_db_parameter_groups().get("DBParameterGroups", []):
        if not group["DBParameterGroupName"].startswith("default.") and tagged(group["DBParameterGroupArn"]):
            yield Found("aws_db_parameter_group", group["DBParameterGroupName"])


def _elasticache(aws: AwsSession, tags: TaggedReader) -> Iterator[Found]:
    ec = aws.client("elasticache")

    def tagged(arn: str) -> bool:
        def own_call() -> dict[str, str]:
            return tag_dict(ec.list_tags_for_resource(ResourceName=arn).get("TagList"))

        return tags.owns(tags.tags_of(arn, own_call))

    for group in ec.describe_replication_groups().get("ReplicationGroups", []):
        if group.get("Status") != "deleting" and tagged(group["ARN"]):
            yield Found("aws_elasticache_replication_group", group["ReplicationGroupId"])
    for group in ec.describe_cache_subnet_groups().get("CacheSubnetGroups", []):
        if group.get("ARN") and tagged(group["ARN"]):
            yield Found("aws_elasticache_subnet_group", group["CacheSubnetGroupName"])
    for group in ec.describe_cache_parameter_groups().get("CacheParameterGroups", []):
        if not group["CacheParameterGroupName"].startswith("default.") and tagged(group["ARN"]):
            yield Found("aws_elasticache_parameter_group", group["CacheParameterGroupName"])
    for user in ec.describe_users().get("Users", []):
        if user.get("Status") != "deleting" and tagged(user["ARN"]):
            yield Found("aws_elasticache_user", user["UserId"])
    for group in ec.describe_user_groups().get("UserGroups", []):
        if group.get("Status") != "deleting" and tagged(group["ARN"]):
            yield Found("aws_elasticache_user_group", group["UserGroupId"])


def _appautoscaling(aws: AwsSession, tags: TaggedReader) -> Iterator[Found]:
    aas = aws.client("application-autoscaling")
    for target in aas.describe_scalable_targets(ServiceNamespace="ecs").get("ScalableTargets", []):
        arn = target.get("ScalableTargetARN")
        if tags.owns(aas.list_tags_for_resource(ResourceARN=arn).get("Tags", {}) if arn else {}):
            yield Found("aws_appautoscaling_target", target["ResourceId"])


def _acm(aws: AwsSession, tags: TaggedReader) -> Iterator[Found]:
    acm = aws.client("acm")
    for cert in _owned(tags, acm, "list_certificates", "CertificateSummaryList", "CertificateArn",
                       "list_tags_for_certificate", "CertificateArn"):
        yield Found("aws_acm_certificate", cert["DomainName"])


def _appconfig(aws: AwsSession, tags: TaggedReader) -> Iterator[Found]:
    appconfig = aws.client("appconfig")
    account, region = aws.account_id(), aws.region
    for app in appconfig.list_applications().get("Items", []):
        arn = f"arn:aws:appconfig:{region}:{account}:application/{app['Id']}"
        if tags.owns(appconfig.list_tags_for_resource(ResourceArn=arn).get("Tags", {})):
            yield Found("aws_appconfig_application", app["Name"])


# Service name (as boto3 names it) -> lister.
LISTERS: dict[str, Callable[[AwsSession, dict[str, str | None]], Iterable[Found]]] = {
    "ec2": _ec2, "kms": _kms, "s3": _s3, "iam": _iam, "secretsmanager": _secrets, "ssm": _ssm, "logs": _logs,
    "cloudwatch": _cloudwatch, "sns": _sns, "ecr": _ecr, "ecs": _ecs, "elbv2": _elbv2, "rds": _rds,
    "elasticache": _elasticache, "application-autoscaling": _appautoscaling, "acm": _acm, "appconfig": _appconfig,
}

# Terraform type -> the service whose lister finds it, or None for a part of another object.
TYPES: dict[str, str | None] = {
    "aws_vpc": "ec2", "aws_subnet": "ec2", "aws_internet_gateway": "ec2", "aws_nat_gateway": "ec2",
    "aws_eip": "ec2", "aws_route_table": "ec2", "aws_security_group": "ec2", "aws_flow_log": "ec2",
    "aws_kms_key": "kms", "aws_kms_alias": "kms", "aws_s3_bucket": "s3",
    "aws_iam_role": "iam", "aws_iam_policy": "iam", "aws_iam_openid_connect_provider": "iam",
    "aws_secretsmanager_secret": "secretsmanager", "aws_ssm_parameter": "ssm",
    "aws_cloudwatch_log_group": "logs", "aws_cloudwatch_metric_alarm": "cloudwatch", "aws_sns_topic": "sns",
    "aws_ecr_repository": "ecr", "aws_ecs_cluster": "ecs", "aws_ecs_service": "ecs",
    "aws_ecs_task_definition": "ecs", "aws_lb": "elbv2", "aws_lb_target_group": "elbv2",
    "aws_rds_cluster": "rds", "aws_rds_cluster_instance": "rds", "aws_db_instance": "rds",
    "aws_db_subnet_group": "rds", "aws_rds_cluster_parameter_group": "rds", "aws_db_parameter_group": "rds",
    "aws_elasticache_replication_group": "elasticache", "aws_elasticache_subnet_group": "elasticache",
    "aws_elasticache_parameter_group": "elasticache", "aws_elasticache_user": "elasticache",
    "aws_elasticache_user_group": "elasticache", "aws_appautoscaling_target": "application-autoscaling",
    "aws_acm_certificate": "acm", "aws_appconfig_application": "appconfig",
    # Parts of another object: deleted with it, or meaningless without it.
    "aws_default_security_group": None,  # the VPC's own group; goes with the VPC
    "aws_route": None, "aws_route_table_association": None,
    "aws_vpc_security_group_ingress_rule": None, "aws_vpc_security_group_egress_rule": None,
    "aws_security_group_rule": None,
    "aws_s3_bucket_versioning": None, "aws_s3_bucket_server_side_encryption_configuration": None,
    "aws_s3_bucket_public_access_block": None, "aws_s3_bucket_policy": None,
    "aws_s3_bucket_ownership_controls": None, "aws_s3_bucket_lifecycle_configuration": None,
    "aws_iam_role_policy": None, "aws_iam_role_policy_attachment": None,
    "aws_secretsmanager_secret_version": None, "aws_sns_topic_policy": None, "aws_sns_topic_subscription": None,
    "aws_ecr_lifecycle_policy": None, "aws_lb_listener": None, "aws_appautoscaling_policy": None,
    "aws_ecs_cluster_capacity_providers": None,  # the cluster's own setting; goes with the cluster
    "aws_acm_certificate_validation": None,
    "aws_route53_record": None,  # records live in the operator's zone, which is not the env's to list
    "aws_appconfig_environment": None, "aws_appconfig_configuration_profile": None,
    "aws_appconfig_hosted_configuration_version": None, "aws_appconfig_deployment_strategy": None,
    "aws_appconfig_deployment": None,
}


def take(aws: AwsSession, scope: dict[str, str | None], services: Iterable[str] | None = None,
         use_tagging_api: bool = True) -> Inventory:
    """Everything in the account that carries all of `scope`'s tags, per service (core.tagged reads the tags)."""
    if not any(v is not None for v in scope.values()):
        raise InfraError("an inventory needs at least one tag to scope it; refusing to list the whole account")
    inventory = Inventory()
    tags = TaggedReader(aws.client, scope, use_tagging_api)
    for service in services or LISTERS:
        try:
            inventory.found.extend(LISTERS[service](aws, tags))
        except EndpointConnectionError as exc:
            raise InfraError(f"inventory: cannot reach {aws.endpoint or 'AWS'} ({exc})") from None
        except (ClientError, BotoCoreError) as exc:
            reason = unserved_reason(exc)
            if reason is None:
                raise
            inventory.unchecked[service] = reason
    inventory.found.sort()
    inventory.tagging_api = tags.tagging_api
    return inventory
