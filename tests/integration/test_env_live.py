"""Each env applied to the emulator and checked live through boto3, not through Terraform's view.

Expected values come from terraform/tiers.yaml, the same table the roots are sized from. The tests
of one env share one apply (the session's `live` fixture), which is destroyed after them and the
account searched for anything still tagged as the env's. dev runs in `make test`; staging and prod, which
differ in shape (3 AZs, a NAT per AZ, replicas, HTTPS), in `make test-integration`.
"""

from __future__ import annotations

import collections
import os

import pytest

from core.scope import tag_dict
from core.tiers import nat_count
from infra import inventory
from infra import verify as verify_mod
from infra.cli import main
from infra.deploy_revisions import PREVIOUS_TAG
from infra.stack import resource_type
from policy import live as policy_live

ENVS = [
    pytest.param("dev"),
    pytest.param("staging", marks=pytest.mark.integration),
    pytest.param("prod", marks=pytest.mark.integration),
]
# The real-AWS lane applies only the envs it is asked for (tests/aws_lane.py --envs): each costs money.
if os.environ.get("INFRA_TEST_ENVS"):
    ENVS = [p for p in ENVS if p.values[0] in os.environ["INFRA_TEST_ENVS"].split(",")]


def emulator_only(live) -> None:
    """Tests that drive the stack through the infra CLI (which targets an endpoint) or that fake what
    only AWS itself does (a minor upgrade) run against the emulator; on AWS itself the fixture's own
    destroy and leftover inventory stand in for `infra down`."""
    if live.stack.endpoint is None:
        pytest.skip("emulator only: on AWS itself the fixture's destroy and inventory check the teardown")
# `live` (tests/conftest.py) applies each env once for every module that asks for it, and destroys it
# after the last of them, requiring the account to hold nothing tagged as the env's.
pytestmark = [pytest.mark.apply, pytest.mark.terraform, pytest.mark.emulator]


def pytest_generate_tests(metafunc):
    if "live" in metafunc.fixturenames:
        metafunc.parametrize("live", ENVS, indirect=True)


@pytest.fixture
def tier(live, project):
    return project.tiers["tiers"][live.env]


