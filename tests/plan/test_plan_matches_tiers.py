"""Each env's real plan (terraform show -json) against its row of tiers.yaml, read side by side."""

from __future__ import annotations

from core.tiers import nat_count, node_count


def test_subnets_per_az_and_nat_count(plan):
    net = plan.tier["network"]
    assert len(plan.of_type("aws_subnet")) == 3 * net["az_count"]  # public, private, database
    assert len(plan.of_type("aws_nat_gateway")) == nat_count(net)
    assert plan.one("aws_vpc")["cidr_block"] == net["cidr"]
    assert len(plan.of_type("aws_flow_log")) == 1


def test_aurora_cluster_and_instances(plan):
    db = plan.tier["database"]
    cluster = plan.one("aws_rds_cluster")
    assert cluster["engine"] == "aurora-postgresql"
    assert cluster["engine_version"] == db["engine_version"]
    assert cluster["storage_encrypted"] is True
    assert cluster["manage_master_user_password"] is True
    assert cluster.get("master_password") is None
    assert cluster["deletion_protection"] is db["deletion_protection"]
    assert cluster["backup_retention_period"] == db["backup_retention_days"]
    instances = plan.of_type("aws_rds_cluster_instance")
    assert len(instances) == db["instances"]
    for instance in instances:
        assert instance["instance_class"] == db["instance_class"]
        assert instance["publicly_accessible"] is False
        assert instance["performance_insights_enabled"] is db["performance_insights"]


def test_redis_shape_and_encryption(plan):
    cache = plan.tier["cache"]
    group = plan.one("aws_elasticache_replication_group")
    assert group["node_type"] == cache["node_type"]
    assert group["transit_encryption_enabled"] is True
    assert str(group["at_rest_encryption_enabled"]).lower() == "true"  # a string in the provider schema
    assert group["multi_az_enabled"] is cache["multi_az"]
    assert group["automatic_failover_enabled"] is cache["multi_az"]
    if cache["cluster_mode"]:
        assert group["num_node_groups"] == cache["shards"]
        assert group["replicas_per_node_group"] == cache["replicas_per_shard"]
        assert group["num_node_groups"] * (1 + group["replicas_per_node_group"]) == node_count(cache)
    else:
        assert group["num_cache_clusters"] == node_count(cache)


def test_task_size_and_autoscaling(plan):
    svc = plan.tier["service"]
    task = plan.one("aws_ecs_task_definition")
    assert (int(task["cpu"]), int(task["memory"])) == (svc["cpu"], svc["memory"])
    assert task["requires_compatibilities"] == ["FARGATE"]
    # A new env's service waits for its first release: no task, a floor of 0 that the first deploy
    # raises to min_tasks (tests/integration/test_env_live.py follows it through).
    target = plan.one("aws_appautoscaling_target")
    assert (target["min_capacity"], target["max_capacity"]) == (0, svc["max_tasks"])
    service = plan.one("aws_ecs_service")
    assert service["desired_count"] == 0
    assert service["deployment_circuit_breaker"] == [{"enable": True, "rollback": True}]


def test_log_retention_everywhere(plan):
    groups = plan.of_type("aws_cloudwatch_log_group")
    assert groups, "no log groups planned"
    assert {g["retention_in_days"] for g in groups} == {plan.tier["logs"]["retention_days"]}


def test_listeners_follow_the_tier(plan):
    listeners = {lst["port"]: lst for lst in plan.of_type("aws_lb_listener")}
    http = listeners[80]
    if plan.tier["load_balancer"]["https"]:
        assert set(listeners) == {80, 443}
        assert listeners[443]["protocol"] == "HTTPS"
        assert listeners[443]["ssl_policy"].startswith("ELBSecurityPolicy-TLS13-1-2")
        assert [a["type"] for a in http["default_action"]] == ["redirect"]
        assert http["default_action"][0]["redirect"][0]["protocol"] == "HTTPS"
    else:
        assert set(listeners) == {80}
        assert [a["type"] for a in http["default_action"]] == ["forward"]


def test_kms_key_rotation_and_region_scope(plan):
    keys = plan.of_type("aws_kms_key")
    assert keys
    for key in keys:
        assert key["enable_key_rotation"] is True
    assert any(k["multi_region"] is plan.tier["security"]["kms_multi_region"] for k in keys)


def test_feature_flags_profile_is_validated_encrypted_and_deployed_with_the_tiers_strategy(plan, project):
    import json

    from infra.delivery.flags import schema_path

    profile = plan.one("aws_appconfig_configuration_profile")
    assert profile["location_uri"] == "hosted" and profile["type"] == "AWS.Freeform"
    (validator,) = profile["validator"]
    # The very file `infra flags` validates with, so the two can never disagree.
    assert json.loads(validator["content"]) == json.loads(schema_path(project.terraform_dir).read_text())
    assert plan.one("aws_appconfig_environment")["name"] == plan.env
    strategy = plan.data["output_changes"]["platform"]["after"]["flags_deployment_strategy_id"]
    assert strategy == plan.tier["feature_flags"]["deployment_strategy"]
