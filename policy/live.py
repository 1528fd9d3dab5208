"""Resources of one applied env read back through boto3, as the rules see them: live policy.

`resources_from_live(session, env)` asks an AWS endpoint what the env really has and returns it as
`Resource` objects with `source=LIVE`, in the provider's attribute names, so that the rules that
judged the HCL and the plan judge what was created. `infra policy --env ENV --live` runs it. What
belongs to an env, the shapes chosen and what is not read: docs/POLICY.md, "Live policy".
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from botocore.exceptions import ConnectionError as BotoConnectionError
from botocore.parsers import ResponseParserError

from core.aws import DEFAULT_REGION, client_options
from core.aws import emulator_boto3_session as emulator_session
from core.scope import in_scope, stack_scope, tag_dict, unserved_reason
from core.tagged import TaggedReader
from policy import engine
from policy.model import Finding, Level, PolicyInputError, Resource, Source, Unknown
from policy.rules import ALL_RULES, Context, Rule
from policy.rules.security import BucketEncryption, OpenIngress

# Terraform type -> the boto3 service it is read from. Every type a rule or the cost estimate reads.
TYPES: dict[str, str] = {
    "aws_rds_cluster": "rds", "aws_rds_cluster_instance": "rds", "aws_db_instance": "rds",
    "aws_elasticache_replication_group": "elasticache", "aws_elasticache_cluster": "elasticache",
    "aws_ecs_task_definition": "ecs", "aws_ecs_service": "ecs", "aws_ecs_cluster_capacity_providers": "ecs",
    "aws_appautoscaling_target": "application-autoscaling",
    "aws_cloudwatch_log_group": "logs", "aws_cloudwatch_metric_alarm": "cloudwatch",
    "aws_security_group": "ec2", "aws_default_security_group": "ec2",
    "aws_vpc_security_group_ingress_rule": "ec2", "aws_vpc_security_group_egress_rule": "ec2",
    "aws_nat_gateway": "ec2", "aws_eip": "ec2", "aws_subnet": "ec2", "aws_vpc_endpoint": "ec2",
    "aws_lb": "elbv2", "aws_lb_listener": "elbv2", "aws_elb": "elb",
    "aws_s3_bucket": "s3", "aws_s3_bucket_server_side_encryption_configuration": "s3",
    "aws_s3_bucket_public_access_block": "s3", "aws_s3_bucket_versioning": "s3", "aws_s3_bucket_policy": "s3",
    "aws_ecr_repository": "ecr", "aws_ecr_repository_policy": "ecr",
    "aws_iam_role": "iam", "aws_iam_role_policy": "iam", "aws_iam_role_policy_attachment": "iam",
    "aws_iam_policy": "iam", "aws_iam_user_policy": "iam", "aws_iam_group_policy": "iam",
    "aws_iam_openid_connect_provider": "iam",
    "aws_secretsmanager_secret": "secretsmanager", "aws_secretsmanager_secret_policy": "secretsmanager",
    "aws_kms_key": "kms", "aws_kms_replica_key": "kms", "aws_kms_alias": "kms",
    "aws_sns_topic": "sns", "aws_sns_topic_policy": "sns",
}
# Types the rules name that live reading reports under another type (the provider has both spellings).
ALIASES = {
    "aws_alb": "aws_lb", "aws_alb_listener": "aws_lb_listener",
    "aws_kms_key_policy": "aws_kms_key",  # a key's policy is read with the key
    "aws_security_group_rule": "aws_vpc_security_group_ingress_rule",
}
# What rules read besides their `resource_types` (in check_stack, or to relate resources).
EXTRA_READS: dict[str, tuple[str, ...]] = {
    "RPY-SIZ-003": ("aws_rds_cluster", "aws_rds_cluster_instance"),
    "RPY-SIZ-011": ("aws_nat_gateway",),
    "RPY-SIZ-012": ("aws_ecs_service", "aws_appautoscaling_target"),
    "RPY-SIZ-013": ("aws_rds_cluster_instance",),
    "RPY-SEC-001": ("aws_kms_key", "aws_kms_alias"),
    "RPY-SEC-002": ("aws_kms_key", "aws_kms_alias"),
    "RPY-SEC-003": ("aws_s3_bucket", "aws_s3_bucket_server_side_encryption_configuration", "aws_lb"),
    "RPY-SEC-004": ("aws_kms_key", "aws_kms_alias"),
    "RPY-SEC-005": ("aws_kms_key", "aws_kms_alias"),
    "RPY-SEC-006": ("aws_kms_key", "aws_kms_alias"),
    "RPY-SEC-008": ("aws_lb", "aws_elb"),
    "RPY-SEC-009": ("aws_lb", "aws_lb_listener"),
    "RPY-SEC-014": ("aws_s3_bucket", "aws_s3_bucket_public_access_block"),
    "RPY-SEC-015": ("aws_s3_bucket", "aws_s3_bucket_versioning"),
    "RPY-SEC-016": ("aws_s3_bucket", "aws_s3_bucket_policy"),
    "RPY-SEC-019": ("aws_iam_role_policy", "aws_iam_role_policy_attachment", "aws_iam_policy"),
    "RPY-SEC-020": ("aws_iam_role_policy", "aws_iam_role_policy_attachment", "aws_iam_role"),
    # The cost estimate (policy/cost.py) prices these, and reads subnets when a load balancer's are unknown.
    "RPY-COST-001": (
        "aws_rds_cluster_instance", "aws_rds_cluster", "aws_elasticache_replication_group", "aws_elasticache_cluster",
        "aws_nat_gateway", "aws_eip", "aws_lb", "aws_ecs_service", "aws_ecs_task_definition",
        "aws_appautoscaling_target", "aws_cloudwatch_log_group", "aws_cloudwatch_metric_alarm", "aws_kms_key",
        "aws_kms_replica_key", "aws_secretsmanager_secret", "aws_ecr_repository", "aws_s3_bucket", "aws_sns_topic",
        "aws_subnet", "aws_vpc_endpoint", "aws_ecs_cluster_capacity_providers",
    ),
}
# Rules whose failure can hinge on a load balancer that another service's resource belongs to.
_LB_DEPENDENT = (OpenIngress, BucketEncryption)


def rule_reads(rule: type[Rule]) -> set[str]:
    """The types a rule reads, as live reading names them."""
    return {ALIASES.get(t, t) for t in (*rule.resource_types, *EXTRA_READS.get(rule.id, ()))}


def read_types() -> set[str]:
    """Every type some rule reads: what live reading must cover."""
    return set().union(*(rule_reads(rule) for rule in ALL_RULES))


class LiveResources(list):
    """`list[Resource]` of one env, plus what could not be read: `skipped` maps a boto3 service name to
    the endpoint's answer, `types` counts what was read per type."""

    def __init__(self, resources: Iterable[Resource] = (), *, env: str = "", endpoint: str | None = None,
                 scope: dict[str, str] | None = None, skipped: dict[str, str] | None = None) -> None:
        super().__init__(resources)
        self.env = env
        self.endpoint = endpoint
        self.scope = scope or {}
        self.skipped = skipped or {}

    @property
    def types(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for resource in self:
            counts[resource.type] = counts.get(resource.type, 0) + 1
        return dict(sorted(counts.items()))

    @property
    def unread_types(self) -> set[str]:
        return {t for t, service in TYPES.items() if service in self.skipped}



def root_settings(root_dir: Path) -> dict[str, Any]:
    """The env root's tfvars (project, region, ...), as Terraform reads them."""
    from policy.hcl.tfvars import check_tfvars

    return check_tfvars(Path(root_dir))


def scope_tags(project_name: str, env: str) -> dict[str, str | None]:
    """What marks the env's objects: the same scope as the harness's leftover inventory (None: tag absent)."""
    return stack_scope(project_name, env)


def resources_from_live(
    session: boto3.Session,
    env: str,
    project_name: str | None = None,
    *,
    endpoint_url: str | None = None,
    root_dir: Path | None = None,
    services: Iterable[str] | None = None,
    use_tagging_api: bool = True,
) -> LiveResources:
    """The live resources of `env`, read through `session` (at `endpoint_url` when given).

    `project_name` defaults to `project` in the env root's terraform.tfvars (`root_dir`, default
    terraform/envs/<env> of this repository). `services` limits the reading to some boto3 services;
    the others are then recorded in `skipped` as not asked for, so a verdict never takes them as empty.
    `use_tagging_api=False` asks every object for its tags its own way (core.tagged).
    """
    if not isinstance(env, str) or not env:
        raise PolicyInputError("live: env must be a non-empty string")
    if project_name is None:
        if root_dir is None:
            from core.project import REPO_ROOT

            root_dir = REPO_ROOT / "terraform" / "envs" / env
        project_name = root_settings(root_dir).get("project")
        if not isinstance(project_name, str) or not project_name:
            raise PolicyInputError(f"{root_dir}: no `project` in its tfvars, so the env's tags are unknown")
    reader = _Reader(session, env, project_name, endpoint_url, use_tagging_api)
    wanted = list(services) if services is not None else list(_READERS)
    for service in wanted:
        if service not in _READERS:
            raise PolicyInputError(f"live: no reader for service {service!r} (one of {', '.join(_READERS)})")
        reader.run(service, _READERS[service])
    for service in _READERS:
        if service not in wanted:
            reader.skipped[service] = "not asked for (services=...)"
    return LiveResources(reader.resources, env=env, endpoint=endpoint_url, scope=reader.scope,
                         skipped=reader.skipped)


def evaluate_live(
    live: LiveResources, env: str, tiers_doc: dict[str, Any], *, workflow_environments: set[str] | None = None,
) -> list[Finding]:
    """The rules on the live resources, with what could not be read reported as unknown (see module doc)."""
    resources = list(live)
    findings = engine.evaluate(resources, env, tiers_doc, Source.LIVE, workflow_environments=workflow_environments)
    if not live.skipped:
        return findings
    unread = live.unread_types
    if unread & {"aws_lb", "aws_elb"}:
        findings = _undecided_without_load_balancers(findings, live, env, tiers_doc, workflow_environments)
    tier = tiers_doc["tiers"].get(env, {})
    ctx = Context(env=env, tier=tier, policy=tiers_doc.get("policy", {}), source=Source.LIVE, resources=resources,
                  all_tiers=tiers_doc["tiers"], workflow_environments=workflow_environments)
    for rule in ALL_RULES:
        if (rule.family in ("sizing", "cost") and not tier) or not rule().applies(ctx):
            continue
        missing = sorted(rule_reads(rule) & unread)
        if not missing:
            continue
        services = sorted({TYPES[t] for t in missing})
        why = "; ".join(f"{s}: {live.skipped[s]}" for s in services)
        findings.append(Finding(
            rule=rule.id, title=rule.title, family=rule.family, severity=rule.severity, level=Level.ADVISORY,
            env=env, resource=f"{env} (live: {', '.join(services)} not read)",
            message=f"{', '.join(missing)} could not be read live, so this rule's verdict leaves them out: the "
                    f"endpoint does not serve {', '.join(services)} ({why})",
            remediation="Run the live policy against an endpoint that serves these services.",
            source=Source.LIVE, status="unknown",
        ))
    return findings


def _undecided_without_load_balancers(findings: list[Finding], live: LiveResources, env: str,
                                      tiers_doc: dict[str, Any], wf: set[str] | None) -> list[Finding]:
    """Without the load balancers, a failure that a load balancer would clear is unknown, not failed.

    The rules are run again with one assumed load balancer that holds every security group and logs
    to every bucket; a failure that disappears then depended on what could not be read.
    """
    resources = list(live)
    assumed = Resource(
        address="(assumed load balancer)", type="aws_lb", env=env, source=Source.LIVE,
        values={
            "security_groups": [r.values.get("id") for r in resources if r.type == "aws_security_group"],
            "access_logs": [{"bucket": r.values.get("bucket"), "enabled": True}
                            for r in resources if r.type == "aws_s3_bucket"],
        },
    )
    favourable = engine.evaluate([*resources, assumed], env, tiers_doc, Source.LIVE, workflow_environments=wf,
                                 rules=_LB_DEPENDENT)
    kept = {(f.rule, f.resource, f.message) for f in favourable if f.status == "fail"}
    ids = {rule.id for rule in _LB_DEPENDENT}
    services = ", ".join(sorted({TYPES[t] for t in ("aws_lb", "aws_elb")} & set(live.skipped)))
    for finding in findings:
        if finding.rule in ids and finding.status == "fail" and (finding.rule, finding.resource,
                                                                  finding.message) not in kept:
            finding.status, finding.level = "unknown", Level.ADVISORY
            finding.message += (f" (undecidable live: {services} not served by the endpoint, so whether a load "
                                 "balancer uses this is unknown)")
    return findings


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def _one_line(text: Any, limit: int = 300) -> str:
    return " ".join(str(text).split())[:limit]


def _policy_text(document: Any) -> str | None:
    """A policy document as the provider keeps it: a JSON string (boto3 may already have decoded it)."""
    if document is None:
        return None
    if isinstance(document, dict | list):
        return json.dumps(document)
    text = str(document)
    if text.lstrip().startswith("%7B") or "%22" in text:
        text = urllib.parse.unquote(text)
    return text


def _missing(api: str, field: str) -> Unknown:
    return Unknown(f"the endpoint's {api} returned no {field}")


class _Reader:
    def __init__(self, session: boto3.Session, env: str, project_name: str, endpoint_url: str | None,
                 use_tagging_api: bool = True) -> None:
        self.session = session
        self.env = env
        self.project_name = project_name
        self.prefix = f"{project_name}-{env}"
        self.scope = scope_tags(project_name, env)
        self.endpoint_url = endpoint_url
        self.tags = TaggedReader(self.client, self.scope, use_tagging_api)
        self.resources: list[Resource] = []
        self.skipped: dict[str, str] = {}
        self._pending: list[Resource] = []
        self._addresses: set[str] = set()
        self._clients: dict[str, Any] = {}

    # -- plumbing ------------------------------------------------------------------------------

    def client(self, service: str) -> Any:
        if service not in self._clients:
            kwargs: dict[str, Any] = client_options(service, self.endpoint_url)
            if not self.session.region_name:
                kwargs["region_name"] = DEFAULT_REGION
            self._clients[service] = self.session.client(service, **kwargs)
        return self._clients[service]

    def run(self, service: str, read: Callable[[_Reader], None]) -> None:
        """One service's reader; its resources count only when the whole service was read."""
        self._pending = []
        where = self.endpoint_url or "AWS"
        try:
            read(self)
        except ClientError as exc:
            reason = unserved_reason(exc)
            if reason is not None:
                self.skipped[service] = reason
                return
            error = exc.response.get("Error", {})
            op = getattr(exc, "operation_name", "?")
            raise PolicyInputError(
                f"live: {service} {op} on {where}: {error.get('Code', '?')}: {_one_line(error.get('Message', ''))}"
            ) from None
        except BotoConnectionError as exc:
            raise PolicyInputError(f"live: cannot reach {where} for {service}: {_one_line(exc)}") from None
        except BotoCoreError as exc:
            raise PolicyInputError(f"live: {service} on {where}: {_one_line(exc)}") from None
        except ResponseParserError as exc:
            raise PolicyInputError(f"live: {service} on {where}: not an AWS answer: {_one_line(exc, 200)}") from None
        self.resources.extend(self._pending)

    def pages(self, service: str, operation: str, key: str, **kwargs: Any) -> Iterator[Any]:
        client = self.client(service)
        if client.can_paginate(operation):
            for page in client.get_paginator(operation).paginate(**kwargs):
                yield from page.get(key) or []
        else:
            yield from getattr(client, operation)(**kwargs).get(key) or []

    def in_scope(self, tags: dict[str, str]) -> bool:
        return in_scope(tags, self.scope)

    def named(self, name: str) -> bool:
        return name == self.prefix or name.startswith(self.prefix + "-")

    def add(self, rtype: str, name: str, values: dict[str, Any]) -> Resource:
        address = f"{rtype}.{name}"
        if address in self._addresses:
            index = 2
            while f"{address}[{index}]" in self._addresses:
                index += 1
            address = f"{address}[{index}]"
        self._addresses.add(address)
        resource = Resource(address=address, type=rtype, values=values, env=self.env, source=Source.LIVE)
        self._pending.append(resource)
        return resource


# -- per service -------------------------------------------------------------------------------


def _ec2(r: _Reader) -> None:
    ec2 = r.client("ec2")
    # The tag filter narrows the listing; tags are checked again because not every emulator applies it.
    flt = [{"Name": f"tag:{k}", "Values": [v]} for k, v in r.scope.items() if v is not None]
    groups: dict[str, str] = {}
    for sg in r.pages("ec2", "describe_security_groups", "SecurityGroups", Filters=flt):
        tags = tag_dict(sg.get("Tags"))
        if not r.in_scope(tags):
            continue
        default = sg.get("GroupName") == "default"
        name = tags.get("Name", sg["GroupId"]) if default else sg.get("GroupName", sg["GroupId"])
        groups[sg["GroupId"]] = name
        r.add("aws_default_security_group" if default else "aws_security_group", name, {
            "id": sg["GroupId"], "arn": sg.get("SecurityGroupArn"), "name": sg.get("GroupName"),
            "description": sg.get("Description"), "vpc_id": sg.get("VpcId"), "tags": tags,
        })
    if groups:
        # Every rule of the env's groups, tagged or not: a rule added by hand is the env's too.
        for rule in r.pages("ec2", "describe_security_group_rules", "SecurityGroupRules",
                            Filters=[{"Name": "group-id", "Values": sorted(groups)}]):
            if rule.get("GroupId") not in groups:
                continue
            protocol = str(rule.get("IpProtocol"))
            every_port = protocol == "-1"
            rtype = "aws_vpc_security_group_egress_rule" if rule.get("IsEgress") else \
                "aws_vpc_security_group_ingress_rule"
            r.add(rtype, f"{groups[rule['GroupId']]}/{rule['SecurityGroupRuleId']}", {
                "id": rule["SecurityGroupRuleId"], "security_group_rule_id": rule["SecurityGroupRuleId"],
                "security_group_id": rule["GroupId"], "ip_protocol": protocol,
                "from_port": None if every_port else rule.get("FromPort"),
                "to_port": None if every_port else rule.get("ToPort"),
                "cidr_ipv4": rule.get("CidrIpv4"), "cidr_ipv6": rule.get("CidrIpv6"),
                "prefix_list_id": rule.get("PrefixListId"),
                "referenced_security_group_id": (rule.get("ReferencedGroupInfo") or {}).get("GroupId"),
                "description": rule.get("Description"), "tags": tag_dict(rule.get("Tags")),
            })
    for nat in r.pages("ec2", "describe_nat_gateways", "NatGateways", Filter=flt):
        tags = tag_dict(nat.get("Tags"))
        if not r.in_scope(tags) or nat.get("State") in ("deleted", "deleting", "failed"):
            continue
        addresses = nat.get("NatGatewayAddresses") or [{}]
        r.add("aws_nat_gateway", tags.get("Name", nat["NatGatewayId"]), {
            "id": nat["NatGatewayId"], "subnet_id": nat.get("SubnetId"), "allocation_id": addresses[0].get(
                "AllocationId"), "public_ip": addresses[0].get("PublicIp"),
            "connectivity_type": nat.get("ConnectivityType", "public"), "tags": tags,
        })
    for endpoint in r.pages("ec2", "describe_vpc_endpoints", "VpcEndpoints", Filters=flt):
        tags = tag_dict(endpoint.get("Tags"))
        if not r.in_scope(tags) or str(endpoint.get("State", "")).lower() in ("deleted", "deleting", "failed"):
            continue
        r.add("aws_vpc_endpoint", tags.get("Name", endpoint["VpcEndpointId"]), {
            "id": endpoint["VpcEndpointId"], "vpc_id": endpoint.get("VpcId"),
            "service_name": endpoint.get("ServiceName"), "vpc_endpoint_type": endpoint.get("VpcEndpointType"),
            "subnet_ids": endpoint.get("SubnetIds") or [], "tags": tags,
        })
    for eip in ec2.describe_addresses(Filters=flt).get("Addresses", []):
        tags = tag_dict(eip.get("Tags"))
        if r.in_scope(tags):
            ident = eip.get("AllocationId") or eip.get("PublicIp", "?")
            r.add("aws_eip", ident, {"id": ident, "allocation_id": eip.get("AllocationId"),
                                     "public_ip": eip.get("PublicIp"), "domain": eip.get("Domain"), "tags": tags})
    for subnet in r.pages("ec2", "describe_subnets", "Subnets", Filters=flt):
        tags = tag_dict(subnet.get("Tags"))
        if r.in_scope(tags):
            r.add("aws_subnet", tags.get("Name", subnet["SubnetId"]), {
                "id": subnet["SubnetId"], "vpc_id": subnet.get("VpcId"), "cidr_block": subnet.get("CidrBlock"),
                "availability_zone": subnet.get("AvailabilityZone"),
                "map_public_ip_on_launch": subnet.get("MapPublicIpOnLaunch"), "tags": tags,
            })


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _listener_action(action: dict[str, Any]) -> dict[str, Any]:
    redirect = action.get("RedirectConfig")
    fixed = action.get("FixedResponseConfig")
    return {
        "type": action.get("Type"), "order": action.get("Order"), "target_group_arn": action.get("TargetGroupArn"),
        "redirect": [{
            "protocol": redirect.get("Protocol"), "port": redirect.get("Port"), "host": redirect.get("Host"),
            "path": redirect.get("Path"), "query": redirect.get("Query"), "status_code": redirect.get("StatusCode"),
        }] if redirect else [],
        "fixed_response": [{
            "content_type": fixed.get("ContentType"), "message_body": fixed.get("MessageBody"),
            "status_code": fixed.get("StatusCode"),
        }] if fixed else [],
    }


def _elbv2(r: _Reader) -> None:
    elb = r.client("elbv2")
    lbs = {lb["LoadBalancerArn"]: lb for lb in r.pages("elbv2", "describe_load_balancers", "LoadBalancers")}
    asked: dict[str, dict[str, str]] = {}  # what describe_tags said, when the Tagging API does not answer

    def own_call() -> dict[str, dict[str, str]]:
        if not asked:
            for chunk in _chunks(sorted(lbs), 20):
                for desc in elb.describe_tags(ResourceArns=chunk).get("TagDescriptions", []):
                    asked[desc["ResourceArn"]] = tag_dict(desc.get("Tags"))
        return asked

    tags = {arn: r.tags.tags_of(arn, lambda arn=arn: own_call().get(arn, {})) for arn in lbs}
    for arn, lb in lbs.items():
        if not r.in_scope(tags.get(arn, {})):
            continue
        attrs = {a["Key"]: a.get("Value") for a in elb.describe_load_balancer_attributes(
            LoadBalancerArn=arn).get("Attributes", [])}
        scheme = lb.get("Scheme")
        name = lb.get("LoadBalancerName", arn)
        r.add("aws_lb", name, {
            "id": arn, "arn": arn, "name": name, "dns_name": lb.get("DNSName"),
            "load_balancer_type": lb.get("Type"),
            # moto's DescribeLoadBalancers returns no Scheme (AWS does): unknown then, not guessed.
            "internal": (scheme == "internal") if scheme else _missing("DescribeLoadBalancers", "Scheme"),
            "security_groups": list(lb.get("SecurityGroups") or []),
            "subnets": [z["SubnetId"] for z in lb.get("AvailabilityZones") or [] if z.get("SubnetId")],
            "access_logs": [{
                "bucket": attrs.get("access_logs.s3.bucket") or "", "prefix": attrs.get("access_logs.s3.prefix") or "",
                "enabled": str(attrs.get("access_logs.s3.enabled")).lower() == "true",
            }],
            "drop_invalid_header_fields": _bool_attr(attrs, "routing.http.drop_invalid_header_fields.enabled"),
            "enable_deletion_protection": _bool_attr(attrs, "deletion_protection.enabled"),
            "tags": tags.get(arn, {}),
        })
        for listener in r.pages("elbv2", "describe_listeners", "Listeners", LoadBalancerArn=arn):
            protocol = listener.get("Protocol")
            actions = sorted(listener.get("DefaultActions") or [], key=lambda a: a.get("Order") or 0)
            r.add("aws_lb_listener", f"{name}:{listener.get('Port')}", {
                "id": listener["ListenerArn"], "arn": listener["ListenerArn"], "load_balancer_arn": arn,
                "port": listener.get("Port"), "protocol": protocol,
                # moto gives HTTP listeners an SslPolicy too; the provider keeps one only for HTTPS/TLS.
                "ssl_policy": listener.get("SslPolicy") if protocol in ("HTTPS", "TLS") else None,
                "certificate_arn": next((c.get("CertificateArn") for c in listener.get("Certificates") or []), None),
                "default_action": [_listener_action(a) for a in actions],
            })


def _bool_attr(attrs: dict[str, Any], key: str) -> Any:
    if key not in attrs:
        return _missing("DescribeLoadBalancerAttributes", key)
    return str(attrs[key]).lower() == "true"


def _elb(r: _Reader) -> None:
    elb = r.client("elb")
    lbs = {lb["LoadBalancerName"]: lb for lb in r.pages("elb", "describe_load_balancers",
                                                        "LoadBalancerDescriptions")}
    for chunk in _chunks(sorted(lbs), 20):
        for desc in elb.describe_tags(LoadBalancerNames=chunk).get("TagDescriptions", []):
            lb = lbs[desc["LoadBalancerName"]]
            tags = tag_dict(desc.get("Tags"))
            if r.in_scope(tags):
                r.add("aws_elb", lb["LoadBalancerName"], {
                    "id": lb["LoadBalancerName"], "name": lb["LoadBalancerName"],
                    "internal": lb.get("Scheme") == "internal", "security_groups": list(lb.get("SecurityGroups") or []),
                    "subnets": list(lb.get("Subnets") or []), "tags": tags,
                })


def _rds(r: _Reader) -> None:
    for cluster in r.pages("rds", "describe_db_clusters", "DBClusters"):
        tags = tag_dict(cluster.get("TagList"))
        if not r.in_scope(tags):
            continue
        secret = cluster.get("MasterUserSecret")
        scaling = cluster.get("ServerlessV2ScalingConfiguration")
        r.add("aws_rds_cluster", cluster["DBClusterIdentifier"], {
            "id": cluster["DBClusterIdentifier"], "cluster_identifier": cluster["DBClusterIdentifier"],
            "arn": cluster.get("DBClusterArn"), "engine": cluster.get("Engine"),
            "engine_version": cluster.get("EngineVersion"), "engine_mode": cluster.get("EngineMode"),
            "storage_encrypted": cluster.get("StorageEncrypted", False), "kms_key_id": cluster.get("KmsKeyId"),
            "deletion_protection": cluster.get("DeletionProtection", False),
            "backup_retention_period": cluster.get("BackupRetentionPeriod"),
            "storage_type": cluster.get("StorageType"), "port": cluster.get("Port"),
            "database_name": cluster.get("DatabaseName"),
            "iam_database_authentication_enabled": cluster.get("IAMDatabaseAuthenticationEnabled"),
            "vpc_security_group_ids": [g["VpcSecurityGroupId"] for g in cluster.get("VpcSecurityGroups") or []],
            "db_subnet_group_name": cluster.get("DBSubnetGroup"),
            "master_user_secret": [{"secret_arn": secret.get("SecretArn"), "kms_key_id": secret.get("KmsKeyId"),
                                    "secret_status": secret.get("SecretStatus")}] if secret else [],
            "serverlessv2_scaling_configuration": [{
                "min_capacity": scaling.get("MinCapacity"), "max_capacity": scaling.get("MaxCapacity"),
                "seconds_until_auto_pause": scaling.get("SecondsUntilAutoPause")}] if scaling else [],
            "tags": tags,
        })
    for inst in r.pages("rds", "describe_db_instances", "DBInstances"):
        tags = tag_dict(inst.get("TagList"))
        if not r.in_scope(tags):
            continue
        common = {
            "id": inst["DBInstanceIdentifier"], "identifier": inst["DBInstanceIdentifier"],
            "arn": inst.get("DBInstanceArn"), "engine": inst.get("Engine"), "engine_version": inst.get("EngineVersion"),
            "instance_class": inst.get("DBInstanceClass"),
            "publicly_accessible": inst.get(
                "PubliclyAccessible", _missing("DescribeDBInstances", "PubliclyAccessible")),
            "performance_insights_enabled": inst.get(
                "PerformanceInsightsEnabled", _missing("DescribeDBInstances", "PerformanceInsightsEnabled")),
            "performance_insights_retention_period": inst.get("PerformanceInsightsRetentionPeriod"),
            "performance_insights_kms_key_id": inst.get("PerformanceInsightsKMSKeyId"),
            "monitoring_interval": inst.get("MonitoringInterval"), "availability_zone": inst.get("AvailabilityZone"),
            "storage_encrypted": inst.get("StorageEncrypted", False), "kms_key_id": inst.get("KmsKeyId"),
            "tags": tags,
        }
        if inst.get("DBClusterIdentifier"):
            r.add("aws_rds_cluster_instance", inst["DBInstanceIdentifier"],
                  {**common, "cluster_identifier": inst["DBClusterIdentifier"]})
        else:
            r.add("aws_db_instance", inst["DBInstanceIdentifier"], {
                **common, "multi_az": inst.get("MultiAZ"), "allocated_storage": inst.get("AllocatedStorage"),
                "storage_type": inst.get("StorageType"), "deletion_protection": inst.get("DeletionProtection"),
                "backup_retention_period": inst.get("BackupRetentionPeriod"),
            })


def _elasticache(r: _Reader) -> None:
    ec = r.client("elasticache")

    def tags_of(arn: str | None) -> dict[str, str]:
        if not arn:
            return {}
        return r.tags.tags_of(arn, lambda: tag_dict(ec.list_tags_for_resource(ResourceName=arn).get("TagList")))

    for group in r.pages("elasticache", "describe_replication_groups", "ReplicationGroups"):
        if group.get("Status") == "deleting":
            continue
        tags = tags_of(group.get("ARN"))
        if not r.in_scope(tags):
            continue
        cluster_mode = bool(group.get("ClusterEnabled", group.get("ClusterMode") == "enabled"))
        node_groups = group.get("NodeGroups") or []
        members = group.get("MemberClusters") or []
        values: dict[str, Any] = {
            "id": group["ReplicationGroupId"], "replication_group_id": group["ReplicationGroupId"],
            "arn": group.get("ARN"), "description": group.get("Description"), "engine": group.get("Engine", "redis"),
            "node_type": group.get("CacheNodeType"), "member_clusters": members, "cluster_enabled": cluster_mode,
            "automatic_failover_enabled": group.get("AutomaticFailover") in ("enabled", "enabling"),
            "multi_az_enabled": group.get("MultiAZ") == "enabled",
            "at_rest_encryption_enabled": group.get("AtRestEncryptionEnabled", False),
            "transit_encryption_enabled": group.get("TransitEncryptionEnabled", False),
            "kms_key_id": group.get("KmsKeyId"), "auth_token_enabled": group.get("AuthTokenEnabled"),
            "snapshot_retention_limit": group.get("SnapshotRetentionLimit"), "tags": tags,
        }
        if cluster_mode:
            values["num_node_groups"] = len(node_groups)
            values["replicas_per_node_group"] = max(len(node_groups[0].get("NodeGroupMembers") or []) - 1, 0) \
                if node_groups else 0
        else:
            values["num_cache_clusters"] = len(members)
        r.add("aws_elasticache_replication_group", group["ReplicationGroupId"], values)
    for cluster in r.pages("elasticache", "describe_cache_clusters", "CacheClusters"):
        if cluster.get("ReplicationGroupId") or cluster.get("CacheClusterStatus") == "deleting":
            continue  # a member of a replication group: part of the group
        tags = tags_of(cluster.get("ARN"))
        if r.in_scope(tags):
            r.add("aws_elasticache_cluster", cluster["CacheClusterId"], {
                "id": cluster["CacheClusterId"], "cluster_id": cluster["CacheClusterId"], "arn": cluster.get("ARN"),
                "engine": cluster.get("Engine"), "node_type": cluster.get("CacheNodeType"),
                "num_cache_nodes": cluster.get("NumCacheNodes"), "replication_group_id": None, "tags": tags,
            })


def _ecs(r: _Reader) -> None:
    ecs = r.client("ecs")
    latest: dict[str, tuple[int, str]] = {}  # family -> (revision, ARN) of its newest ACTIVE revision
    families = [f for f in r.pages("ecs", "list_task_definition_families", "families", familyPrefix=r.prefix,
                                   status="ACTIVE") if r.named(f)]
    for name in families:
        # AWS matches familyPrefix of ListTaskDefinitions as the whole family name, moto as a prefix.
        for arn in r.pages("ecs", "list_task_definitions", "taskDefinitionArns", familyPrefix=name, status="ACTIVE"):
            family, _, revision = arn.rsplit("/", 1)[-1].rpartition(":")
            if family == name and revision.isdigit() and int(revision) > latest.get(family, (0, ""))[0]:
                latest[family] = (int(revision), arn)
    for _family, (_revision, arn) in sorted(latest.items()):
        # By ARN: describing a family name gives moto's newest revision even when it is INACTIVE.
        described = ecs.describe_task_definition(taskDefinition=arn, include=["TAGS"])
        task, tags = described["taskDefinition"], tag_dict(described.get("tags"), "key", "value")
        if tags and not r.in_scope(tags):
            continue  # a revision tagged as another env's (or another root's)
        platform = task.get("runtimePlatform")
        r.add("aws_ecs_task_definition", f"{task['family']}:{task.get('revision')}", {
            "id": task["family"], "family": task["family"], "revision": task.get("revision"),
            "arn": task.get("taskDefinitionArn"), "cpu": task.get("cpu"), "memory": task.get("memory"),
            "network_mode": task.get("networkMode"),
            "requires_compatibilities": list(task.get("requiresCompatibilities") or []),
            "execution_role_arn": task.get("executionRoleArn"), "task_role_arn": task.get("taskRoleArn"),
            "runtime_platform": [{"operating_system_family": platform.get("operatingSystemFamily"),
                                  "cpu_architecture": platform.get("cpuArchitecture")}] if platform else [],
            "container_definitions": json.dumps(task.get("containerDefinitions") or []),
            "tags": tags,
        })
    clusters = list(r.pages("ecs", "list_clusters", "clusterArns"))
    for chunk in _chunks(clusters, 100):
        for cluster in ecs.describe_clusters(clusters=chunk, include=["TAGS"]).get("clusters", []):
            tags = tag_dict(cluster.get("tags"), "key", "value")
            if cluster.get("status") != "ACTIVE" or not r.in_scope(tags):
                continue
            if cluster.get("capacityProviders"):
                r.add("aws_ecs_cluster_capacity_providers", cluster["clusterName"], {
                    "id": cluster["clusterName"], "cluster_name": cluster["clusterName"],
                    "capacity_providers": cluster["capacityProviders"],
                    "default_capacity_provider_strategy": [
                        {"capacity_provider": s.get("capacityProvider"), "weight": s.get("weight"),
                         "base": s.get("base")} for s in cluster.get("defaultCapacityProviderStrategy") or []],
                })
            arns = list(r.pages("ecs", "list_services", "serviceArns", cluster=cluster["clusterArn"]))
            for names in _chunks(arns, 10):
                for svc in ecs.describe_services(cluster=cluster["clusterArn"], services=names,
                                                 include=["TAGS"]).get("services", []):
                    tags = tag_dict(svc.get("tags"), "key", "value")
                    if svc.get("status") == "INACTIVE" or not r.in_scope(tags):
                        continue
                    network = (svc.get("networkConfiguration") or {}).get("awsvpcConfiguration")
                    r.add("aws_ecs_service", f"{cluster['clusterName']}/{svc['serviceName']}", {
                        "id": svc.get("serviceArn"), "name": svc["serviceName"], "cluster": cluster["clusterArn"],
                        "task_definition": svc.get("taskDefinition"), "desired_count": svc.get("desiredCount"),
                        "launch_type": svc.get("launchType"), "platform_version": svc.get("platformVersion"),
                        "capacity_provider_strategy": [
                            {"capacity_provider": s.get("capacityProvider"), "weight": s.get("weight"),
                             "base": s.get("base")} for s in svc.get("capacityProviderStrategy") or []],
                        "network_configuration": [{
                            "subnets": network.get("subnets"), "security_groups": network.get("securityGroups"),
                            "assign_public_ip": network.get("assignPublicIp") == "ENABLED"}] if network else [],
                        "tags": tags,
                    })


def _appautoscaling(r: _Reader) -> None:
    aas = r.client("application-autoscaling")
    for target in r.pages("application-autoscaling", "describe_scalable_targets", "ScalableTargets",
                          ServiceNamespace="ecs"):
        arn = target.get("ScalableTargetARN")
        if arn:
            ours = r.in_scope(aas.list_tags_for_resource(ResourceARN=arn).get("Tags") or {})
        else:  # an endpoint without target ARNs (older APIs) cannot tag them: the cluster's name decides
            parts = str(target.get("ResourceId", "")).split("/")
            ours = len(parts) >= 2 and r.named(parts[1])
        if not ours:
            continue
        r.add("aws_appautoscaling_target", target["ResourceId"], {
            "id": target["ResourceId"], "arn": arn, "service_namespace": target.get("ServiceNamespace"),
            "resource_id": target["ResourceId"], "scalable_dimension": target.get("ScalableDimension"),
            "min_capacity": target.get("MinCapacity"), "max_capacity": target.get("MaxCapacity"),
        })


def _logs(r: _Reader) -> None:
    logs = r.client("logs")
    for group in r.pages("logs", "describe_log_groups", "logGroups"):
        name = group["logGroupName"]
        arn = group.get("logGroupArn") or str(group.get("arn", "")).removesuffix(":*")
        tags = r.tags.tags_of(arn, lambda arn=arn: logs.list_tags_for_resource(resourceArn=arn).get("tags") or {})
        if not r.in_scope(tags):
            continue
        r.add("aws_cloudwatch_log_group", name, {
            "id": name, "name": name, "arn": arn,
            # No retentionInDays: the group keeps its logs for ever (the provider's 0). No kmsKeyId: none.
            "retention_in_days": group.get("retentionInDays", 0), "kms_key_id": group.get("kmsKeyId"),
            "log_group_class": group.get("logGroupClass"), "tags": tags,
        })


def _cloudwatch(r: _Reader) -> None:
    cw = r.client("cloudwatch")
    for alarm in r.pages("cloudwatch", "describe_alarms", "MetricAlarms"):
        arn = alarm["AlarmArn"]
        tags = r.tags.tags_of(arn, lambda arn=arn: tag_dict(cw.list_tags_for_resource(ResourceARN=arn).get("Tags")))
        if not r.in_scope(tags):
            continue
        r.add("aws_cloudwatch_metric_alarm", alarm["AlarmName"], {
            "id": alarm["AlarmName"], "alarm_name": alarm["AlarmName"], "arn": alarm["AlarmArn"],
            "namespace": alarm.get("Namespace"), "metric_name": alarm.get("MetricName"),
            "period": alarm.get("Period"), "threshold": alarm.get("Threshold"),
            "metric_query": [{"id": m.get("Id"), "expression": m.get("Expression"),
                              "metric": [m["MetricStat"]] if m.get("MetricStat") else []}
                             for m in alarm.get("Metrics") or []],
            "alarm_actions": alarm.get("AlarmActions"), "tags": tags,
        })


def _s3(r: _Reader) -> None:
    s3 = r.client("s3")

    def optional(call: Callable[..., dict], missing: tuple[str, ...], **kwargs: Any) -> dict | None:
        try:
            return call(**kwargs)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in missing:
                return None
            raise

    for bucket in s3.list_buckets().get("Buckets", []):
        name = bucket["Name"]
        tags = r.tags.tags_of(f"arn:aws:s3:::{name}", lambda name=name: tag_dict(
            (optional(s3.get_bucket_tagging, ("NoSuchTagSet", "NoSuchBucket"), Bucket=name) or {}).get("TagSet")))
        if not r.in_scope(tags):
            continue
        r.add("aws_s3_bucket", name, {"id": name, "bucket": name, "arn": f"arn:aws:s3:::{name}", "tags": tags})
        encryption = optional(s3.get_bucket_encryption, ("ServerSideEncryptionConfigurationNotFoundError",),
                              Bucket=name)
        if encryption is not None:
            rules = (encryption.get("ServerSideEncryptionConfiguration") or {}).get("Rules") or []
            r.add("aws_s3_bucket_server_side_encryption_configuration", name, {"id": name, "bucket": name, "rule": [{
                "apply_server_side_encryption_by_default": [{
                    "sse_algorithm": d.get("SSEAlgorithm"), "kms_master_key_id": d.get("KMSMasterKeyID"),
                }] if (d := rule.get("ApplyServerSideEncryptionByDefault")) else [],
                "bucket_key_enabled": rule.get("BucketKeyEnabled"),
            } for rule in rules]})
        block = optional(s3.get_public_access_block, ("NoSuchPublicAccessBlockConfiguration",), Bucket=name)
        if block is not None:
            conf = block.get("PublicAccessBlockConfiguration") or {}
            r.add("aws_s3_bucket_public_access_block", name, {
                "id": name, "bucket": name, "block_public_acls": conf.get("BlockPublicAcls", False),
                "block_public_policy": conf.get("BlockPublicPolicy", False),
                "ignore_public_acls": conf.get("IgnorePublicAcls", False),
                "restrict_public_buckets": conf.get("RestrictPublicBuckets", False),
            })
        versioning = s3.get_bucket_versioning(Bucket=name)
        if versioning.get("Status"):  # never configured: no versioning resource, as in the provider
            r.add("aws_s3_bucket_versioning", name, {"id": name, "bucket": name, "versioning_configuration": [
                {"status": versioning["Status"], "mfa_delete": versioning.get("MFADelete")}]})
        policy = optional(s3.get_bucket_policy, ("NoSuchBucketPolicy",), Bucket=name)
        if policy is not None:
            r.add("aws_s3_bucket_policy", name, {"id": name, "bucket": name, "policy": policy.get("Policy")})


def _ecr(r: _Reader) -> None:
    ecr = r.client("ecr")
    for repo in r.pages("ecr", "describe_repositories", "repositories"):
        tags = tag_dict(ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"]).get("tags"))
        if not r.in_scope(tags):
            continue
        scanning = repo.get("imageScanningConfiguration")
        encryption = repo.get("encryptionConfiguration")
        r.add("aws_ecr_repository", repo["repositoryName"], {
            "id": repo["repositoryName"], "name": repo["repositoryName"], "arn": repo["repositoryArn"],
            "repository_url": repo.get("repositoryUri"), "image_tag_mutability": repo.get("imageTagMutability"),
            "image_scanning_configuration": [{"scan_on_push": scanning.get("scanOnPush", False)}] if scanning else [],
            "encryption_configuration": [{"encryption_type": encryption.get("encryptionType"),
                                          "kms_key": encryption.get("kmsKey")}] if encryption else [],
            "tags": tags,
        })
        try:
            policy = ecr.get_repository_policy(repositoryName=repo["repositoryName"]).get("policyText")
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "RepositoryPolicyNotFoundException":
                raise
            policy = None
        if policy:
            r.add("aws_ecr_repository_policy", repo["repositoryName"], {
                "id": repo["repositoryName"], "repository": repo["repositoryName"], "policy": policy})


def _iam(r: _Reader) -> None:
    iam = r.client("iam")
    for role in r.pages("iam", "list_roles", "Roles"):
        name = role["RoleName"]
        if str(role.get("Path", "")).startswith("/aws-service-role/"):
            continue  # service-linked: AWS's, not the env's
        tags = tag_dict(iam.list_role_tags(RoleName=name).get("Tags"))
        if not r.in_scope(tags):
            continue
        # ListRoles leaves the permissions boundary out; GetRole has it.
        boundary = (iam.get_role(RoleName=name)["Role"].get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
        r.add("aws_iam_role", name, {
            "id": name, "name": name, "arn": role["Arn"], "unique_id": role.get("RoleId"), "path": role.get("Path"),
            "permissions_boundary": boundary,
            "description": role.get("Description"), "max_session_duration": role.get("MaxSessionDuration"),
            "assume_role_policy": _policy_text(role.get("AssumeRolePolicyDocument")), "tags": tags,
        })
        for policy_name in r.pages("iam", "list_role_policies", "PolicyNames", RoleName=name):
            doc = iam.get_role_policy(RoleName=name, PolicyName=policy_name).get("PolicyDocument")
            r.add("aws_iam_role_policy", f"{name}:{policy_name}", {
                "id": f"{name}:{policy_name}", "name": policy_name, "role": name, "policy": _policy_text(doc)})
        for attached in r.pages("iam", "list_attached_role_policies", "AttachedPolicies", RoleName=name):
            r.add("aws_iam_role_policy_attachment", f"{name}/{attached['PolicyName']}", {
                "id": f"{name}-{attached['PolicyArn']}", "role": name, "policy_arn": attached["PolicyArn"]})
    for policy in r.pages("iam", "list_policies", "Policies", Scope="Local"):
        tags = tag_dict(iam.list_policy_tags(PolicyArn=policy["Arn"]).get("Tags"))
        if not r.in_scope(tags):
            continue
        version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])
        r.add("aws_iam_policy", policy["PolicyName"], {
            "id": policy["Arn"], "arn": policy["Arn"], "name": policy["PolicyName"], "path": policy.get("Path"),
            "description": policy.get("Description"),
            "policy": _policy_text(version["PolicyVersion"].get("Document")), "tags": tags,
        })
    for user in r.pages("iam", "list_users", "Users"):
        name = user["UserName"]
        if not r.in_scope(tag_dict(iam.list_user_tags(UserName=name).get("Tags"))):
            continue
        for policy_name in r.pages("iam", "list_user_policies", "PolicyNames", UserName=name):
            doc = iam.get_user_policy(UserName=name, PolicyName=policy_name).get("PolicyDocument")
            r.add("aws_iam_user_policy", f"{name}:{policy_name}", {
                "id": f"{name}:{policy_name}", "name": policy_name, "user": name, "policy": _policy_text(doc)})
    for group in r.pages("iam", "list_groups", "Groups"):
        name = group["GroupName"]
        if not r.named(name):  # IAM groups cannot be tagged
            continue
        for policy_name in r.pages("iam", "list_group_policies", "PolicyNames", GroupName=name):
            doc = iam.get_group_policy(GroupName=name, PolicyName=policy_name).get("PolicyDocument")
            r.add("aws_iam_group_policy", f"{name}:{policy_name}", {
                "id": f"{name}:{policy_name}", "name": policy_name, "group": name, "policy": _policy_text(doc)})
    for provider in iam.list_open_id_connect_providers().get("OpenIDConnectProviderList", []):
        arn = provider["Arn"]
        described = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
        tags = tag_dict(described.get("Tags"))
        if r.in_scope(tags):
            r.add("aws_iam_openid_connect_provider", arn.rsplit("/", 1)[-1], {
                "id": arn, "arn": arn, "url": described.get("Url"), "client_id_list": described.get("ClientIDList"),
                "thumbprint_list": described.get("ThumbprintList"), "tags": tags,
            })


def _secrets(r: _Reader) -> None:
    sm = r.client("secretsmanager")
    # Secrets scheduled for deletion are not listed; the one RDS keeps a master password in is not tagged
    # as the env's (it belongs to the cluster, and is checked with it).
    for secret in r.pages("secretsmanager", "list_secrets", "SecretList"):
        tags = tag_dict(secret.get("Tags"))
        if not r.in_scope(tags):
            continue
        described = sm.describe_secret(SecretId=secret["ARN"])
        r.add("aws_secretsmanager_secret", secret["Name"], {
            "id": secret["ARN"], "arn": secret["ARN"], "name": secret["Name"],
            "description": secret.get("Description"), "kms_key_id": secret.get("KmsKeyId"),
            "replica": [{"region": rep.get("Region"), "kms_key_id": rep.get("KmsKeyId"), "status": rep.get("Status")}
                        for rep in described.get("ReplicationStatus") or []],
            "tags": tags,
        })
        policy = sm.get_resource_policy(SecretId=secret["ARN"]).get("ResourcePolicy")
        if policy:
            r.add("aws_secretsmanager_secret_policy", secret["Name"], {
                "id": secret["ARN"], "secret_arn": secret["ARN"], "policy": policy})


def _kms(r: _Reader) -> None:
    kms = r.client("kms")
    ours: dict[str, str] = {}
    for key in r.pages("kms", "list_keys", "Keys"):
        meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
        if meta.get("KeyManager") == "AWS" or meta.get("KeyState") in ("PendingDeletion", "PendingReplicaDeletion"):
            continue
        tags = r.tags.tags_of(meta.get("Arn"), lambda key=key: tag_dict(
            kms.list_resource_tags(KeyId=key["KeyId"]).get("Tags"), "TagKey", "TagValue"))
        if not r.in_scope(tags):
            continue
        ours[meta["KeyId"]] = meta["Arn"]
        replica = (meta.get("MultiRegionConfiguration") or {}).get("MultiRegionKeyType") == "REPLICA"
        rotation = None
        if not replica and meta.get("KeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT":
            rotation = kms.get_key_rotation_status(KeyId=meta["KeyId"]).get("KeyRotationEnabled")
        r.add("aws_kms_replica_key" if replica else "aws_kms_key", meta["KeyId"], {
            "id": meta["KeyId"], "key_id": meta["KeyId"], "arn": meta["Arn"], "description": meta.get("Description"),
            "key_usage": meta.get("KeyUsage"), "is_enabled": meta.get("Enabled"),
            # moto's DescribeKey returns no MultiRegion (AWS does); only the cost estimate's label reads it.
            "multi_region": meta.get("MultiRegion", _missing("DescribeKey", "MultiRegion")),
            "enable_key_rotation": rotation, "tags": tags,
            "policy": kms.get_key_policy(KeyId=meta["KeyId"], PolicyName="default").get("Policy"),
        })
    for alias in r.pages("kms", "list_aliases", "Aliases"):
        target = alias.get("TargetKeyId")
        if target in ours and not str(alias["AliasName"]).startswith("alias/aws/"):
            r.add("aws_kms_alias", alias["AliasName"], {
                "id": alias["AliasName"], "name": alias["AliasName"], "arn": alias.get("AliasArn"),
                "target_key_id": target, "target_key_arn": ours[target],
            })


def _sns(r: _Reader) -> None:
    sns = r.client("sns")
    for topic in r.pages("sns", "list_topics", "Topics"):
        arn = topic["TopicArn"]
        tags = r.tags.tags_of(arn, lambda arn=arn: tag_dict(sns.list_tags_for_resource(ResourceArn=arn).get("Tags")))
        if r.in_scope(tags):
            policy = sns.get_topic_attributes(TopicArn=arn).get("Attributes", {}).get("Policy")
            r.add("aws_sns_topic", arn.rsplit(":", 1)[-1], {"id": arn, "arn": arn, "name": arn.rsplit(":", 1)[-1],
                                                             "policy": policy, "tags": tags})
            if policy:
                r.add("aws_sns_topic_policy", arn.rsplit(":", 1)[-1], {"id": arn, "arn": arn, "policy": policy})


# boto3 service name -> reader. Each reads the types TYPES maps to that service.
_READERS: dict[str, Callable[[_Reader], None]] = {
    "ec2": _ec2, "elbv2": _elbv2, "elb": _elb, "rds": _rds, "elasticache": _elasticache, "ecs": _ecs,
    "application-autoscaling": _appautoscaling, "logs": _logs, "cloudwatch": _cloudwatch, "s3": _s3, "ecr": _ecr,
    "iam": _iam, "secretsmanager": _secrets, "kms": _kms, "sns": _sns,
}
SERVICES = tuple(_READERS)

__all__ = [
    "ALIASES", "EXTRA_READS", "SERVICES", "TYPES", "LiveResources", "emulator_session", "evaluate_live",
    "read_types", "resources_from_live", "root_settings", "rule_reads", "scope_tags",
]