def test_vpc_has_the_tiers_cidr_subnets_in_every_az_and_its_nat_gateways(live, tier):
    ec2 = live.client("ec2")
    vpc_id = live.outputs["vpc_id"]
    vpc = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]
    assert vpc["CidrBlock"] == tier["network"]["cidr"]

    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    per_az = collections.Counter(s["AvailabilityZone"] for s in subnets)
    assert len(per_az) == tier["network"]["az_count"]
    assert sorted(per_az) == sorted(live.outputs["azs"])
    assert len(set(per_az.values())) == 1, f"every AZ gets the same tiers of subnets: {dict(per_az)}"

    nats = [n for n in ec2.describe_nat_gateways(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["NatGateways"]
            if n["State"] == "available"]
    expected = nat_count(tier["network"])
    assert len(nats) == expected
    # NAT gateways sit in public subnets: ones whose route table sends 0.0.0.0/0 to the internet gateway.
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"]
    public = {
        assoc["SubnetId"]
        for table in tables
        if any(r.get("GatewayId", "").startswith("igw-") and r.get("DestinationCidrBlock") == "0.0.0.0/0"
               for r in table["Routes"])
        for assoc in table.get("Associations", []) if assoc.get("SubnetId")
    }
    assert {n["SubnetId"] for n in nats} <= public
    nat_azs = {s["AvailabilityZone"] for s in subnets if s["SubnetId"] in {n["SubnetId"] for n in nats}}
    assert len(nat_azs) == expected, "with a NAT per AZ, each sits in its own AZ"


def test_aurora_cluster_is_the_tiers(live, tier):
    rds = live.client("rds")
    db = tier["database"]
    cluster = rds.describe_db_clusters(DBClusterIdentifier=live.outputs["db_cluster_identifier"])["DBClusters"][0]
    assert cluster["Engine"] == "aurora-postgresql"
    # Created at the tier's version; RDS may have raised the minor since (as
    # test_second_plan_is_empty_even_after_an_automatic_minor_upgrade does on this shared stack), never the major.
    version = tuple(int(part) for part in cluster["EngineVersion"].split("."))
    created_at = tuple(int(part) for part in db["engine_version"].split("."))
    assert version[0] == created_at[0] and version >= created_at, (cluster["EngineVersion"], db["engine_version"])
    assert cluster["StorageEncrypted"] is True
    assert cluster["KmsKeyId"] == live.outputs["kms_key_arn"]
    assert cluster["DeletionProtection"] is db["deletion_protection"]
    assert cluster["BackupRetentionPeriod"] == db["backup_retention_days"]
    assert cluster["MasterUserSecret"]["SecretArn"] == live.outputs["db_master_user_secret_arn"]

    members = cluster["DBClusterMembers"]
    assert len(members) == db["instances"]
    assert sum(m["IsClusterWriter"] for m in members) == 1
    zones = []
    for member in members:
        instance = rds.describe_db_instances(DBInstanceIdentifier=member["DBInstanceIdentifier"])["DBInstances"][0]
        assert instance["DBInstanceClass"] == db["instance_class"]
        assert instance["PubliclyAccessible"] is False
        assert instance["PerformanceInsightsEnabled"] is db["performance_insights"]
        zones.append(instance["AvailabilityZone"])
    # One instance per AZ, placed, not left to chance: a zone's outage leaves a reader to fail over to.
    assert set(zones) <= set(live.outputs["azs"])
    assert len(set(zones)) == min(db["instances"], tier["network"]["az_count"]), zones


def test_redis_replication_group_is_the_tiers(live, tier):
    cache = tier["cache"]
    group = live.client("elasticache").describe_replication_groups(
        ReplicationGroupId=live.outputs["redis_replication_group_id"]
    )["ReplicationGroups"][0]
    assert group["CacheNodeType"] == cache["node_type"]
    assert (group["ClusterEnabled"] is True) is cache["cluster_mode"]
    assert len(group["NodeGroups"]) == cache["shards"]
    assert len(group["MemberClusters"]) == cache["shards"] * (1 + cache["replicas_per_shard"])
    assert group["AtRestEncryptionEnabled"] is True
    assert group["TransitEncryptionEnabled"] is True
    assert group["KmsKeyId"] == live.outputs["kms_key_arn"]
    assert group["MultiAZ"] == ("enabled" if cache["multi_az"] else "disabled")
    assert group["AutomaticFailover"] == ("enabled" if cache["multi_az"] or cache["cluster_mode"] else "disabled")
    zones = [live.client("elasticache").describe_cache_clusters(CacheClusterId=m)["CacheClusters"][0]
             ["PreferredAvailabilityZone"] for m in group["MemberClusters"]]
    assert set(zones) <= set(live.outputs["azs"])
    if cache["multi_az"]:  # one node per AZ, as far as the zones go
        assert len(set(zones)) == min(len(zones), tier["network"]["az_count"]), zones
    if not cache["cluster_mode"]:  # placed by the configuration: the primary in the first zone
        assert zones == [live.outputs["azs"][n % len(live.outputs["azs"])] for n in range(len(zones))]


def test_ecs_service_task_and_autoscaling_are_the_tiers(live, tier):
    svc_tier = tier["service"]
    ecs = live.client("ecs")
    cluster, name = live.outputs["ecs_cluster_name"], live.outputs["ecs_service_name"]
    service = ecs.describe_services(cluster=cluster, services=[name])["services"][0]
    assert service["status"] == "ACTIVE"
    assert service["desiredCount"] == svc_tier["min_tasks"]
    spot = svc_tier.get("fargate_spot")
    if spot is None:
        assert service["launchType"] == "FARGATE"
    else:  # AWS reports a capacity provider strategy instead of a launch type, never both
        assert "launchType" not in service, service.get("launchType")
        strategy = {s["capacityProvider"]: (s.get("base", 0), s["weight"]) for s in service["capacityProviderStrategy"]}
        assert strategy == {"FARGATE": (spot["on_demand_base"], 0), "FARGATE_SPOT": (0, 1)}
    vpc = service["networkConfiguration"]["awsvpcConfiguration"]
    assert vpc["assignPublicIp"] == ("ENABLED" if tier["network"]["nat_gateways"] == "none" else "DISABLED")

    task = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
    assert task["family"] == live.outputs["task_definition_family"]
    assert (int(task["cpu"]), int(task["memory"])) == (svc_tier["cpu"], svc_tier["memory"])
    assert task["requiresCompatibilities"] == ["FARGATE"]
    assert task["runtimePlatform"]["cpuArchitecture"] == svc_tier["cpu_architecture"]
    # Secrets reach the container from Secrets Manager, never as plain environment values.
    secrets = [s for c in task["containerDefinitions"] for s in c.get("secrets", [])]
    assert secrets, "the container gets its secrets from Secrets Manager"
    sm = live.client("secretsmanager")
    for secret in secrets:
        arn = ":".join(secret["valueFrom"].split(":")[:7])
        assert sm.describe_secret(SecretId=arn)["ARN"] == arn
    plain = {e["name"] for c in task["containerDefinitions"] for e in c.get("environment", [])}
    assert not plain & {s["name"] for s in secrets}

    targets = live.client("application-autoscaling").describe_scalable_targets(
        ServiceNamespace="ecs", ResourceIds=[f"service/{cluster}/{name}"]
    )["ScalableTargets"]
    assert [(t["MinCapacity"], t["MaxCapacity"]) for t in targets] == [(svc_tier["min_tasks"], svc_tier["max_tasks"])]


def test_the_service_waited_for_its_first_release_and_the_first_deploy_raised_its_floor(live, tier):
    """F5 (issue 14): the apply starts no task on the first revision's image, which no build pushed
    (the strict emulator fails such a deployment, as AWS's image pull does); the first deploy
    registers the tier's floor, and Terraform then agrees with it: the empty second plan
    (test_second_plan_is_empty_even_after_an_automatic_minor_upgrade) is made after this release."""
    svc_tier = tier["service"]
    if live.first_release is None:
        pytest.skip("on AWS itself the suite releases no stand-in image (it could not run)")
    before, after = live.first_release.before, live.first_release.after
    assert (before["service"]["desiredCount"], before["service"]["runningCount"]) == (0, 0)
    assert before["service"]["deployments"][0]["rolloutState"] != "FAILED"
    assert (before["target"]["MinCapacity"], before["target"]["MaxCapacity"]) == (0, svc_tier["max_tasks"])
    assert (after["service"]["desiredCount"], after["service"]["runningCount"]) == (svc_tier["min_tasks"],) * 2
    assert (after["target"]["MinCapacity"], after["target"]["MaxCapacity"]) == (svc_tier["min_tasks"],
                                                                                svc_tier["max_tasks"])
    first = live.client("ecs").describe_task_definition(taskDefinition=before["service"]["taskDefinition"])
    assert first["taskDefinition"]["containerDefinitions"][0]["image"].endswith(":bootstrap"), \
        "Terraform's revision names an image nothing pushed: the reason the service must wait"


def test_load_balancer_listeners(live, tier, project):
    elb = live.client("elbv2")
    lbs = [lb for lb in elb.describe_load_balancers()["LoadBalancers"] if lb["DNSName"] == live.outputs["alb_dns_name"]]
    assert len(lbs) == 1
    # moto does not return `Scheme`; an internet-facing ALB shows itself by sitting in the public subnets.
    ec2 = live.client("ec2")
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [live.outputs["vpc_id"]]}])["RouteTables"]
    public = {a["SubnetId"] for t in tables if any(r.get("GatewayId", "").startswith("igw-") for r in t["Routes"])
              for a in t.get("Associations", []) if a.get("SubnetId")}
    assert {z["SubnetId"] for z in lbs[0]["AvailabilityZones"]} <= public
    attributes = {a["Key"]: a["Value"] for a in
                  elb.describe_load_balancer_attributes(LoadBalancerArn=lbs[0]["LoadBalancerArn"])["Attributes"]}
    lb_tier = tier["load_balancer"]
    assert attributes["deletion_protection.enabled"] == str(lb_tier["deletion_protection"]).lower()
    assert attributes["access_logs.s3.enabled"] == str(lb_tier["access_logs"]).lower()
    listeners = {x["Port"]: x for x in elb.describe_listeners(LoadBalancerArn=lbs[0]["LoadBalancerArn"])["Listeners"]}
    http = listeners[80]["DefaultActions"][0]
    if tier["load_balancer"]["https"]:
        assert sorted(listeners) == [80, 443]
        assert listeners[443]["Protocol"] == "HTTPS"
        assert listeners[443]["SslPolicy"] in project.tiers["policy"]["tls_policies"]
        assert listeners[443]["DefaultActions"][0]["TargetGroupArn"] == live.outputs["target_group_arn"]
        assert http["Type"] == "redirect"
        assert (http["RedirectConfig"]["Protocol"], http["RedirectConfig"]["Port"]) == ("HTTPS", "443")
        assert live.outputs["service_url"].startswith("https://")
    else:
        assert sorted(listeners) == [80]
        assert http["Type"] == "forward"
        assert http["TargetGroupArn"] == live.outputs["target_group_arn"]


