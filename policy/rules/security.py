"""Security rules: encryption with customer keys, nothing public, TLS, IAM and OIDC scoping."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from policy.model import Finding, Resource, Severity, Shape, Unknown, is_unknown
from policy.rules.base import Context, Rule, as_bool, as_list
from policy.rules.refs import points_at, refers_to_type
from policy.rules.sizing import as_int

_KMS_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key/[A-Za-z0-9-]+|alias/(?!aws/).+)\Z")
_KMS_KEY_TYPES = ("aws_kms_key", "aws_kms_replica_key", "aws_kms_alias")


def customer_key(value: Any, holder: Resource) -> bool | None:
    """True for a customer-managed KMS key, False for none or an AWS-managed one, None if unknown."""
    if value is None or value == "":
        return False
    if is_unknown(value):
        if refers_to_type(value, holder, *_KMS_KEY_TYPES):
            return True
        return None
    return bool(_KMS_ARN.match(str(value)))


class _KmsRule(Rule):
    """A resource type whose storage must be encrypted with a customer-managed KMS key."""

    family = "security"
    severity = Severity.HIGH
    key_attr = "kms_key_id"
    flags: tuple[str, ...] = ()  # boolean attributes that must be true

    def check(self, resource: Resource, ctx: Context) -> Iterable[Finding]:
        for flag in self.flags:
            value = as_bool(resource.get(flag))
            if is_unknown(value):
                yield self.unknown(ctx, resource, flag, value)
            elif value is not True:
                yield self.fail(ctx, resource, f"{flag} is {json.dumps(value)}; it must be true",
                                actual=value, expected=True)
        key = resource.get(self.key_attr)
        verdict = customer_key(key, resource)
        if verdict is None:
            yield self.unknown(ctx, resource, self.key_attr, key)
        elif not verdict:
            yield self.fail(
                ctx, resource, f"{self.key_attr} is {'not set' if key in (None, '') else key}: "
                "the data is not encrypted with a customer-managed KMS key",
                actual=key, expected="a customer-managed KMS key ARN",
            )


class RdsEncryption(_KmsRule):
    id = "RPY-SEC-001"
    slug = "rds-encryption"
    title = "Aurora storage is encrypted with a customer KMS key"
    resource_types = ("aws_rds_cluster", "aws_db_instance")
    flags = ("storage_encrypted",)
    rationale = "Database snapshots and storage hold all customer data; a customer key controls who can read it."
    remediation = "Set storage_encrypted = true and kms_key_id to the env's KMS key."


class CacheEncryption(_KmsRule):
    id = "RPY-SEC-002"
    slug = "cache-encryption"
    title = "Redis is encrypted at rest with a customer KMS key and in transit"
    resource_types = ("aws_elasticache_replication_group",)
    flags = ("at_rest_encryption_enabled", "transit_encryption_enabled")
    rationale = "Sessions and cached records are customer data; plaintext Redis traffic can be sniffed in the VPC."
    remediation = "Set at_rest_encryption_enabled, transit_encryption_enabled and kms_key_id."


class LogGroupKms(_KmsRule):
    id = "RPY-SEC-004"
    slug = "log-group-kms"
    title = "CloudWatch log groups are encrypted with a customer KMS key"
    severity = Severity.MEDIUM
    resource_types = ("aws_cloudwatch_log_group",)
    rationale = "Application and database logs leak identifiers and queries."
    remediation = "Set kms_key_id to the env's KMS key (its policy must allow logs.<region>.amazonaws.com)."


class SecretKms(_KmsRule):
    id = "RPY-SEC-005"
    slug = "secret-kms"
    title = "Secrets Manager secrets use a customer KMS key"
    resource_types = ("aws_secretsmanager_secret",)
    rationale = "The default aws/secretsmanager key cannot be shared or scoped by key policy."
    remediation = "Set kms_key_id to the env's KMS key."


class EcrKms(Rule):
    id = "RPY-SEC-006"
    slug = "ecr-kms"
    title = "ECR repositories are encrypted with a customer KMS key"
    family = "security"
    severity = Severity.MEDIUM
    resource_types = ("aws_ecr_repository",)
    rationale = "Images carry code and configuration; a customer key controls who can pull them."
    remediation = 'Add encryption_configuration { encryption_type = "KMS", kms_key = <key ARN> }.'

    def check(self, resource: Resource, ctx: Context) -> Iterable[Finding]:
        blocks = resource.blocks("encryption_configuration")
        kind = blocks[0].get("encryption_type") if blocks else "AES256"
        if is_unknown(kind):
            yield self.unknown(ctx, resource, "encryption_configuration.encryption_type", kind)
            return
        if kind != "KMS":
            yield self.fail(ctx, resource, f"encryption_type is {kind}", actual=kind, expected="KMS")
            return
        verdict = customer_key(blocks[0].get("kms_key"), resource)
        if verdict is None:
            yield self.unknown(ctx, resource, "encryption_configuration.kms_key", blocks[0].get("kms_key"))
        elif not verdict:
            yield self.fail(ctx, resource, "KMS encryption uses the AWS-managed key", actual=blocks[0].get("kms_key"),
                            expected="a customer-managed KMS key ARN")


class DatabaseNotPublic(Rule):
    id = "RPY-SEC-007"
    slug = "database-not-public"
    title = "Databases are not publicly accessible"
    family = "security"
    severity = Severity.CRITICAL
    resource_types = ("aws_rds_cluster_instance", "aws_db_instance")
    rationale = "A public database endpoint is one leaked password away from a breach."
    remediation = "Set publicly_accessible = false and keep the instances in the database subnets."

    def check(self, resource: Resource, ctx: Context) -> Iterable[Finding]:
        value = as_bool(resource.get("publicly_accessible"))
        if is_unknown(value):
            yield self.unknown(ctx, resource, "publicly_accessible", value)
        elif value is True:
            yield self.fail(ctx, resource, "publicly_accessible = true", actual=True, expected=False)


def _open_cidrs(rule: dict[str, Any]) -> list[str]:
    cidrs = [*as_list(rule.get("cidr_blocks")), *as_list(rule.get("ipv6_cidr_blocks"))]
    cidrs += [c for c in (rule.get("cidr_ipv4"), rule.get("cidr_ipv6")) if c is not None]
    return [c for c in cidrs if c in ("0.0.0.0/0", "::/0")]


class OpenIngress(Rule):
    id = "RPY-SEC-008"
    slug = "open-ingress"
    title = "No ingress from the internet except 80/443 on a load balancer"
    family = "security"
    severity = Severity.CRITICAL
    resource_types = ("aws_security_group", "aws_security_group_rule", "aws_vpc_security_group_ingress_rule")
    rationale = "0.0.0.0/0 on a database, cache or task port exposes it to the whole internet."
    remediation = "Allow the port from the security group that needs it (referenced_security_group_id) instead."

    def check(self, resource: Resource, ctx: Context) -> Iterable[Finding]:
        if resource.type == "aws_security_group":
            rules = [(r, resource) for r in resource.blocks("ingress")]
        elif resource.type == "aws_security_group_rule":
            if resource.get("type") != "ingress":
                return
            rules = [(resource.values, None)]
        else:
            rules = [(resource.values, None)]
        for rule, group in rules:
            open_cidrs = _open_cidrs(rule)
            if any(is_unknown(c) for c in as_list(rule.get("cidr_blocks"))) or is_unknown(rule.get("cidr_ipv4")):
                yield self.unknown(ctx, resource, "cidr", rule.get("cidr_ipv4"))
                continue
            if not open_cidrs:
                continue
            ports = self._ports(rule)
            allowed = set(ctx.policy.get("public_ingress_ports", []))
            sg_is_lb = self._on_load_balancer(resource, group, ctx)
            what = f"{', '.join(open_cidrs)} on {self._describe(ports)}"
            if ports is not None and ports <= allowed and sg_is_lb:
                continue
            if ports is not None and ports <= allowed and sg_is_lb is None:
                yield self.unknown(ctx, resource, "security_group_id", rule.get("security_group_id"))
                continue
            reason = "only a load balancer may be open to the internet" if ports is not None and ports <= allowed \
                else f"only ports {', '.join(map(str, sorted(allowed)))} may be open to the internet"
            yield self.fail(ctx, resource, f"ingress from {what}: {reason}", actual=what,
                            expected=f"internet ingress only on {sorted(allowed)} of a load balancer")

    @staticmethod
    def _ports(rule: dict[str, Any]) -> set[int] | None:
        protocol = rule.get("ip_protocol", rule.get("protocol"))
        if protocol in ("-1", -1, "all"):
            return None  # every port
        low, high = as_int(rule.get("from_port")), as_int(rule.get("to_port"))
        if low is None or high is None or high - low > 1024:
            return None
        return set(range(low, high + 1))

    @staticmethod
    def _describe(ports: set[int] | None) -> str:
        if ports is None:
            return "all ports"
        low, high = min(ports), max(ports)
        return f"port {low}" if low == high else f"ports {low}-{high}"

    @staticmethod
    def _on_load_balancer(resource: Resource, group: Resource | None, ctx: Context) -> bool | None:
        if group is None:
            groups = ctx.pointed_at(resource.get("security_group_id"), resource, "aws_security_group")
            if not groups:
                return None if is_unknown(resource.get("security_group_id")) else False
            group = min(groups, key=ctx.resources.index) if len(groups) > 1 else groups[0]
        return group.address in ctx.memo("load-balancer-groups", lambda: _load_balancer_groups(ctx))


def _load_balancer_groups(ctx: Context) -> set[str]:
    """Addresses of the security groups that a load balancer of the stack uses."""
    found = set()
    for lb in ctx.of_type("aws_lb", "aws_alb", "aws_elb"):
        for sg in as_list(lb.get("security_groups")):
            found.update(g.address for g in ctx.pointed_at(sg, lb, "aws_security_group"))
    return found


def _listeners(ctx: Context, protocol: str) -> list[Resource]:
    return [r for r in ctx.of_type("aws_lb_listener", "aws_alb_listener") if r.get("protocol") == protocol]


class ProdHttps(Rule):
    id = "RPY-SEC-009"
    slug = "prod-https"
    title = "Production serves HTTPS with a TLS 1.2+ policy"
    family = "security"
    severity = Severity.HIGH
    production_only = True
    rationale = "Production traffic carries credentials and personal data."
    remediation = "Add an HTTPS:443 listener with one of policy.tls_policies (terraform/tiers.yaml)."

    def check_stack(self, ctx: Context) -> Iterable[Finding]:
        lbs = ctx.of_type("aws_lb", "aws_alb")
        if not lbs:
            return
        https = _listeners(ctx, "HTTPS")
        if not https:
            yield self.fail(ctx, lbs[0], "the load balancer has no HTTPS listener", actual="HTTP only",
                            expected="HTTPS:443")
        allowed = ctx.policy.get("tls_policies", [])
        for listener in https:
            policy = listener.get("ssl_policy")
            if is_unknown(policy):
                yield self.unknown(ctx, listener, "ssl_policy", policy)
            elif policy not in allowed:
                yield self.fail(ctx, listener, f"ssl_policy {policy} allows protocols older than TLS 1.2",
                                actual=policy, expected=allowed[:1])
            if as_int(listener.get("port")) != 443:
                yield self.fail(ctx, listener, f"HTTPS listens on {listener.get('port')}", actual=listener.get("port"),
                                expected=443)


class HttpRedirectsOnly(Rule):
    id = "RPY-SEC-010"
    slug = "http-redirects-only"
    title = "Production's HTTP listener only redirects to HTTPS"
    family = "security"
    severity = Severity.HIGH
    production_only = True
    resource_types = ("aws_lb_listener", "aws_alb_listener")
    rationale = "A forwarding HTTP listener serves the app in plaintext next to the HTTPS one."
    remediation = 'Make the HTTP listener\'s default_action a redirect { protocol = "HTTPS", port = "443" }.'

    def check(self, resource: Resource, ctx: Context) -> Iterable[Finding]:
        if resource.get("protocol") != "HTTP":
            return
        actions = resource.blocks("default_action")
        kinds = [a.get("type") for a in actions]
        redirects = [a for a in actions if a.get("type") == "redirect"]
        to_https = all(r.get("protocol") == "HTTPS" for blk in redirects for r in as_list(blk.get("redirect")))
        if kinds != ["redirect"] or not to_https:
            yield self.fail(ctx, resource, f"the HTTP listener's default action is {kinds}, not a redirect to HTTPS",
                            actual=kinds, expected=["redirect to HTTPS"])


class _ClusterAttribute(Rule):
    family = "security"
    production_only = True
    resource_types = ("aws_rds_cluster",)


class DatabaseDeletionProtection(_ClusterAttribute):
    id = "RPY-SEC-011"
    slug = "db-deletion-protection"
    title = "Production database has deletion protection"
    severity = Severity.HIGH
    rationale = "One mistaken destroy must not delete production data."
    remediation = "Set the tier's database.deletion_protection: true (terraform/tiers.yaml)."

    def check(self, resource: Resource, ctx: Context) -> Iterable[Finding]:
        value = as_bool(resource.get("deletion_protection"))
        if is_unknown(value):
            yield self.unknown(ctx, resource, "deletion_protection", value)
        elif value is not True:
            yield self.fail(ctx, resource, "deletion_protection is off", actual=value, expected=True)


class DatabaseBackups(_ClusterAttribute):
    id = "RPY-SEC-012"
    slug = "db-backups"
    title = "Production database keeps backups long enough"
    severity = Severity.HIGH
    rationale = "Point-in-time recovery needs a window longer than the time to notice a bad write."
    remediation = "Raise the tier's database.backup_retention_days to at least policy.min_backup_retention_days."

    def check(self, resource: Resource, ctx: Context) -> Iterable[Finding]:
        want, value = ctx.policy.get("min_backup_retention_days", 7), resource.get("backup_retention_period")
        if is_unknown(value):
            yield self.unknown(ctx, resource, "backup_retention_period", value)
        elif (as_int(value) or 0) < want:
            yield self.fail(ctx, resource, f"backups are kept {value} day(s); production needs at least {want}",
                            actual=value, expected=f">= {want}")


class PerformanceInsights(Rule):
    id = "RPY-SEC-013"
    slug = "performance-insights"
    title = "Production database instances have Performance Insights"
    family = "security"
    severity = Severity.LOW
    production_only = True
    resource_types = ("aws_rds_cluster_instance",)
    rationale = "Incidents in production need query-level evidence after the fact."
    remediation = "Set the tier's database.performance_insights: true (terraform/tiers.yaml)."

    def check(self, resource: Resource, ctx: Context) -> Iterable[Finding]:
        value = as_bool(resource.get("performance_insights_enabled"))
        if is_unknown(value):
            yield self.unknown(ctx, resource, "performance_insights_enabled", value)
        elif value is not True:
            yield self.fail(ctx, resource, "Performance Insights is off", actual=value, expected=True)


class _BucketRule(Rule):
    """A property of every S3 bucket that lives in a companion resource pointing at it."""

    family = "security"
    companion: str = ""

    def check_stack(self, ctx: Context) -> Iterable[Finding]:
        companions = ctx.of_type(self.companion)
        for bucket in ctx.of_type("aws_s3_bucket"):
            mine = ctx.referrers(bucket, "bucket", self.companion)
            unresolved = [c for c in companions if is_unknown(c.get("bucket")) and c not in mine
                          and not c.get("bucket").reason]
            if not mine and unresolved:
                yield self.unknown(ctx, bucket, f"{self.companion}.bucket", unresolved[0].get("bucket"))
                continue
            yield from self.check_bucket(bucket, mine, ctx)

    def check_bucket(self, bucket: Resource, companions: list[Resource], ctx: Context) -> Iterable[Finding]:
        return ()


class BucketEncryption(_BucketRule):
    id = "RPY-SEC-003"
    slug = "s3-encryption"
    title = "S3 buckets are encrypted with a customer KMS key"
    severity = Severity.HIGH
    companion = "aws_s3_bucket_server_side_encryption_configuration"
    rationale = "Objects (state files, logs) hold secrets and identifiers."
    remediation = "Add aws_s3_bucket_server_side_encryption_configuration with sse_algorithm aws:kms and a key."

    def check_bucket(self, bucket: Resource, companions: list[Resource], ctx: Context) -> Iterable[Finding]:
        if not companions:
            yield self.fail(ctx, bucket, "the bucket has no server-side encryption configuration",
                            actual=None, expected="aws:kms")
            return
        # ALB access-log delivery only supports SSE-S3; AWS offers no KMS option for that bucket.
        alb_logs = any(
            points_at(block.get("bucket"), lb, bucket)
            for lb in ctx.of_type("aws_lb", "aws_alb") for block in lb.blocks("access_logs")
        )
        for conf in companions:
            for rule in conf.blocks("rule"):
                for default in as_list(rule.get("apply_server_side_encryption_by_default")):
                    algorithm = default.get("sse_algorithm")
                    if is_unknown(algorithm):
                        yield self.unknown(ctx, conf, "sse_algorithm", algorithm)
                    elif algorithm == "AES256" and alb_logs:
                        continue
                    elif algorithm not in ("aws:kms", "aws:kms:dsse"):
                        yield self.fail(ctx, conf, f"sse_algorithm is {algorithm}", actual=algorithm,
                                        expected="aws:kms")
                    elif customer_key(default.get("kms_master_key_id"), conf) is False:
                        yield self.fail(ctx, conf, "aws:kms without kms_master_key_id uses the AWS-managed key",
                                        actual=None, expected="a customer-managed KMS key ARN")


class BucketPublicAccessBlock(_BucketRule):
    id = "RPY-SEC-014"
    slug = "s3-public-access-block"
    title = "S3 buckets block all public access"
    severity = Severity.CRITICAL
    companion = "aws_s3_bucket_public_access_block"
    rationale = "A bucket ACL or policy edit must never make state or logs public."
    remediation = "Add aws_s3_bucket_public_access_block with all four settings true."
    settings = ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")

    def check_bucket(self, bucket: Resource, companions: list[Resource], ctx: Context) -> Iterable[Finding]:
        if not companions:
            yield self.fail(ctx, bucket, "the bucket has no public access block", actual=None,
                            expected=dict.fromkeys(self.settings, True))
        for block in companions:
            off = [s for s in self.settings if as_bool(block.get(s)) is not True and not is_unknown(block.get(s))]
            if off:
                yield self.fail(ctx, block, f"{', '.join(off)} not true", actual=off, expected="all true")


class BucketVersioning(_BucketRule):
    id = "RPY-SEC-015"
    slug = "s3-versioning"
    title = "S3 buckets are versioned"
    severity = Severity.MEDIUM
    companion = "aws_s3_bucket_versioning"
    rationale = "Versions are the undo for an overwritten state file or a deleted log."
    remediation = 'Add aws_s3_bucket_versioning with versioning_configuration { status = "Enabled" }.'

    def check_bucket(self, bucket: Resource, companions: list[Resource], ctx: Context) -> Iterable[Finding]:
        statuses = [c.get("versioning_configuration.0.status") for c in companions]
        if any(is_unknown(s) for s in statuses):
            yield self.unknown(ctx, bucket, "versioning_configuration.status", next(s for s in statuses
                                                                                    if is_unknown(s)))
        elif "Enabled" not in statuses:
            yield self.fail(ctx, bucket, "versioning is not enabled", actual=statuses or None, expected="Enabled")


def policy_document(value: Any) -> dict[str, Any] | Unknown | None:
    """A policy as a dict: from a JSON string, a dict, or the known part of an Unknown."""
    if isinstance(value, Unknown):
        return policy_document(value.partial) if isinstance(value.partial, dict | str) and not isinstance(
            value.partial, Shape) else value
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        try:
            doc = json.loads(value)
        except json.JSONDecodeError:
            return None
        return doc if isinstance(doc, dict) else None
    return None


def statements(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in as_list(doc.get("Statement")) if isinstance(s, dict)]


class BucketTlsOnly(_BucketRule):
    id = "RPY-SEC-016"
    slug = "s3-tls-only"
    title = "S3 bucket policies deny requests without TLS"
    severity = Severity.MEDIUM
    companion = "aws_s3_bucket_policy"
    rationale = "Without the deny, a misconfigured client can read or write state over plain HTTP."
    remediation = 'Add a Deny statement for "s3:*" with Condition Bool aws:SecureTransport = "false".'

    def check_bucket(self, bucket: Resource, companions: list[Resource], ctx: Context) -> Iterable[Finding]:
        for policy in companions:
            doc = policy_document(policy.get("policy"))
            if isinstance(doc, Unknown):
                yield self.unknown(ctx, policy, "policy", doc)
                return
            for st in statements(doc or {}):
                cond = st.get("Condition") or {}
                secure = (cond.get("Bool") or {}).get("aws:SecureTransport") if isinstance(cond, dict) else None
                if st.get("Effect") == "Deny" and [str(v).lower() for v in as_list(secure)] == ["false"]:
                    return
        yield self.fail(ctx, bucket, "no bucket policy denies aws:SecureTransport = false", actual=None,
                        expected="Deny s3:* when aws:SecureTransport is false")


class EcrScanAndImmutable(Rule):
    id = "RPY-SEC-017"
    slug = "ecr-scan-immutable"
    title = "ECR scans on push and tags are immutable"
    family = "security"
    severity = Severity.MEDIUM
    resource_types = ("aws_ecr_repository",)
    rationale = "Immutable tags make a deployed tag mean one image forever; scans catch known CVEs at push."
    remediation = 'Set image_tag_mutability = "IMMUTABLE" and image_scanning_configuration { scan_on_push = true }.'

    def check(self, resource: Resource, ctx: Context) -> Iterable[Finding]:
        mutability = resource.get("image_tag_mutability", "MUTABLE")
        if not is_unknown(mutability) and mutability != "IMMUTABLE":
            yield self.fail(ctx, resource, f"image_tag_mutability is {mutability}", actual=mutability,
                            expected="IMMUTABLE")
        scan = [as_bool(b.get("scan_on_push")) for b in resource.blocks("image_scanning_configuration")]
        if not any(v is True for v in scan) and not any(is_unknown(v) for v in scan):
            yield self.fail(ctx, resource, "scan_on_push is off", actual=scan[0] if scan else None, expected=True)


class TaskPublicAddress(Rule):
    id = "RPY-SEC-023"
    slug = "task-public-address"
    title = "ECS tasks get a public IP only in a tier without NAT, never in production"
    family = "security"
    severity = Severity.HIGH
    resource_types = ("aws_ecs_service",)
    rationale = ("A task with a public address is reachable from the internet as far as its security group lets "
                 "it be. Only a tier that has no NAT gateway on purpose (network.nat_gateways: none) needs one, "
                 "and there RPY-SEC-008 keeps the task's group closed to all but the load balancer's.")
    remediation = ("Set assign_public_ip = false and run the tasks in the private subnets, or set the tier's "
                   "network.nat_gateways to none (not allowed for a production tier).")

    def check(self, resource: Resource, ctx: Context) -> Iterable[Finding]:
        for network in resource.blocks("network_configuration"):
            value = as_bool(network.get("assign_public_ip"))
            if is_unknown(value):
                yield self.unknown(ctx, resource, "assign_public_ip", value)
                continue
            if value is not True:
                continue
            if ctx.production:
                yield self.fail(ctx, resource, "assign_public_ip = true in a production tier", actual=True,
                                expected=False)
            elif ctx.tier and ctx.tier["network"]["nat_gateways"] != "none":
                yield self.fail(ctx, resource, f"assign_public_ip = true, and {ctx.env} has NAT "
                                f"({ctx.tier['network']['nat_gateways']}): its tasks need no public address",
                                actual=True, expected=False)


RULES = [
    RdsEncryption, CacheEncryption, BucketEncryption, LogGroupKms, SecretKms, EcrKms, DatabaseNotPublic, OpenIngress,
    ProdHttps, HttpRedirectsOnly, DatabaseDeletionProtection, DatabaseBackups, PerformanceInsights,
    BucketPublicAccessBlock, BucketVersioning, BucketTlsOnly, EcrScanAndImmutable, TaskPublicAddress,
]
