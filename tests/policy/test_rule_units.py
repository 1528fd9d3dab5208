"""Rule unit tests in the style of checkov's check tests: resources built directly, one passing and
one failing case per rule, no Terraform and no emulator. The tier values come from tiers.yaml, so a
change of a tier moves the cases with it. (The whole-tree breaks stay in test_broken_envs.py.)"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from core.project import Project
from core.tiers import nat_count
from policy import engine
from policy.model import Resource, Source
from policy.rules.cost import Budget
from policy.rules.iam import IamEscalation, IamWildcards, KmsKeyPrincipals, OidcTrust, ResourcePolicyExposure
from policy.rules.security import (
    BucketEncryption,
    BucketPublicAccessBlock,
    BucketTlsOnly,
    BucketVersioning,
    CacheEncryption,
    DatabaseBackups,
    DatabaseDeletionProtection,
    DatabaseNotPublic,
    EcrKms,
    EcrScanAndImmutable,
    HttpRedirectsOnly,
    LogGroupKms,
    OpenIngress,
    PerformanceInsights,
    ProdHttps,
    RdsEncryption,
    SecretKms,
    TaskPublicAddress,
)
from policy.rules.sizing import (
    AuroraClassForTier,
    AuroraClassOffered,
    AuroraInstanceCount,
    AuroraServerlessRange,
    AutoscalingRange,
    CacheNodeType,
    CacheTopology,
    ClassCostGuard,
    FargatePair,
    FargateTierSize,
    LogRetention,
    NatGateways,
    ServiceScaledInTierRange,
)

TIERS = Project.discover().tiers
ALLOWED_TLS = TIERS["policy"]["tls_policies"][0]
KEY = "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-1111-2222-3333-444455556666"


def res(rtype: str, label: str, env: str, module: str = "module.platform", **values) -> Resource:
    return Resource(f"{module}.{rtype}.{label}", rtype, values, env, Source.PLAN)


def failures(rule, resources: list[Resource], env: str) -> list[str]:
    found = engine.evaluate(resources, env, TIERS, Source.PLAN, rules=[rule])
    assert all(f.rule == rule.id for f in found)
    return [f.message for f in found if f.status == "fail"]


# --- RPY-SEC-005: Secrets Manager secrets use a customer KMS key -----------------------------------

def test_secret_with_the_envs_key_passes():
    assert failures(SecretKms, [res("aws_secretsmanager_secret", "db", "dev", kms_key_id=KEY)], "dev") == []


@pytest.mark.parametrize("key", [None, "", "arn:aws:kms:us-east-1:123456789012:alias/aws/secretsmanager"])
def test_secret_without_a_customer_key_fails(key):
    (message,) = failures(SecretKms, [res("aws_secretsmanager_secret", "db", "dev", kms_key_id=key)], "dev")
    assert "customer-managed KMS key" in message


# --- RPY-SEC-006: ECR repositories use a customer KMS key -------------------------------------------

def test_ecr_with_kms_and_the_envs_key_passes():
    repo = res("aws_ecr_repository", "app", "dev",
               encryption_configuration=[{"encryption_type": "KMS", "kms_key": KEY}])
    assert failures(EcrKms, [repo], "dev") == []


@pytest.mark.parametrize(("encryption", "needle"), [
    (None, "encryption_type is AES256"),  # no block: ECR's default
    ([{"encryption_type": "AES256"}], "encryption_type is AES256"),
    ([{"encryption_type": "KMS", "kms_key": ""}], "AWS-managed key"),
])
def test_ecr_without_a_customer_key_fails(encryption, needle):
    (message,) = failures(EcrKms, [res("aws_ecr_repository", "app", "dev", encryption_configuration=encryption)],
                          "dev")
    assert needle in message


# --- RPY-SEC-009: production serves HTTPS with a TLS 1.2+ policy ------------------------------------

def _alb(env: str, *listeners: dict) -> list[Resource]:
    return [res("aws_lb", "this", env), *(res("aws_lb_listener", f"l{i}", env, **values)
                                          for i, values in enumerate(listeners))]


def test_prod_https_on_443_with_an_allowed_policy_passes():
    https = {"protocol": "HTTPS", "port": 443, "ssl_policy": ALLOWED_TLS}
    stack = _alb("prod", https, {"protocol": "HTTP", "port": 80})
    assert failures(ProdHttps, stack, "prod") == []


@pytest.mark.parametrize(("listeners", "needle"), [
    ([{"protocol": "HTTP", "port": 80}], "no HTTPS listener"),
    ([{"protocol": "HTTPS", "port": 443, "ssl_policy": "ELBSecurityPolicy-2016-08"}], "older than TLS 1.2"),
    ([{"protocol": "HTTPS", "port": 8443, "ssl_policy": ALLOWED_TLS}], "HTTPS listens on 8443"),
])
def test_prod_without_proper_https_fails(listeners, needle):
    assert any(needle in m for m in failures(ProdHttps, _alb("prod", *listeners), "prod"))


def test_https_is_not_required_outside_production():
    assert failures(ProdHttps, _alb("dev", {"protocol": "HTTP", "port": 80}), "dev") == []


# --- RPY-SEC-011: the production database has deletion protection -----------------------------------

def test_prod_cluster_with_deletion_protection_passes():
    assert failures(DatabaseDeletionProtection, [res("aws_rds_cluster", "this", "prod", deletion_protection=True)],
                    "prod") == []


@pytest.mark.parametrize("value", [False, None])
def test_prod_cluster_without_deletion_protection_fails(value):
    cluster = res("aws_rds_cluster", "this", "prod", deletion_protection=value)
    assert failures(DatabaseDeletionProtection, [cluster], "prod") == ["deletion_protection is off"]


def test_deletion_protection_is_not_required_outside_production():
    assert failures(DatabaseDeletionProtection, [res("aws_rds_cluster", "this", "dev", deletion_protection=False)],
                    "dev") == []


# --- RPY-SIZ-003: the Aurora cluster has the tier's instance count ----------------------------------

def _cluster(env: str, instances: int) -> list[Resource]:
    module = "module.platform.module.database"
    return [res("aws_rds_cluster", "this", env, module),
            *(res("aws_rds_cluster_instance", f"this[{i}]", env, module) for i in range(instances))]


@pytest.mark.parametrize("env", sorted(TIERS["tiers"]))
def test_the_tiers_instance_count_passes_and_one_less_fails(env):
    want = TIERS["tiers"][env]["database"]["instances"]
    assert failures(AuroraInstanceCount, _cluster(env, want), env) == []
    (message,) = failures(AuroraInstanceCount, _cluster(env, want - 1), env)
    assert f"needs {want} Aurora instance(s)" in message and f"found {want - 1}" in message


# --- RPY-SIZ-005: the Redis group has the tier's shape -------------------------------------------------

def _group(env: str, cache: dict, nodes: int | None = None, multi_az: bool | None = None) -> Resource:
    nodes = cache["shards"] * (1 + cache["replicas_per_shard"]) if nodes is None else nodes
    multi_az = cache["multi_az"] if multi_az is None else multi_az
    if cache["cluster_mode"]:
        shape = {"num_node_groups": cache["shards"], "replicas_per_node_group": nodes // cache["shards"] - 1}
    else:
        shape = {"num_cache_clusters": nodes}
    return res("aws_elasticache_replication_group", "this", env, **shape, multi_az_enabled=multi_az)


@pytest.mark.parametrize("env", sorted(TIERS["tiers"]))
def test_the_tiers_cache_shape_passes_and_each_change_fails(env):
    cache = TIERS["tiers"][env]["cache"]
    assert failures(CacheTopology, [_group(env, cache)], env) == []
    want = cache["shards"] * (1 + cache["replicas_per_shard"])
    more = want + cache["shards"]  # one more replica per shard
    assert any(f"wants {want} cache node(s)" in m for m in failures(CacheTopology, [_group(env, cache, more)], env))
    flipped = failures(CacheTopology, [_group(env, cache, multi_az=not cache["multi_az"])], env)
    assert flipped == [f"{env} wants multi_az_enabled = {str(cache['multi_az']).lower()}"]


# --- RPY-SIZ-001 / 002: the Aurora class exists, and is the tier's --------------------------------------

def _instance(env: str, cls: str) -> Resource:
    return res("aws_rds_cluster_instance", "this[0]", env, engine="aurora-postgresql", instance_class=cls)


@pytest.mark.parametrize("env", sorted(TIERS["tiers"]))
def test_the_tiers_aurora_class_passes_both_rules(env):
    cls = TIERS["tiers"][env]["database"]["instance_class"]
    assert failures(AuroraClassOffered, [_instance(env, cls)], env) == []
    assert failures(AuroraClassForTier, [_instance(env, cls)], env) == []


def test_a_class_aurora_does_not_offer_fails_with_the_nearest():
    (message,) = failures(AuroraClassOffered, [_instance("dev", "db.t3.mediun")], "dev")
    assert message.startswith("Aurora PostgreSQL does not offer db.t3.mediun; the nearest class it offers is db.")


def test_another_tiers_class_fails_for_this_tier():
    prod_class = TIERS["tiers"]["prod"]["database"]["instance_class"]
    assert prod_class not in TIERS["tiers"]["dev"]["database"]["allowed_instance_classes"]
    (message,) = failures(AuroraClassForTier, [_instance("dev", prod_class)], "dev")
    assert f"not {prod_class}" in message


# --- RPY-SIZ-006 / 007: a Fargate pair, and the tier's task size ---------------------------------------

def _task(env: str, cpu, memory) -> Resource:
    return res("aws_ecs_task_definition", "this", env, requires_compatibilities=["FARGATE"], cpu=str(cpu),
               memory=str(memory))


@pytest.mark.parametrize("env", sorted(TIERS["tiers"]))
def test_the_tiers_task_size_passes_both_rules(env):
    svc = TIERS["tiers"][env]["service"]
    assert failures(FargatePair, [_task(env, svc["cpu"], svc["memory"])], env) == []
    assert failures(FargateTierSize, [_task(env, svc["cpu"], svc["memory"])], env) == []


def test_a_pair_fargate_does_not_offer_fails_with_the_allowed_memory():
    (message,) = failures(FargatePair, [_task("dev", 256, 4096)], "dev")
    assert message.startswith("Fargate has no 256 cpu / 4096 MiB pair: cpu 256 allows memory 512")


def test_a_task_size_other_than_the_tiers_fails_per_attribute():
    svc = TIERS["tiers"]["dev"]["service"]
    found = failures(FargateTierSize, [_task("dev", svc["cpu"] * 2, svc["memory"])], "dev")
    assert found == [f"dev task cpu must be {svc['cpu']}, found {svc['cpu'] * 2}"]


# --- RPY-SIZ-008 / 012: the service scales in the tier's range ------------------------------------------

def _service(env: str, desired: int, *, target: tuple[int, int] | None) -> list[Resource]:
    module = "module.platform.module.service"
    found = [res("aws_ecs_service", "this", env, module, name="rupaya-app", desired_count=desired)]
    if target is not None:
        found.append(res("aws_appautoscaling_target", "this", env, module, resource_id="service/c/rupaya-app",
                         scalable_dimension="ecs:service:DesiredCount", min_capacity=target[0],
                         max_capacity=target[1]))
    return found


@pytest.mark.parametrize("env", sorted(TIERS["tiers"]))
def test_the_tiers_range_passes_and_a_wider_one_fails(env):
    svc = TIERS["tiers"][env]["service"]
    low, high = svc["min_tasks"], svc["max_tasks"]
    assert failures(AutoscalingRange, _service(env, low, target=(low, high)), env) == []
    (message,) = failures(AutoscalingRange, _service(env, low, target=(low, high + 5)), env)
    assert message.endswith(f"max_capacity is {high + 5}")


def test_a_floor_of_zero_passes_only_while_the_service_waits_for_its_first_release():
    high = TIERS["tiers"]["dev"]["service"]["max_tasks"]
    assert failures(AutoscalingRange, _service("dev", 0, target=(0, high)), "dev") == []
    (message,) = failures(AutoscalingRange, _service("dev", 2, target=(0, high)), "dev")
    assert message.endswith("min_capacity is 0")


def test_a_service_without_a_scaling_target_fails_and_one_with_passes():
    svc = TIERS["tiers"]["dev"]["service"]
    assert failures(ServiceScaledInTierRange, _service("dev", 1, target=(svc["min_tasks"], svc["max_tasks"])),
                    "dev") == []
    (message,) = failures(ServiceScaledInTierRange, _service("dev", 1, target=None), "dev")
    assert message.startswith("no autoscaling target scales this service: it runs a fixed 1 task(s)")


# --- RPY-SIZ-009: log retention is the tier's -----------------------------------------------------------

@pytest.mark.parametrize("env", sorted(TIERS["tiers"]))
def test_the_tiers_retention_passes_and_forever_fails(env):
    days = TIERS["tiers"][env]["logs"]["retention_days"]
    assert failures(LogRetention, [res("aws_cloudwatch_log_group", "app", env, retention_in_days=days)], env) == []
    (message,) = failures(LogRetention, [res("aws_cloudwatch_log_group", "app", env, retention_in_days=0)], env)
    assert message == f"{env} keeps logs {days} days; this log group keeps them forever"


# --- RPY-SEC-001 / 002 / 004: customer keys on databases, caches and log groups -------------------------

def test_encrypted_stores_with_the_envs_key_pass():
    assert failures(RdsEncryption, [res("aws_rds_cluster", "this", "dev", storage_encrypted=True,
                                        kms_key_id=KEY)], "dev") == []
    assert failures(CacheEncryption, [res("aws_elasticache_replication_group", "this", "dev", kms_key_id=KEY,
                                          at_rest_encryption_enabled=True, transit_encryption_enabled=True)],
                    "dev") == []
    assert failures(LogGroupKms, [res("aws_cloudwatch_log_group", "app", "dev", kms_key_id=KEY)], "dev") == []


def test_unencrypted_stores_fail_per_missing_setting():
    assert failures(RdsEncryption, [res("aws_rds_cluster", "this", "dev", storage_encrypted=False,
                                        kms_key_id=KEY)], "dev") == ["storage_encrypted is false; it must be true"]
    found = failures(CacheEncryption, [res("aws_elasticache_replication_group", "this", "dev", kms_key_id=None,
                                           at_rest_encryption_enabled=True, transit_encryption_enabled=False)], "dev")
    assert found[0] == "transit_encryption_enabled is false; it must be true" and "not set" in found[1]
    (message,) = failures(LogGroupKms, [res("aws_cloudwatch_log_group", "app", "dev")], "dev")
    assert message.startswith("kms_key_id is not set")


# --- RPY-SEC-007: databases are not public --------------------------------------------------------------

def test_a_private_database_passes_and_a_public_one_fails():
    assert failures(DatabaseNotPublic, [res("aws_rds_cluster_instance", "i", "dev", publicly_accessible=False)],
                    "dev") == []
    assert failures(DatabaseNotPublic, [res("aws_db_instance", "i", "dev", publicly_accessible=True)],
                    "dev") == ["publicly_accessible = true"]


# --- RPY-SEC-010: production's HTTP listener only redirects ---------------------------------------------

def _http(env: str, action: dict) -> Resource:
    return res("aws_lb_listener", "http", env, protocol="HTTP", port=80, default_action=[action])


def test_prod_http_redirecting_to_https_passes_and_forwarding_fails():
    redirect = {"type": "redirect", "redirect": [{"protocol": "HTTPS", "port": "443", "status_code": "HTTP_301"}]}
    assert failures(HttpRedirectsOnly, [_http("prod", redirect)], "prod") == []
    (message,) = failures(HttpRedirectsOnly, [_http("prod", {"type": "forward"})], "prod")
    assert message == "the HTTP listener's default action is ['forward'], not a redirect to HTTPS"
    assert failures(HttpRedirectsOnly, [_http("dev", {"type": "forward"})], "dev") == []


# --- RPY-SEC-012 / 013: production database backups and Performance Insights ----------------------------

def test_prod_backups_at_the_policy_minimum_pass_and_fewer_fail():
    want = TIERS["policy"]["min_backup_retention_days"]
    assert failures(DatabaseBackups, [res("aws_rds_cluster", "this", "prod", backup_retention_period=want)],
                    "prod") == []
    (message,) = failures(DatabaseBackups, [res("aws_rds_cluster", "this", "prod",
                                                backup_retention_period=want - 1)], "prod")
    assert message == f"backups are kept {want - 1} day(s); production needs at least {want}"


def test_prod_instances_need_performance_insights():
    on = res("aws_rds_cluster_instance", "i", "prod", performance_insights_enabled=True)
    off = res("aws_rds_cluster_instance", "i", "prod", performance_insights_enabled=False)
    assert failures(PerformanceInsights, [on], "prod") == []
    assert failures(PerformanceInsights, [off], "prod") == ["Performance Insights is off"]


# --- RPY-SEC-017: ECR tags are immutable and images scanned on push -------------------------------------

def test_immutable_scanned_repository_passes_and_the_defaults_fail():
    good = res("aws_ecr_repository", "app", "dev", image_tag_mutability="IMMUTABLE",
               image_scanning_configuration=[{"scan_on_push": True}])
    assert failures(EcrScanAndImmutable, [good], "dev") == []
    assert failures(EcrScanAndImmutable, [res("aws_ecr_repository", "app", "dev")], "dev") == [
        "image_tag_mutability is MUTABLE", "scan_on_push is off"]


# --- RPY-SIZ-004 / 010: the cache node type, and classes kept apart between tiers ------------------------

def _cache(env: str, node_type: str) -> Resource:
    return res("aws_elasticache_replication_group", "this", env, node_type=node_type)


@pytest.mark.parametrize("env", sorted(TIERS["tiers"]))
def test_the_tiers_node_type_passes_both_rules(env):
    node = TIERS["tiers"][env]["cache"]["node_type"]
    assert failures(CacheNodeType, [_cache(env, node)], env) == []
    assert failures(ClassCostGuard, [_cache(env, node)], env) == []


def test_an_unknown_node_type_and_another_tiers_fail():
    assert failures(CacheNodeType, [_cache("dev", "cache.t3.nano")], "dev") == [
        "ElastiCache has no node type cache.t3.nano"]
    prod_node = TIERS["tiers"]["prod"]["cache"]["node_type"]
    assert any(f"not {prod_node}" in m for m in failures(CacheNodeType, [_cache("dev", prod_node)], "dev"))
    (message,) = failures(ClassCostGuard, [_cache("dev", prod_node)], "dev")
    assert "dev must stay smaller" in message


def test_a_burstable_class_fails_in_production():
    (message,) = failures(ClassCostGuard, [_instance("prod", "db.t3.medium")], "prod")
    assert message == "db.t3.medium is a burstable class; production tiers need steady performance"


# --- RPY-SIZ-011: NAT gateways, one or one per AZ ---------------------------------------------------------

@pytest.mark.parametrize("env", sorted(TIERS["tiers"]))
def test_the_tiers_nat_count_passes_and_one_more_fails(env):
    net = TIERS["tiers"][env]["network"]
    want = nat_count(net)
    nats = [res("aws_nat_gateway", f"this[{i}]", env) for i in range(want + 1)]
    assert failures(NatGateways, nats[:want], env) == []
    (message,) = failures(NatGateways, nats, env)
    assert message == f"{env} wants {want} NAT gateway(s) ({net['nat_gateways']}), found {want + 1}"


# --- RPY-SIZ-013: Aurora Serverless v2 in the tier's range, on a version that allows it ------------------

def serverless_cluster(env: str, version: str = "16.6", **scaling) -> list[Resource]:
    blocks = [scaling] if scaling else None
    return [
        res("aws_rds_cluster", "this", env, module="module.platform.module.database", engine="aurora-postgresql",
            engine_version=version, serverlessv2_scaling_configuration=blocks),
        res("aws_rds_cluster_instance", "this[0]", env, module="module.platform.module.database",
            instance_class="db.serverless", engine="aurora-postgresql"),
    ]


@pytest.mark.parametrize("env", ["dev", "staging"])
def test_the_tiers_serverless_range_passes(env):
    want = TIERS["tiers"][env]["database"]["serverless"]
    stack = serverless_cluster(env, min_capacity=want["min_acu"], max_capacity=want["max_acu"],
                               seconds_until_auto_pause=want["seconds_until_auto_pause"])
    assert failures(AuroraServerlessRange, stack, env) == []


def test_db_serverless_without_a_scaling_range_fails():
    (message,) = failures(AuroraServerlessRange, serverless_cluster("dev"), "dev")
    assert "no serverlessv2_scaling_configuration" in message


@pytest.mark.parametrize(("version", "refused"), [
    ("13.14", True), ("13.15", False), ("14.11", True), ("14.12", False), ("15.6", True), ("15.7", False),
    ("16.2", True), ("16.3", False), ("16.6", False), ("17.4", False),
])
def test_a_minimum_of_zero_acus_needs_the_versions_aws_names(version, refused):
    want = TIERS["tiers"]["dev"]["database"]["serverless"]
    stack = serverless_cluster("dev", version, min_capacity=0, max_capacity=want["max_acu"],
                               seconds_until_auto_pause=want["seconds_until_auto_pause"])
    messages = failures(AuroraServerlessRange, stack, "dev")
    assert any(f"runs {version}, where AWS refuses it" in m for m in messages) is refused, messages


@pytest.mark.parametrize(("scaling", "said"), [
    ({"min_capacity": 0.5, "max_capacity": 2}, "between 0 and 2 ACUs; this cluster between 0.5 and 2"),
    ({"min_capacity": 0, "max_capacity": 16}, "between 0 and 2 ACUs; this cluster between 0 and 16"),
    ({"min_capacity": 0, "max_capacity": 2, "seconds_until_auto_pause": 86400}, "pauses Aurora after 900 s idle"),
])
def test_a_range_or_pause_other_than_the_tiers_fails(scaling, said):
    assert TIERS["tiers"]["dev"]["database"]["serverless"] == {"min_acu": 0, "max_acu": 2,
                                                                "seconds_until_auto_pause": 900}
    messages = failures(AuroraServerlessRange, serverless_cluster("dev", **scaling), "dev")
    assert any(said in m for m in messages), messages


# --- RPY-SEC-023: a task gets a public IP only in a tier without NAT, never in production ---------------

def _networked_service(env: str, public: object) -> Resource:
    return res("aws_ecs_service", "this", env, module="module.platform.module.service",
               network_configuration=[{"assign_public_ip": public, "subnets": ["subnet-1"]}])


@pytest.mark.parametrize("env", sorted(TIERS["tiers"]))
def test_a_private_task_passes_everywhere(env):
    assert failures(TaskPublicAddress, [_networked_service(env, False)], env) == []


@pytest.mark.parametrize("env", sorted(TIERS["tiers"]))
def test_a_public_task_passes_only_where_the_tier_has_no_nat_and_is_not_production(env):
    tier = TIERS["tiers"][env]
    messages = failures(TaskPublicAddress, [_networked_service(env, True)], env)
    if tier["network"]["nat_gateways"] == "none" and env not in TIERS["policy"]["production_tiers"]:
        assert messages == []
    else:
        (message,) = messages
        assert message.startswith("assign_public_ip = true")


def test_a_public_task_in_production_fails_even_without_nat():
    tiers = copy.deepcopy(TIERS)
    tiers["tiers"]["prod"]["network"]["nat_gateways"] = "none"
    found = engine.evaluate([_networked_service("prod", "true")], "prod", tiers, Source.PLAN, rules=[TaskPublicAddress])
    assert [f.message for f in found if f.status == "fail"] == ["assign_public_ip = true in a production tier"]


# --- RPY-SEC-008: no ingress from the internet but 80/443 on a load balancer ------------------------------

def _ingress(port: int, cidr: str) -> Resource:
    return res("aws_vpc_security_group_ingress_rule", "in", "dev", security_group_id="sg-0db", cidr_ipv4=cidr,
               ip_protocol="tcp", from_port=port, to_port=port)


def test_ingress_from_a_private_range_passes_and_the_internet_on_postgres_fails():
    group = res("aws_security_group", "db", "dev", id="sg-0db", ingress=[])
    assert failures(OpenIngress, [group, _ingress(5432, "10.0.0.0/16")], "dev") == []
    (message,) = failures(OpenIngress, [group, _ingress(5432, "0.0.0.0/0")], "dev")
    assert message.startswith("ingress from 0.0.0.0/0 on port 5432: only ports")


# --- RPY-SEC-003 / 014 / 015 / 016: every bucket's companions --------------------------------------------

def _bucket_with(*companions: tuple[str, dict]) -> list[Resource]:
    bucket = res("aws_s3_bucket", "logs", "dev", bucket="rupaya-dev-logs", id="rupaya-dev-logs")
    return [bucket, *(res(rtype, "logs", "dev", bucket="rupaya-dev-logs", **values) for rtype, values in companions)]


SSE = ("aws_s3_bucket_server_side_encryption_configuration", {"rule": [
    {"apply_server_side_encryption_by_default": [{"sse_algorithm": "aws:kms", "kms_master_key_id": KEY}]}]})
BLOCK = ("aws_s3_bucket_public_access_block", dict.fromkeys(
    ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"), True))
VERSIONING = ("aws_s3_bucket_versioning", {"versioning_configuration": [{"status": "Enabled"}]})
TLS_ONLY = ("aws_s3_bucket_policy", {"policy": json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
    "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})})


def test_a_bucket_with_all_its_companions_passes_every_bucket_rule():
    stack = _bucket_with(SSE, BLOCK, VERSIONING, TLS_ONLY)
    for rule in (BucketEncryption, BucketPublicAccessBlock, BucketVersioning, BucketTlsOnly):
        assert failures(rule, stack, "dev") == [], rule.id


def test_a_bare_bucket_fails_every_bucket_rule():
    bare = _bucket_with()
    assert failures(BucketEncryption, bare, "dev") == ["the bucket has no server-side encryption configuration"]
    assert failures(BucketPublicAccessBlock, bare, "dev") == ["the bucket has no public access block"]
    assert failures(BucketVersioning, bare, "dev") == ["versioning is not enabled"]
    assert failures(BucketTlsOnly, bare, "dev") == ["no bucket policy denies aws:SecureTransport = false"]


def test_weak_bucket_companions_fail():
    sse_s3 = (SSE[0], {"rule": [{"apply_server_side_encryption_by_default": [{"sse_algorithm": "AES256"}]}]})
    assert failures(BucketEncryption, _bucket_with(sse_s3), "dev") == ["sse_algorithm is AES256"]
    half_open = (BLOCK[0], {**BLOCK[1], "restrict_public_buckets": False})
    assert failures(BucketPublicAccessBlock, _bucket_with(half_open), "dev") == ["restrict_public_buckets not true"]
    suspended = (VERSIONING[0], {"versioning_configuration": [{"status": "Suspended"}]})
    assert failures(BucketVersioning, _bucket_with(suspended), "dev") == ["versioning is not enabled"]


# --- IAM rules (RPY-SEC-018..022): policy documents given as the JSON text a plan carries ----------

ROLE_ARN = "arn:aws:iam::123456789012:role/rupaya-prod-deploy"
OIDC = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"


def doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", **extra) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


# RPY-SEC-018: no *:* and no write action on every resource

def test_iam_policy_naming_actions_on_arns_passes():
    policy = res("aws_iam_role_policy", "task", "dev",
                 policy=doc(allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::rupaya-dev-logs/*")))
    assert failures(IamWildcards, [policy], "dev") == []


def test_iam_policy_reading_on_every_resource_passes():
    # Describe calls support no resource-level permission: Resource "*" is how AWS wants them.
    policy = res("aws_iam_role_policy", "task", "dev", policy=doc(allow(["ecs:DescribeServices", "ec2:DescribeVpcs"])))
    assert failures(IamWildcards, [policy], "dev") == []


@pytest.mark.parametrize(("statement", "said"), [
    (allow("*"), "allows every action"),
    (allow("s3:PutObject"), "write actions on every resource: s3:PutObject"),
    ({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}, "NotAction"),
])
def test_iam_policy_with_a_wildcard_grant_fails(statement, said):
    policy = res("aws_iam_role_policy", "task", "dev", policy=doc(statement))
    assert any(said in m for m in failures(IamWildcards, [policy], "dev"))


def test_role_attaching_administrator_access_fails():
    attachment = res("aws_iam_role_policy_attachment", "admin", "dev",
                     policy_arn="arn:aws:iam::aws:policy/AdministratorAccess", role="rupaya-dev-task")
    (message,) = failures(IamWildcards, [attachment], "dev")
    assert "AdministratorAccess" in message


# RPY-SEC-020: no role can widen its own permissions, and no role trusts the whole account

def test_policy_without_an_escalation_path_passes():
    policy = res("aws_iam_policy", "reader", "dev", name="reader",
                 policy=doc(allow(["s3:GetObject"], "arn:aws:s3:::rupaya-dev-logs/*")))
    assert failures(IamEscalation, [policy], "dev") == []


def test_policy_that_can_rewrite_role_policies_fails():
    policy = res("aws_iam_policy", "writer", "dev", name="writer", policy=doc(allow(["iam:PutRolePolicy"])))
    (message,) = failures(IamEscalation, [policy], "dev")
    assert "escalation path" in message


def test_role_trusting_a_named_role_passes():
    trust = doc({"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": ROLE_ARN}})
    role = res("aws_iam_role", "ops", "dev", name="rupaya-dev-ops", assume_role_policy=trust)
    assert failures(IamEscalation, [role], "dev") == []


def test_role_trusting_the_account_root_without_a_condition_fails():
    trust = doc({"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}})
    role = res("aws_iam_role", "ops", "dev", name="rupaya-dev-ops", assume_role_policy=trust)
    (message,) = failures(IamEscalation, [role], "dev")
    assert "admits arn:aws:iam::123456789012:root with no condition" in message


# RPY-SEC-021: resource policies expose nothing to the internet

def test_bucket_policy_narrowed_to_the_account_passes():
    statement = allow("s3:GetObject", "arn:aws:s3:::rupaya-dev-logs/*", Principal="*",
                      Condition={"StringEquals": {"aws:PrincipalAccount": "123456789012"}})
    policy = res("aws_s3_bucket_policy", "logs", "dev", bucket="rupaya-dev-logs", policy=doc(statement))
    assert failures(ResourcePolicyExposure, [policy], "dev") == []


def test_bucket_policy_open_to_everyone_fails():
    statement = allow("s3:GetObject", "arn:aws:s3:::rupaya-dev-logs/*", Principal="*")
    policy = res("aws_s3_bucket_policy", "logs", "dev", bucket="rupaya-dev-logs", policy=doc(statement))
    (message,) = failures(ResourcePolicyExposure, [policy], "dev")
    assert "anyone on the internet" in message and "s3:GetObject" in message


# RPY-SEC-022: KMS key policies name who administers and who uses each key

def test_key_policy_with_named_administrator_and_users_passes():
    policy = doc(
        allow(["kms:PutKeyPolicy", "kms:DescribeKey"], Principal={"AWS": ROLE_ARN}),
        allow(["kms:Decrypt", "kms:GenerateDataKey"],
              Principal={"AWS": "arn:aws:iam::123456789012:role/rupaya-dev-task"}),
    )
    assert failures(KmsKeyPrincipals, [res("aws_kms_key", "main", "dev", policy=policy)], "dev") == []


def test_key_policy_delegating_to_the_account_root_fails():
    policy = doc(allow("kms:*", Principal={"AWS": "arn:aws:iam::123456789012:root"}))
    messages = failures(KmsKeyPrincipals, [res("aws_kms_key", "main", "dev", policy=policy)], "dev")
    assert any("lets arn:aws:iam::123456789012:root use the key" in m for m in messages)
    assert any("no named principal may administer the key" in m for m in messages)


def test_key_without_a_policy_fails():
    (message,) = failures(KmsKeyPrincipals, [res("aws_kms_key", "main", "dev", policy=None)], "dev")
    assert "no key policy" in message


# RPY-SEC-019: GitHub OIDC roles only from their protected refs

def oidc_role(env: str, sub: str, aud: str = "sts.amazonaws.com") -> Resource:
    trust = doc({
        "Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity", "Principal": {"Federated": OIDC},
        "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": aud},
                      "StringLike": {"token.actions.githubusercontent.com:sub": sub}},
    })
    return res("aws_iam_role", "deploy", "bootstrap", module="module.oidc", name=f"rupaya-deploy-{env}",
               assume_role_policy=trust)


PROD_REF = TIERS["tiers"]["prod"]["delivery"]["branches"][0]


def pinned_sub(env: str, ref: str) -> str:
    workflow = "rupaya/rupaya/.github/workflows/deploy-pipeline.yml"
    return f"repo:rupaya/rupaya:environment:{env}:ref:refs/heads/{ref}:job_workflow_ref:{workflow}@refs/heads/{ref}"


def test_prod_role_pinned_to_its_protected_ref_in_ref_and_workflow_passes():
    assert failures(OidcTrust, [oidc_role("prod", pinned_sub("prod", PROD_REF))], "bootstrap") == []


@pytest.mark.parametrize(("sub", "said"), [
    ("repo:rupaya/rupaya:environment:prod", "pins no job_workflow_ref"),
    (pinned_sub("prod", "*"), "admits refs outside prod's delivery refs"),
    ("repo:rupaya/*:environment:prod", "is not one repository's claim"),
])
def test_prod_role_reachable_from_other_refs_fails(sub, said):
    messages = failures(OidcTrust, [oidc_role("prod", sub)], "bootstrap")
    assert any(said in m for m in messages), messages


def test_oidc_role_with_another_audience_fails():
    messages = failures(OidcTrust, [oidc_role("prod", pinned_sub("prod", PROD_REF), aud="example.com")], "bootstrap")
    assert any("aud is ['example.com']" in m for m in messages), messages


# --- RPY-COST-001: the estimate stays within the tier's budget -------------------------------------

def dev_stack(instance_class: str) -> list[Resource]:
    return [
        res("aws_rds_cluster", "main", "dev", engine="aurora-postgresql", cluster_identifier="rupaya-dev"),
        res("aws_rds_cluster_instance", "main", "dev", instance_class=instance_class, engine="aurora-postgresql",
            cluster_identifier="rupaya-dev"),
    ]


def test_a_stack_within_the_budget_passes():
    budget = TIERS["tiers"]["dev"]["budget_usd_month"]["max"]
    found = engine.evaluate(dev_stack("db.t4g.medium"), "dev", TIERS, Source.PLAN, rules=[Budget])
    assert [f for f in found if f.status == "fail"] == [], (budget, [f.message for f in found])


def test_a_stack_over_the_budget_fails():
    (message,) = failures(Budget, dev_stack("db.r6g.2xlarge"), "dev")
    assert "over the budget" in message and "at the autoscaling minimum" in message


def test_a_stack_over_the_budget_only_at_full_scale_out_fails_there():
    module = "module.platform.module.service"
    service = res("aws_ecs_service", "app", "dev", module=module, name="app", launch_type="FARGATE",
                  desired_count=0, task_definition="app")
    # $18.02 a task a month (0.5 vCPU / 1 GB x86): the database and one task fit $75, two do not.
    task = res("aws_ecs_task_definition", "app", "dev", module=module, family="app", cpu="512", memory="1024",
               requires_compatibilities=["FARGATE"])
    scaling = res("aws_appautoscaling_target", "app", "dev", module=module, service_namespace="ecs",
                  min_capacity=1, max_capacity=2, scalable_dimension="ecs:service:DesiredCount")
    (message,) = failures(Budget, [*dev_stack("db.t4g.medium"), service, task, scaling], "dev")
    assert "over the budget $50-$75 at full scale-out" in message


def test_every_rule_has_unit_tests_here():
    """Each rule class is exercised in this file (imported and called in a case above)."""
    from policy.rules import ALL_RULES

    source = Path(__file__).read_text()
    untested = [r.id for r in ALL_RULES if source.count(r.__name__) < 3]  # the import and two cases at least
    assert untested == []