def test_ecr_scans_on_push_with_immutable_tags_and_the_envs_key(live):
    repo = live.client("ecr").describe_repositories(repositoryNames=[live.outputs["ecr_repository_name"]])[
        "repositories"
    ][0]
    assert repo["imageScanningConfiguration"]["scanOnPush"] is True
    assert repo["imageTagMutability"] == "IMMUTABLE"
    assert repo["encryptionConfiguration"] == {"encryptionType": "KMS", "kmsKey": live.outputs["kms_key_arn"]}
    assert live.outputs["ecr_repository_url"] == repo["repositoryUri"]


def test_every_log_group_keeps_the_tiers_retention_under_the_envs_key(live, tier):
    logs = live.client("logs")
    found = inventory.take(live.aws, live.stack.scope, services=["logs"]).of_type("aws_cloudwatch_log_group")
    names = {f.id for f in found}
    assert live.outputs["app_log_group_name"] in names
    for name in names:
        group = next(g for g in logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
                     if g["logGroupName"] == name)
        assert group.get("retentionInDays") == tier["logs"]["retention_days"], name
        assert group.get("kmsKeyId") == live.outputs["kms_key_arn"], name


def test_alarms_exist_with_the_tiers_thresholds_and_notify_the_topic(live, tier):
    names = live.outputs["alarm_names"]
    alarms = {a["AlarmName"]: a for a in
              live.client("cloudwatch").describe_alarms(AlarmNames=list(names.values()))["MetricAlarms"]}
    assert set(alarms) == set(names.values())
    a, svc = tier["alarms"], tier["service"]
    thresholds = {
        "cpu": a["cpu_percent"], "memory": a["memory_percent"], "unhealthy_hosts": a["unhealthy_hosts"],
        "http_5xx": a["http_5xx_per_5min"], "elb_5xx": a["http_5xx_per_5min"], "no_healthy_hosts": 1,
        "running_tasks": svc["min_tasks"], "db_cpu": a["cpu_percent"],
        "db_memory": a["db_min_freeable_memory_mib"] * 1048576, "db_connections": a["db_max_connections"],
        "cache_cpu": a["cpu_percent"], "cache_memory": a["memory_percent"],
        "cache_evictions": a["cache_evictions_per_5min"],
    }
    assert set(names) == set(thresholds)
    for kind, threshold in thresholds.items():
        alarm = alarms[names[kind]]
        assert alarm["Threshold"] == threshold, kind
        assert alarm["AlarmActions"] == [live.outputs["alarm_topic_arn"]], kind
    # A full outage shows as missing data: those alarms count it as breaching.
    for kind in ("no_healthy_hosts", "running_tasks"):
        assert alarms[names[kind]]["TreatMissingData"] == "breaching", kind
    # Each Redis alarm watches every node of the group (the worst of them).
    nodes = {m["MetricStat"]["Metric"]["Dimensions"][0]["Value"] for m in alarms[names["cache_memory"]]["Metrics"]
             if "MetricStat" in m}
    group = live.client("elasticache").describe_replication_groups(
        ReplicationGroupId=live.outputs["redis_replication_group_id"])["ReplicationGroups"][0]
    assert nodes == set(group["MemberClusters"])


def test_second_plan_is_empty_even_after_an_automatic_minor_upgrade(live, tier):
    """The second plan is empty. It is made after the fixture's first release (the deploy raised the
    service's floor: Terraform must not fight it) and, on the emulator, after doing what RDS does by
    itself (auto_minor_version_upgrade): the plan must accept the new minor version. Before that fix,
    it planned the cluster back to tiers.yaml's 16.6, which RDS (and the strict emulator) refuses
    with InvalidParameterCombination. One full plan of the env proves all three."""
    upgraded = None
    if live.stack.endpoint is not None:
        rds = live.client("rds")
        name = live.outputs["db_cluster_identifier"]
        major, minor = tier["database"]["engine_version"].split(".")
        upgraded = f"{major}.{int(minor) + 2}"
        rds.modify_db_cluster(DBClusterIdentifier=name, EngineVersion=upgraded, ApplyImmediately=True)
        (cluster,) = rds.describe_db_clusters(DBClusterIdentifier=name)["DBClusters"]
        assert cluster["EngineVersion"] == upgraded
    replan = live.stack.replan()
    assert replan.empty, (f"second plan is not empty{f' after a minor upgrade to {upgraded}' if upgraded else ''} "
                          f"({replan.summary}): {replan.changes}")


def test_the_inventory_finds_every_object_terraform_created(live):
    """The leftover check is only worth something if it sees everything: before the destroy, it must."""
    state = collections.Counter(resource_type(a) for a in live.stack.state_addresses())
    state.pop("", None)
    unmapped = {t for t in state if t not in inventory.TYPES}
    assert not unmapped, f"types the inventory does not know: {unmapped}"
    expected = {t: n for t, n in state.items() if inventory.TYPES[t]}
    # Besides Terraform's objects, the revisions deploys registered (the fixture's first release
    # at least), which `infra down` deregisters before the destroy (Stack._retire_deploy_revisions).
    ecs = live.client("ecs")
    by_deploys = {f.id for f in live.stack.take_inventory().of_type("aws_ecs_task_definition")
                  if PREVIOUS_TAG in tag_dict(ecs.describe_task_definition(taskDefinition=f.id, include=["TAGS"])
                                              .get("tags"), "key", "value")}
    assert by_deploys or live.first_release is None
    found = collections.Counter(f.type for f in live.stack.take_inventory().found if f.id not in by_deploys)
    assert dict(found) == expected


def test_the_tagging_api_and_each_services_own_tag_calls_find_the_same_objects(live):
    """core.tagged answers tags from one GetResources call for what it lists, and asks the rest their own
    way: the inventory and the live policy must see the same objects and values either way."""
    emulator_only(live)
    with_api = live.stack.take_inventory()
    assert with_api.tagging_api == "used"
    without = inventory.take(live.aws, live.stack.scope, use_tagging_api=False)
    assert without.tagging_api == "switched off"
    assert with_api.found == without.found and with_api.unchecked == without.unchecked
    read = {r.address: r.values for r in policy_live.resources_from_live(live.aws.boto3, live.env,
                                                                           endpoint_url=live.stack.endpoint)}
    read_without = {r.address: r.values for r in policy_live.resources_from_live(
        live.aws.boto3, live.env, endpoint_url=live.stack.endpoint, use_tagging_api=False)}
    assert read == read_without
    assert any(address.startswith("aws_cloudwatch_log_group.") for address in read)


def test_infra_verify_passes_then_catches_drift_and_infra_up_repairs_it(live, tier, monkeypatch, capsys):
    """The CLI on the fixture's stack: both use the same work copy under INFRA_STATE_DIR."""
    emulator_only(live)
    monkeypatch.setenv("INFRA_STATE_DIR", str(live.stack.project.state_dir))
    args = ["--env", live.env, "--aws-endpoint", live.stack.endpoint]
    assert main(["verify", *args]) == 0, capsys.readouterr().out
    assert "second plan is empty" in capsys.readouterr().out, "verify's drift check is a full second plan"

    logs = live.client("logs")
    group = live.outputs["app_log_group_name"]
    logs.put_retention_policy(logGroupName=group, retentionInDays=1)
    capsys.readouterr()
    assert main(["verify", *args]) == 1
    out = capsys.readouterr()
    assert "drift" in out.out and "FAIL" in out.out
    assert "RPY-SIZ-009" in out.out, "the live policy names the rule"
    assert "live checks failed" in out.err

    assert main(["up", *args]) == 0, "applying again repairs the drift"
    # What the drift was is back; that the plan after an apply is empty, the first verify showed.
    retention = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["retentionInDays"]
    assert retention == tier["logs"]["retention_days"]


def test_infra_verify_refuses_the_master_secret_in_a_container(live, tier):
    """The application signs in as its own database role; a revision that hands a container the master
    user's secret (rotated by RDS every 7 days) is caught live."""
    emulator_only(live)
    ecs, out = live.client("ecs"), live.outputs
    (svc,) = ecs.describe_services(cluster=out["ecs_cluster_name"], services=[out["ecs_service_name"]])["services"]
    current = ecs.describe_task_definition(taskDefinition=svc["taskDefinition"])["taskDefinition"]
    containers = current["containerDefinitions"]
    containers[0]["secrets"] = [*containers[0].get("secrets", []),
                                {"name": "DB_PASSWORD", "valueFrom": f"{out['db_master_user_secret_arn']}:password::"}]
    keys = ("family", "taskRoleArn", "executionRoleArn", "networkMode", "requiresCompatibilities", "cpu", "memory",
            "runtimePlatform")
    leaked = ecs.register_task_definition(containerDefinitions=containers,
                                          **{k: current[k] for k in keys if k in current})["taskDefinition"]
    ecs.update_service(cluster=out["ecs_cluster_name"], service=out["ecs_service_name"],
                       taskDefinition=leaked["taskDefinitionArn"])
    try:
        # The check `infra verify` runs (its CLI, drift plan included, is the drift test's business).
        checks = {c.name: c for c in verify_mod.health_checks(live.stack, out, tier)}
        assert not checks["app credentials"].ok
        assert f"{containers[0]['name']}:DB_PASSWORD" in checks["app credentials"].detail
    finally:
        ecs.update_service(cluster=out["ecs_cluster_name"], service=out["ecs_service_name"],
                           taskDefinition=current["taskDefinitionArn"])
        ecs.deregister_task_definition(taskDefinition=leaked["taskDefinitionArn"])


@pytest.mark.destroys_live
def test_infra_down_destroys_it_and_leaves_nothing_behind(live, monkeypatch, capsys):
    emulator_only(live)
    monkeypatch.setenv("INFRA_STATE_DIR", str(live.stack.project.state_dir))
    assert main(["down", "--env", live.env, "--aws-endpoint", live.stack.endpoint]) == 0
    assert "nothing tagged" in capsys.readouterr().out
    left = live.stack.take_inventory()
    assert left.found == [] and left.unchecked == {}
    assert live.stack.state_addresses() == []
