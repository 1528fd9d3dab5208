"""Each patch: the fixed behaviour with it, and the moto gap without it.

The ``*_without_patch`` tests run against an emulator that leaves out just that
patch.  When one of them fails, upstream moto has fixed the gap and the patch
can go.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from ecr_images import push

from infra.emulator import PATCH_NAMES, EmulatorInfo
from infra.toolchain import Toolchain

pytestmark = pytest.mark.emulator

Aws = Callable[[str], object]
GAP_TESTS: dict[str, str] = {}


def shows_gap_of(patch: str) -> Callable:
    """Mark a test as the proof that ``patch`` is still needed."""

    def register(test: Callable) -> Callable:
        GAP_TESTS[patch] = test.__name__
        return test

    return register


def test_every_patch_has_a_gap_test() -> None:
    assert sorted(GAP_TESTS) == sorted(PATCH_NAMES)


def test_a_gap_emulator_applies_every_patch_but_its_own(without_patch: Callable[[str], Aws]) -> None:
    # The gap emulators are forks of one process (conftest.py): each must be the server that
    # `--disable-patch NAME` starts, with every other patch in and nothing of another fork's.
    logs = {name: without_patch(name).log.read_text() for name in PATCH_NAMES[:2]}
    for name, log in logs.items():
        applied = next(line for line in log.splitlines() if line.startswith("patches applied: "))
        assert applied.removeprefix("patches applied: ").split(", ") == [p for p in PATCH_NAMES if p != name]
        assert f"patches disabled: {name}\n" in log
    with pytest.raises(ValueError, match="unknown emulator patch"):
        without_patch("no_such_patch")


# ---- RDS ------------------------------------------------------------------------------------------


def _aurora_instances(aws: Aws, name: str, count: int = 2, **instance_args: object) -> list[dict]:
    rds = aws("rds")
    rds.create_db_cluster(
        DBClusterIdentifier=name,
        Engine="aurora-postgresql",
        EngineVersion="16.4",
        EngineMode="provisioned",
        MasterUsername="admin_user",
        ManageMasterUserPassword=True,
    )
    return [
        rds.create_db_instance(
            DBInstanceIdentifier=f"{name}-{i}",
            DBClusterIdentifier=name,
            Engine="aurora-postgresql",
            DBInstanceClass="db.r6g.large",
            **instance_args,
        )["DBInstance"]
        for i in range(count)
    ]


def test_rds_instances_get_distinct_dbi_resource_ids(aws: Aws) -> None:
    ids = [i["DbiResourceId"] for i in _aurora_instances(aws, "dbi-ok")]
    assert len(set(ids)) == 2
    assert all(i.startswith("db-") and len(i) == 29 for i in ids)
    found = aws("rds").describe_db_instances(Filters=[{"Name": "dbi-resource-id", "Values": [ids[1]]}])
    assert [d["DBInstanceIdentifier"] for d in found["DBInstances"]] == ["dbi-ok-1"]


@shows_gap_of("rds_unique_dbi_resource_id")
def test_rds_instances_share_one_dbi_resource_id_without_patch(without_patch: Callable[[str], Aws]) -> None:
    ids = [
        i["DbiResourceId"] for i in _aurora_instances(without_patch("rds_unique_dbi_resource_id"), "dbi-gap")
    ]
    assert ids[0] == ids[1]


def _recreate_cluster(rds: object, name: str) -> None:
    """Create, delete and create again within the minute, as a destroy followed by an apply does."""
    import time
    from datetime import datetime

    if datetime.now().second >= 57:  # both creates must fall in one minute (the snapshot's name)
        time.sleep(61 - datetime.now().second)
    args = {"DBClusterIdentifier": name, "Engine": "aurora-postgresql", "MasterUsername": "admin_user",
            "ManageMasterUserPassword": True, "BackupRetentionPeriod": 1}
    rds.create_db_cluster(**args)
    rds.delete_db_cluster(DBClusterIdentifier=name, SkipFinalSnapshot=True)
    rds.create_db_cluster(**args)


def test_a_cluster_can_be_created_again_within_the_minute(aws: Aws) -> None:
    rds = aws("rds")
    _recreate_cluster(rds, "again-ok")
    assert rds.describe_db_clusters(DBClusterIdentifier="again-ok")["DBClusters"][0]["Status"] == "available"
    manual = rds.create_db_cluster_snapshot(DBClusterIdentifier="again-ok", DBClusterSnapshotIdentifier="keep-me")
    assert manual["DBClusterSnapshot"]["SnapshotType"] == "manual"
    with pytest.raises(ClientError, match="DBClusterSnapshotAlreadyExists"):  # a manual name is still guarded
        rds.create_db_cluster_snapshot(DBClusterIdentifier="again-ok", DBClusterSnapshotIdentifier="keep-me")


@shows_gap_of("rds_automated_snapshot_names")
def test_a_cluster_cannot_be_created_again_within_the_minute_without_patch(
    without_patch: Callable[[str], Aws],
) -> None:
    with pytest.raises(ClientError, match="DBClusterSnapshotAlreadyExistsFault"):
        _recreate_cluster(without_patch("rds_automated_snapshot_names")("rds"), "again-gap")


def test_provisioned_aurora_cluster_has_no_scaling_configuration(aws: Aws) -> None:
    rds = aws("rds")
    cluster = rds.create_db_cluster(
        DBClusterIdentifier="prov-ok",
        Engine="aurora-postgresql",
        MasterUsername="u",
        MasterUserPassword="p" * 12,
    )["DBCluster"]
    described = rds.describe_db_clusters(DBClusterIdentifier="prov-ok")["DBClusters"][0]
    assert "ScalingConfigurationInfo" not in cluster
    assert "ScalingConfigurationInfo" not in described


def test_serverless_v1_aurora_cluster_keeps_scaling_configuration(aws: Aws) -> None:
    cluster = aws("rds").create_db_cluster(
        DBClusterIdentifier="sls-ok",
        Engine="aurora-postgresql",
        EngineMode="serverless",
        MasterUsername="u",
        MasterUserPassword="p" * 12,
    )["DBCluster"]
    assert cluster["ScalingConfigurationInfo"]["MaxCapacity"] == 16


@shows_gap_of("rds_scaling_configuration_serverless_only")
def test_provisioned_aurora_cluster_reports_scaling_configuration_without_patch(
    without_patch: Callable[[str], Aws],
) -> None:
    rds = without_patch("rds_scaling_configuration_serverless_only")("rds")
    rds.create_db_cluster(
        DBClusterIdentifier="prov-gap",
        Engine="aurora-postgresql",
        MasterUsername="u",
        MasterUserPassword="p" * 12,
    )
    assert (
        "ScalingConfigurationInfo"
        in rds.describe_db_clusters(DBClusterIdentifier="prov-gap")["DBClusters"][0]
    )


def _set_parameters(rds: object, name: str) -> None:
    rds.create_db_parameter_group(
        DBParameterGroupName=name, DBParameterGroupFamily="aurora-postgresql16", Description="d"
    )
    rds.modify_db_parameter_group(
        DBParameterGroupName=name,
        Parameters=[{"ParameterName": "log_connections", "ParameterValue": "1", "ApplyMethod": "immediate"}],
    )
    rds.create_db_cluster_parameter_group(
        DBClusterParameterGroupName=name, DBParameterGroupFamily="aurora-postgresql16", Description="d"
    )
    rds.modify_db_cluster_parameter_group(
        DBClusterParameterGroupName=name,
        Parameters=[
            {"ParameterName": "rds.force_ssl", "ParameterValue": "1", "ApplyMethod": "pending-reboot"}
        ],
    )


def test_parameters_the_user_set_have_source_user(aws: Aws) -> None:
    rds = aws("rds")
    _set_parameters(rds, "src-ok")
    instance = rds.describe_db_parameters(DBParameterGroupName="src-ok")["Parameters"]
    cluster = rds.describe_db_cluster_parameters(DBClusterParameterGroupName="src-ok")["Parameters"]
    assert [(p["ParameterName"], p["Source"]) for p in instance] == [("log_connections", "user")]
    assert [(p["ParameterName"], p["Source"]) for p in cluster] == [("rds.force_ssl", "user")]


def test_parameter_source_filter_is_honoured(aws: Aws) -> None:
    rds = aws("rds")
    _set_parameters(rds, "src-filter")
    assert (
        len(rds.describe_db_parameters(DBParameterGroupName="src-filter", Source="user")["Parameters"]) == 1
    )
    assert rds.describe_db_parameters(DBParameterGroupName="src-filter", Source="system")["Parameters"] == []
    cluster_system = rds.describe_db_cluster_parameters(
        DBClusterParameterGroupName="src-filter", Source="system"
    )
    assert cluster_system["Parameters"] == []


@shows_gap_of("rds_parameter_source_user")
def test_parameters_have_no_source_without_patch(without_patch: Callable[[str], Aws]) -> None:
    rds = without_patch("rds_parameter_source_user")("rds")
    _set_parameters(rds, "src-gap")
    assert "Source" not in rds.describe_db_parameters(DBParameterGroupName="src-gap")["Parameters"][0]
    assert (
        "Source"
        not in rds.describe_db_cluster_parameters(DBClusterParameterGroupName="src-gap")["Parameters"][0]
    )


_PI_ARGS = {
    "EnablePerformanceInsights": True,
    "PerformanceInsightsKMSKeyId": "arn:aws:kms:us-east-1:123456789012:key/pi",
}


def test_rds_instances_keep_performance_insights_settings(aws: Aws) -> None:
    (created,) = _aurora_instances(aws, "pi-ok", count=1, **_PI_ARGS)
    described = aws("rds").describe_db_instances(DBInstanceIdentifier="pi-ok-0")["DBInstances"][0]
    for instance in (created, described):
        assert instance["PerformanceInsightsEnabled"] is True
        assert instance["PerformanceInsightsKMSKeyId"] == _PI_ARGS["PerformanceInsightsKMSKeyId"]
        assert instance["PerformanceInsightsRetentionPeriod"] == 7


def test_performance_insights_can_be_switched_off(aws: Aws) -> None:
    _aurora_instances(aws, "pi-off", count=1, **_PI_ARGS)
    rds = aws("rds")
    rds.modify_db_instance(
        DBInstanceIdentifier="pi-off-0", EnablePerformanceInsights=False, ApplyImmediately=True
    )
    assert (
        rds.describe_db_instances(DBInstanceIdentifier="pi-off-0")["DBInstances"][0][
            "PerformanceInsightsEnabled"
        ]
        is False
    )


@shows_gap_of("rds_performance_insights")
def test_performance_insights_settings_are_dropped_without_patch(without_patch: Callable[[str], Aws]) -> None:
    (created,) = _aurora_instances(without_patch("rds_performance_insights"), "pi-gap", count=1, **_PI_ARGS)
    assert not created.get("PerformanceInsightsEnabled")
    assert "PerformanceInsightsKMSKeyId" not in created


# ---- App Auto Scaling -----------------------------------------------------------------------------


def _scalable_target(aws: Aws, name: str) -> str:
    ecs = aws("ecs")
    if not ecs.describe_clusters(clusters=[name])["clusters"]:  # moto's CreateCluster would reset one
        ecs.create_cluster(clusterName=name)
    ecs.register_task_definition(
        family=name, containerDefinitions=[{"name": "c", "image": "nginx", "memory": 128}]
    )
    ecs.create_service(cluster=name, serviceName="api", taskDefinition=name, desiredCount=1)
    return aws("application-autoscaling").register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId=f"service/{name}/api",
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=1,
        MaxCapacity=4,
        Tags={"Component": "api"},
    )["ScalableTargetARN"]


def test_scalable_target_tags_can_be_listed_added_and_removed(aws: Aws) -> None:
    aas = aws("application-autoscaling")
    arn = _scalable_target(aws, "aas-ok")
    assert aas.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"Component": "api"}
    aas.tag_resource(ResourceARN=arn, Tags={"Team": "payments"})
    aas.untag_resource(ResourceARN=arn, TagKeys=["Component"])
    assert aas.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"Team": "payments"}


def test_tags_of_an_unknown_or_deregistered_target_are_not_found(aws: Aws) -> None:
    aas = aws("application-autoscaling")
    arn = _scalable_target(aws, "aas-gone")
    aas.deregister_scalable_target(
        ServiceNamespace="ecs",
        ResourceId="service/aas-gone/api",
        ScalableDimension="ecs:service:DesiredCount",
    )
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        aas.list_tags_for_resource(ResourceARN=arn)


@shows_gap_of("appautoscaling_tags")
def test_scalable_target_tag_operations_fail_without_patch(without_patch: Callable[[str], Aws]) -> None:
    aws = without_patch("appautoscaling_tags")
    arn = _scalable_target(aws, "aas-gap")
    with pytest.raises(ClientError, match=r"\(500\)"):
        aws("application-autoscaling").list_tags_for_resource(ResourceARN=arn)


# ---- ECS ------------------------------------------------------------------------------------------


def _service(aws: Aws, name: str, **settings: object) -> dict:
    ecs = aws("ecs")
    if not ecs.describe_clusters(clusters=[name])["clusters"]:  # moto's CreateCluster would reset one
        ecs.create_cluster(clusterName=name)
    ecs.register_task_definition(
        family=name, containerDefinitions=[{"name": "c", "image": "nginx", "memory": 128}]
    )
    ecs.create_service(cluster=name, serviceName="api", taskDefinition=name, desiredCount=1, **settings)
    return ecs.describe_services(cluster=name, services=["api"])["services"][0]


def test_ecs_service_returns_the_settings_it_was_created_with(aws: Aws) -> None:
    service = _service(
        aws,
        "ecs-ok",
        availabilityZoneRebalancing="ENABLED",
        deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}},
        healthCheckGracePeriodSeconds=60,
        enableExecuteCommand=True,
    )
    assert service["availabilityZoneRebalancing"] == "ENABLED"
    assert service["deploymentConfiguration"] == {
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        "maximumPercent": 200,
        "minimumHealthyPercent": 100,
    }
    assert service["healthCheckGracePeriodSeconds"] == 60
    assert service["enableExecuteCommand"] is True


def test_ecs_service_settings_default_like_aws(aws: Aws) -> None:
    service = _service(aws, "ecs-defaults")
    assert service["availabilityZoneRebalancing"] == "DISABLED"
    assert service["deploymentConfiguration"]["deploymentCircuitBreaker"] == {
        "enable": False,
        "rollback": False,
    }
    assert service["enableExecuteCommand"] is False


def test_ecs_service_update_changes_rebalancing(aws: Aws) -> None:
    _service(aws, "ecs-update")
    ecs = aws("ecs")
    ecs.update_service(cluster="ecs-update", service="api", availabilityZoneRebalancing="ENABLED")
    assert ecs.describe_services(cluster="ecs-update", services=["api"])["services"][0][
        "availabilityZoneRebalancing"
    ] == ("ENABLED")


@shows_gap_of("ecs_service_settings")
def test_ecs_service_drops_rebalancing_and_deployment_settings_without_patch(
    without_patch: Callable[[str], Aws],
) -> None:
    service = _service(
        without_patch("ecs_service_settings"),
        "ecs-gap",
        availabilityZoneRebalancing="DISABLED",
        deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}},
    )
    assert "availabilityZoneRebalancing" not in service
    assert "deploymentConfiguration" not in service


SPOT_STRATEGY = [
    {"capacityProvider": "FARGATE", "base": 1, "weight": 0},
    {"capacityProvider": "FARGATE_SPOT", "base": 0, "weight": 1},
]


def _spot_cluster(aws: Aws, name: str, default_strategy: list[dict] | None = None) -> None:
    """A cluster associated with both Fargate providers, as aws_ecs_cluster_capacity_providers makes it."""
    ecs = aws("ecs")
    ecs.create_cluster(clusterName=name)
    ecs.put_cluster_capacity_providers(
        cluster=name,
        capacityProviders=["FARGATE", "FARGATE_SPOT"],
        defaultCapacityProviderStrategy=default_strategy or [],
    )


def test_a_service_on_a_capacity_provider_strategy_has_no_launch_type(aws: Aws) -> None:
    _spot_cluster(aws, "ecs-spot")
    service = _service(aws, "ecs-spot", capacityProviderStrategy=SPOT_STRATEGY)
    assert "launchType" not in service
    assert service["capacityProviderStrategy"] == SPOT_STRATEGY
    [deployment] = service["deployments"]
    assert "launchType" not in deployment
    assert deployment["capacityProviderStrategy"] == SPOT_STRATEGY


def test_a_strategy_reads_back_with_ecs_defaults_and_can_be_updated(aws: Aws) -> None:
    """The provider leaves zeros out of the request; ECS reports every item's base and weight."""
    _spot_cluster(aws, "ecs-spot-update")
    _service(aws, "ecs-spot-update", capacityProviderStrategy=[
        {"capacityProvider": "FARGATE", "base": 1}, {"capacityProvider": "FARGATE_SPOT", "weight": 1}])
    ecs = aws("ecs")
    (service,) = ecs.describe_services(cluster="ecs-spot-update", services=["api"])["services"]
    assert service["capacityProviderStrategy"] == [
        {"capacityProvider": "FARGATE", "weight": 0, "base": 1},
        {"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0},
    ]
    ecs.update_service(cluster="ecs-spot-update", service="api",
                       capacityProviderStrategy=[{"capacityProvider": "FARGATE_SPOT", "weight": 2}])
    (service,) = ecs.describe_services(cluster="ecs-spot-update", services=["api"])["services"]
    assert service["capacityProviderStrategy"] == [{"capacityProvider": "FARGATE_SPOT", "weight": 2, "base": 0}]
    assert "launchType" not in service and "launchType" not in service["deployments"][0]
    with pytest.raises(ClientError, match="not associated with the cluster"):
        ecs.update_service(cluster="ecs-spot-update", service="api",
                           capacityProviderStrategy=[{"capacityProvider": "MY_ASG", "weight": 1}])


def test_a_service_with_neither_launch_type_nor_strategy_takes_the_cluster_default(aws: Aws) -> None:
    _spot_cluster(aws, "ecs-default-strategy", default_strategy=SPOT_STRATEGY)
    service = _service(aws, "ecs-default-strategy")
    assert "launchType" not in service
    assert service["capacityProviderStrategy"] == SPOT_STRATEGY


def test_a_service_on_a_launch_type_keeps_it_and_has_no_strategy(aws: Aws) -> None:
    service = _service(aws, "ecs-launch-type", launchType="FARGATE")
    assert service["launchType"] == "FARGATE"
    assert "capacityProviderStrategy" not in service


@pytest.mark.parametrize(
    ("associate", "settings", "message"),
    [
        (True, {"launchType": "FARGATE", "capacityProviderStrategy": SPOT_STRATEGY}, "both a launch type"),
        (False, {"capacityProviderStrategy": SPOT_STRATEGY}, "not associated with the cluster"),
    ],
    ids=["launch-type-and-strategy", "unassociated-provider"],
)
def test_a_service_refuses_what_ecs_refuses(aws: Aws, associate: bool, settings: dict, message: str) -> None:
    name = f"ecs-refused-{int(associate)}"
    if associate:
        _spot_cluster(aws, name)
    with pytest.raises(ClientError) as raised:
        _service(aws, name, **settings)
    assert raised.value.response["Error"]["Code"] == "InvalidParameterException"
    assert message in raised.value.response["Error"]["Message"]
    assert aws("ecs").list_services(cluster=name)["serviceArns"] == []


@shows_gap_of("ecs_service_capacity_provider_strategy")
def test_a_service_on_a_strategy_reads_launch_type_ec2_without_patch(
    without_patch: Callable[[str], Aws],
) -> None:
    aws = without_patch("ecs_service_capacity_provider_strategy")
    service = _service(aws, "ecs-spot-gap", capacityProviderStrategy=SPOT_STRATEGY)  # no provider associated
    assert service["launchType"] == "EC2"
    assert "capacityProviderStrategy" not in service


def test_ecs_service_runs_its_desired_tasks_and_settles_on_a_new_task_definition(aws: Aws) -> None:
    service = _service(aws, "ecs-sched")
    ecs = aws("ecs")
    assert (service["runningCount"], service["pendingCount"]) == (1, 0)
    (deployment,) = service["deployments"]
    assert (deployment["rolloutState"], deployment["taskDefinition"]) == ("COMPLETED", service["taskDefinition"])

    revision = ecs.register_task_definition(
        family="ecs-sched", containerDefinitions=[{"name": "c", "image": "nginx:2", "memory": 128}]
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.update_service(cluster="ecs-sched", service="api", taskDefinition=revision, desiredCount=3)
    updated = ecs.describe_services(cluster="ecs-sched", services=["api"])["services"][0]
    assert (updated["desiredCount"], updated["runningCount"]) == (3, 3)
    (deployment,) = updated["deployments"]
    assert deployment["taskDefinition"] == revision
    assert deployment["id"] != service["deployments"][0]["id"], "a new task definition is a new deployment"
    ecs.get_waiter("services_stable").wait(cluster="ecs-sched", services=["api"],
                                            WaiterConfig={"Delay": 1, "MaxAttempts": 3})


@shows_gap_of("ecs_service_scheduler")
def test_ecs_service_never_runs_anything_without_patch(without_patch: Callable[[str], Aws]) -> None:
    aws = without_patch("ecs_service_scheduler")
    service = _service(aws, "ecs-sched-gap")
    assert service["runningCount"] == 0
    assert service["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    revision = aws("ecs").register_task_definition(
        family="ecs-sched-gap", containerDefinitions=[{"name": "c", "image": "nginx:2", "memory": 128}]
    )["taskDefinition"]["taskDefinitionArn"]
    aws("ecs").update_service(cluster="ecs-sched-gap", service="api", taskDefinition=revision)
    after = aws("ecs").describe_services(cluster="ecs-sched-gap", services=["api"])["services"][0]
    assert after["taskDefinition"] == revision
    assert after["deployments"][0]["taskDefinition"] != revision


def _ecr_service(aws: Aws, name: str, image_ref: str, desired: int = 1) -> dict:
    """A service whose task definition names `image_ref` in repository `name` (which holds one image, tag v1)."""
    ecr, ecs = aws("ecr"), aws("ecs")
    url = ecr.create_repository(repositoryName=name)["repository"]["repositoryUri"]
    push(ecr, name, "v1", name)
    ecs.create_cluster(clusterName=name)
    ecs.register_task_definition(
        family=name, containerDefinitions=[{"name": "c", "image": f"{url}{image_ref}", "memory": 128}]
    )
    ecs.create_service(cluster=name, serviceName="api", taskDefinition=name, desiredCount=desired)
    return ecs.describe_services(cluster=name, services=["api"])["services"][0]


def test_a_service_on_an_image_absent_from_ecr_runs_nothing_and_its_deployment_fails(aws: Aws) -> None:
    service = _ecr_service(aws, "pull-absent", ":bootstrap")
    assert (service["desiredCount"], service["runningCount"]) == (1, 0)
    assert service["deployments"][0]["rolloutState"] == "FAILED"
    assert "CannotPullContainerError" in service["events"][0]["message"]
    assert ":bootstrap: not found" in service["events"][0]["message"]


def test_a_service_on_an_image_its_repository_holds_runs(aws: Aws) -> None:
    service = _ecr_service(aws, "pull-present", ":v1")
    assert (service["runningCount"], service["deployments"][0]["rolloutState"]) == (1, "COMPLETED")
    waiting = _ecr_service(aws, "pull-waiting", ":bootstrap", desired=0)
    assert waiting["deployments"][0]["rolloutState"] == "COMPLETED", "a service that wants no task pulls nothing"


@shows_gap_of("strict_ecs_image_pull")
def test_a_service_on_an_absent_image_runs_without_patch(without_patch: Callable[[str], Aws]) -> None:
    service = _ecr_service(without_patch("strict_ecs_image_pull"), "pull-gap", ":bootstrap")
    assert (service["runningCount"], service["deployments"][0]["rolloutState"]) == (1, "COMPLETED")


def _register_floor(aws: Aws, name: str, low: int, high: int) -> dict:
    aws("application-autoscaling").register_scalable_target(
        ServiceNamespace="ecs", ResourceId=f"service/{name}/api", ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=low, MaxCapacity=high,
    )
    return aws("ecs").describe_services(cluster=name, services=["api"])["services"][0]


def test_registering_a_scalable_target_moves_the_service_count_into_its_range(aws: Aws) -> None:
    _ecr_service(aws, "floor", ":bootstrap", desired=0)
    assert _register_floor(aws, "floor", 0, 3)["desiredCount"] == 0, "0 is inside [0, 3]: left alone"
    raised = _register_floor(aws, "floor", 2, 3)
    assert (raised["desiredCount"], raised["runningCount"]) == (2, 0), "raised to the floor; the image runs nothing"
    assert raised["deployments"][0]["rolloutState"] == "FAILED"
    aws("ecs").update_service(cluster="floor", service="api", desiredCount=3)
    assert _register_floor(aws, "floor", 1, 2)["desiredCount"] == 2, "lowered to the ceiling"


@shows_gap_of("appautoscaling_ecs_count_in_range")
def test_registering_a_scalable_target_leaves_the_count_without_patch(without_patch: Callable[[str], Aws]) -> None:
    aws = without_patch("appautoscaling_ecs_count_in_range")
    _ecr_service(aws, "floor-gap", ":v1", desired=0)
    assert _register_floor(aws, "floor-gap", 2, 3)["desiredCount"] == 0


# ---- ElastiCache ----------------------------------------------------------------------------------


def _cache_subnet_group(aws: Aws, name: str) -> str:
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=f"us-east-1{az}")["Subnet"][
            "SubnetId"
        ]
        for i, az in enumerate("ab")
    ]
    aws("elasticache").create_cache_subnet_group(
        CacheSubnetGroupName=name, CacheSubnetGroupDescription="d", SubnetIds=subnets
    )
    return name


_ENCRYPTED = {
    "Engine": "redis",
    "EngineVersion": "7.1",
    "CacheNodeType": "cache.t4g.small",
    "TransitEncryptionEnabled": True,
    "AtRestEncryptionEnabled": True,
    "KmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/cache",
    "AuthToken": "a-long-enough-auth-token-1234567890",
    "SecurityGroupIds": ["sg-0123456789abcdef0"],
}


def _replication_group(aws: Aws, rg_id: str, subnet_group: str, **shape: object) -> dict:
    """shape overrides the encrypted defaults; a None leaves the argument out."""
    args = {k: v for k, v in {**_ENCRYPTED, **shape}.items() if v is not None}
    return aws("elasticache").create_replication_group(
        ReplicationGroupId=rg_id, ReplicationGroupDescription="d", CacheSubnetGroupName=subnet_group, **args
    )["ReplicationGroup"]


def test_two_node_multi_az_group_has_two_real_member_clusters(aws: Aws) -> None:
    subnets = _cache_subnet_group(aws, "ec-two")
    rg = _replication_group(
        aws, "two", subnets, NumCacheClusters=2, MultiAZEnabled=True, AutomaticFailoverEnabled=True
    )
    assert rg["MemberClusters"] == ["two-001", "two-002"]
    assert (rg["ClusterEnabled"], rg["MultiAZ"], rg["AutomaticFailover"]) == (False, "enabled", "enabled")
    assert (rg["TransitEncryptionEnabled"], rg["AtRestEncryptionEnabled"], rg["AuthTokenEnabled"]) == (
        True,
        True,
        True,
    )
    assert rg["KmsKeyId"] == _ENCRYPTED["KmsKeyId"]
    (group,) = rg["NodeGroups"]
    assert group["PrimaryEndpoint"]["Address"].startswith("master.two.")
    assert group["ReaderEndpoint"]["Address"].startswith("replica.two.")
    assert [m["CurrentRole"] for m in group["NodeGroupMembers"]] == ["primary", "replica"]
    assert "ConfigurationEndpoint" not in rg

    ec = aws("elasticache")
    members = ec.describe_cache_clusters(CacheClusterId="two-002", ShowCacheNodeInfo=True)["CacheClusters"]
    assert members[0]["ReplicationGroupId"] == "two"
    assert members[0]["CacheSubnetGroupName"] == "ec-two"
    assert (members[0]["TransitEncryptionEnabled"], members[0]["AtRestEncryptionEnabled"]) == (True, True)


def test_single_node_group_has_one_member(aws: Aws) -> None:
    rg = _replication_group(aws, "one", _cache_subnet_group(aws, "ec-one"), NumCacheClusters=1)
    assert rg["MemberClusters"] == ["one-001"]
    assert rg["MultiAZ"] == "disabled"


def test_cluster_mode_group_has_shards_replicas_and_configuration_endpoint(aws: Aws) -> None:
    subnets = _cache_subnet_group(aws, "ec-cm")
    rg = _replication_group(
        aws,
        "cm",
        subnets,
        NumNodeGroups=1,
        ReplicasPerNodeGroup=2,
        CacheParameterGroupName="default.redis7.cluster.on",
        AutomaticFailoverEnabled=True,
        MultiAZEnabled=True,
    )
    assert rg["ClusterEnabled"] is True
    assert rg["ClusterMode"] == "enabled"
    assert rg["ConfigurationEndpoint"]["Address"].startswith("clustercfg.cm.")
    assert rg["MemberClusters"] == ["cm-0001-001", "cm-0001-002", "cm-0001-003"]
    (shard,) = rg["NodeGroups"]
    assert (shard["NodeGroupId"], shard["Slots"], len(shard["NodeGroupMembers"])) == ("0001", "0-16383", 3)
    assert "PrimaryEndpoint" not in shard
    member = aws("elasticache").describe_cache_clusters(CacheClusterId="cm-0001-003")["CacheClusters"][0]
    assert member["ReplicationGroupId"] == "cm"


def test_cluster_mode_slots_are_split_between_shards(aws: Aws) -> None:
    rg = _replication_group(
        aws, "cm3", _cache_subnet_group(aws, "ec-cm3"), NumNodeGroups=3, ReplicasPerNodeGroup=1
    )
    assert [g["Slots"] for g in rg["NodeGroups"]] == ["0-5460", "5461-10921", "10922-16383"]
    assert len(rg["MemberClusters"]) == 6


def test_deleted_replication_group_and_its_members_are_gone(aws: Aws) -> None:
    ec = aws("elasticache")
    _replication_group(aws, "gone", _cache_subnet_group(aws, "ec-gone"), NumCacheClusters=2)
    assert ec.delete_replication_group(ReplicationGroupId="gone")["ReplicationGroup"]["Status"] == "deleting"
    with pytest.raises(ClientError, match="ReplicationGroupNotFound"):
        ec.describe_replication_groups(ReplicationGroupId="gone")
    with pytest.raises(ClientError, match="CacheClusterNotFound"):
        ec.describe_cache_clusters(CacheClusterId="gone-001")


@shows_gap_of("elasticache_replication_group_members")
def test_replication_group_topology_is_wrong_without_patch(without_patch: Callable[[str], Aws]) -> None:
    aws = without_patch("elasticache_replication_group_members")
    ec = aws("elasticache")
    subnets = _cache_subnet_group(aws, "ec-gap")
    two = _replication_group(aws, "two-gap", subnets, NumCacheClusters=2)
    cluster_mode = _replication_group(aws, "cm-gap", subnets, NumNodeGroups=2, ReplicasPerNodeGroup=1)
    assert two["MemberClusters"] == ["two-gap-001"]
    assert cluster_mode["ClusterEnabled"] is False
    with pytest.raises(ClientError, match="CacheClusterNotFound"):
        ec.describe_cache_clusters(CacheClusterId="two-gap-001")
    ec.delete_replication_group(ReplicationGroupId="two-gap")
    assert (
        ec.describe_replication_groups(ReplicationGroupId="two-gap")["ReplicationGroups"][0]["Status"]
        == "deleting"
    )


def _cache_cluster(aws: Aws, cluster_id: str) -> dict:
    return aws("elasticache").create_cache_cluster(
        CacheClusterId=cluster_id,
        Engine="redis",
        EngineVersion="7.1",
        CacheNodeType="cache.t4g.micro",
        NumCacheNodes=1,
        SecurityGroupIds=["sg-0123456789abcdef0"],
    )["CacheCluster"]


def test_cache_cluster_reports_security_groups_parameter_group_and_nodes(aws: Aws) -> None:
    _cache_cluster(aws, "fields-ok")
    cluster = aws("elasticache").describe_cache_clusters(CacheClusterId="fields-ok", ShowCacheNodeInfo=True)
    (cluster,) = cluster["CacheClusters"]
    assert cluster["SecurityGroups"] == [{"SecurityGroupId": "sg-0123456789abcdef0", "Status": "active"}]
    assert cluster["CacheParameterGroup"]["CacheParameterGroupName"] == "default.redis7"
    assert cluster["CacheNodes"][0]["Endpoint"]["Port"] == 6379


def test_deleted_cache_cluster_is_gone(aws: Aws) -> None:
    _cache_cluster(aws, "fields-gone")
    ec = aws("elasticache")
    assert (
        ec.delete_cache_cluster(CacheClusterId="fields-gone")["CacheCluster"]["CacheClusterStatus"]
        == "deleting"
    )
    with pytest.raises(ClientError, match="CacheClusterNotFound"):
        ec.describe_cache_clusters(CacheClusterId="fields-gone")


@shows_gap_of("elasticache_cache_cluster_fields")
def test_cache_cluster_lacks_security_groups_and_never_finishes_deleting_without_patch(
    without_patch: Callable[[str], Aws],
) -> None:
    aws = without_patch("elasticache_cache_cluster_fields")
    _cache_cluster(aws, "fields-gap")
    ec = aws("elasticache")
    cluster = ec.describe_cache_clusters(CacheClusterId="fields-gap")["CacheClusters"][0]
    assert "SecurityGroups" not in cluster
    assert "CacheParameterGroup" not in cluster
    ec.delete_cache_cluster(CacheClusterId="fields-gap")
    status = ec.describe_cache_clusters(CacheClusterId="fields-gap")["CacheClusters"][0]["CacheClusterStatus"]
    assert status == "deleting"


def test_cache_subnet_group_can_be_deleted_once_unused(aws: Aws) -> None:
    ec = aws("elasticache")
    name = _cache_subnet_group(aws, "ec-del")
    _replication_group(aws, "uses-subnets", name, NumCacheClusters=1)
    with pytest.raises(ClientError, match="CacheSubnetGroupInUse"):
        ec.delete_cache_subnet_group(CacheSubnetGroupName=name)
    ec.delete_replication_group(ReplicationGroupId="uses-subnets")
    ec.delete_cache_subnet_group(CacheSubnetGroupName=name)
    with pytest.raises(ClientError, match="CacheSubnetGroupNotFound"):
        ec.describe_cache_subnet_groups(CacheSubnetGroupName=name)


@shows_gap_of("elasticache_delete_cache_subnet_group")
def test_cache_subnet_group_cannot_be_deleted_without_patch(without_patch: Callable[[str], Aws]) -> None:
    aws = without_patch("elasticache_delete_cache_subnet_group")
    name = _cache_subnet_group(aws, "ec-del-gap")
    with pytest.raises(Exception, match=r"invalid XML|500"):
        aws("elasticache").delete_cache_subnet_group(CacheSubnetGroupName=name)


def _iam_users(aws: Aws, prefix: str) -> list[str]:
    ec = aws("elasticache")
    ec.create_user(UserId=f"{prefix}-default", UserName="default", Engine="redis", AccessString="off -@all",
                   AuthenticationMode={"Type": "no-password-required"})
    ec.create_user(UserId=f"{prefix}-app", UserName=f"{prefix}-app", Engine="redis", AccessString="on ~* +@all",
                   AuthenticationMode={"Type": "iam"})
    return [f"{prefix}-default", f"{prefix}-app"]


def test_user_group_lifecycle_with_a_replication_group(aws: Aws) -> None:
    ec = aws("elasticache")
    users = _iam_users(aws, "ug")
    created = ec.create_user_group(UserGroupId="ug", Engine="redis", UserIds=users,
                                   Tags=[{"Key": "Environment", "Value": "dev"}])
    assert created["Status"] == "creating" and created["ARN"].endswith(":usergroup:ug")
    (group,) = ec.describe_user_groups(UserGroupId="ug")["UserGroups"]
    assert group["Status"] == "active" and sorted(group["UserIds"]) == sorted(users)
    assert ec.list_tags_for_resource(ResourceName=group["ARN"])["TagList"] == [{"Key": "Environment", "Value": "dev"}]
    rg = _replication_group(aws, "with-users", _cache_subnet_group(aws, "ec-ug"), NumCacheClusters=1,
                            UserGroupIds=["ug"], AuthToken=None)
    assert rg["UserGroupIds"] == ["ug"]
    assert ec.describe_user_groups(UserGroupId="ug")["UserGroups"][0]["ReplicationGroups"] == ["with-users"]
    with pytest.raises(ClientError, match="InvalidUserGroupState"):
        ec.delete_user_group(UserGroupId="ug")
    ec.delete_replication_group(ReplicationGroupId="with-users")
    assert ec.delete_user_group(UserGroupId="ug")["Status"] == "deleting"
    # Only this test's group: the session's emulator holds other tests' groups too (whatever their order).
    assert "ug" not in [g["UserGroupId"] for g in ec.describe_user_groups()["UserGroups"]]
    with pytest.raises(ClientError, match="UserGroupNotFound"):
        ec.describe_user_groups(UserGroupId="ug")


def test_user_groups_refuse_what_aws_refuses(aws: Aws) -> None:
    ec = aws("elasticache")
    default, app = _iam_users(aws, "bad")
    with pytest.raises(ClientError, match="DefaultUserRequired"):
        ec.create_user_group(UserGroupId="no-default", Engine="redis", UserIds=[app])
    with pytest.raises(ClientError, match="UserNotFound"):
        ec.create_user_group(UserGroupId="ghost", Engine="redis", UserIds=[default, "nobody"])
    ec.create_user_group(UserGroupId="ok", Engine="redis", UserIds=[default])
    with pytest.raises(ClientError, match="UserGroupAlreadyExists"):
        ec.create_user_group(UserGroupId="ok", Engine="redis", UserIds=[default])
    with pytest.raises(ClientError, match="DefaultUserRequired"):
        ec.modify_user_group(UserGroupId="ok", UserIdsToRemove=[default])
    subnets = _cache_subnet_group(aws, "ec-bad")
    with pytest.raises(ClientError, match="UserGroupNotFound"):
        _replication_group(aws, "rg-ghost", subnets, NumCacheClusters=1, UserGroupIds=["missing"], AuthToken=None)
    with pytest.raises(ClientError, match="InvalidParameterCombination"):
        _replication_group(aws, "rg-token", subnets, NumCacheClusters=1, UserGroupIds=["ok"])  # and its AuthToken
    with pytest.raises(ClientError, match="InvalidParameterCombination"):
        _replication_group(aws, "rg-plain", subnets, NumCacheClusters=1, UserGroupIds=["ok"], AuthToken=None,
                           TransitEncryptionEnabled=False)


@shows_gap_of("elasticache_user_groups")
def test_user_groups_do_not_exist_without_patch(without_patch: Callable[[str], Aws]) -> None:
    aws = without_patch("elasticache_user_groups")
    users = _iam_users(aws, "gap")
    with pytest.raises(Exception, match=r"invalid XML|500|not.*implemented"):
        aws("elasticache").create_user_group(UserGroupId="gap", Engine="redis", UserIds=users)


# ---- AppConfig ------------------------------------------------------------------------------------


def _flags_profile(appconfig: object, name: str) -> tuple[str, str]:
    app = appconfig.create_application(Name=name)["Id"]
    profile = appconfig.create_configuration_profile(
        ApplicationId=app, Name="flags", LocationUri="hosted", Type="AWS.AppConfig.FeatureFlags"
    )["Id"]
    return app, profile


_FLAGS = json.dumps(
    {"version": "1", "flags": {"beta": {"name": "beta"}}, "values": {"beta": {"enabled": True}}}
)


def test_environment_lifecycle(aws: Aws) -> None:
    appconfig = aws("appconfig")
    app, _ = _flags_profile(appconfig, "env-ok")
    env = appconfig.create_environment(ApplicationId=app, Name="dev", Description="d", Tags={"Team": "core"})
    assert (env["State"], env["Name"]) == ("ReadyForDeployment", "dev")
    appconfig.update_environment(ApplicationId=app, EnvironmentId=env["Id"], Description="changed")
    assert appconfig.get_environment(ApplicationId=app, EnvironmentId=env["Id"])["Description"] == "changed"
    assert [e["Id"] for e in appconfig.list_environments(ApplicationId=app)["Items"]] == [env["Id"]]
    arn = f"arn:aws:appconfig:us-east-1:123456789012:application/{app}/environment/{env['Id']}"
    assert appconfig.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"Team": "core"}
    appconfig.delete_environment(ApplicationId=app, EnvironmentId=env["Id"])
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        appconfig.get_environment(ApplicationId=app, EnvironmentId=env["Id"])


def test_deployment_strategy_lifecycle_and_predefined_strategies(aws: Aws) -> None:
    appconfig = aws("appconfig")
    strategy = appconfig.create_deployment_strategy(
        Name="fast",
        DeploymentDurationInMinutes=0,
        GrowthFactor=100,
        FinalBakeTimeInMinutes=1,
        ReplicateTo="NONE",
    )
    appconfig.update_deployment_strategy(DeploymentStrategyId=strategy["Id"], FinalBakeTimeInMinutes=2)
    assert (
        appconfig.get_deployment_strategy(DeploymentStrategyId=strategy["Id"])["FinalBakeTimeInMinutes"] == 2
    )
    names = [s["Name"] for s in appconfig.list_deployment_strategies()["Items"]]
    assert {"AppConfig.AllAtOnce", "fast"} <= set(names)
    assert (
        appconfig.get_deployment_strategy(DeploymentStrategyId="AppConfig.AllAtOnce")["GrowthFactor"] == 100
    )
    appconfig.delete_deployment_strategy(DeploymentStrategyId=strategy["Id"])
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        appconfig.get_deployment_strategy(DeploymentStrategyId=strategy["Id"])


def test_deployment_of_a_hosted_version_completes(aws: Aws) -> None:
    appconfig = aws("appconfig")
    app, profile = _flags_profile(appconfig, "deploy-ok")
    env = appconfig.create_environment(ApplicationId=app, Name="dev")["Id"]
    version = appconfig.create_hosted_configuration_version(
        ApplicationId=app,
        ConfigurationProfileId=profile,
        Content=_FLAGS.encode(),
        ContentType="application/json",
    )["VersionNumber"]
    for _ in range(2):
        started = appconfig.start_deployment(
            ApplicationId=app,
            EnvironmentId=env,
            DeploymentStrategyId="AppConfig.AllAtOnce",
            ConfigurationProfileId=profile,
            ConfigurationVersion=str(version),
        )
    assert (started["DeploymentNumber"], started["State"], started["PercentageComplete"]) == (
        2,
        "COMPLETE",
        100.0,
    )
    got = appconfig.get_deployment(ApplicationId=app, EnvironmentId=env, DeploymentNumber=2)
    assert (got["ConfigurationVersion"], got["ConfigurationName"]) == (str(version), "flags")
    listed = appconfig.list_deployments(ApplicationId=app, EnvironmentId=env)["Items"]
    assert [d["DeploymentNumber"] for d in listed] == [2, 1]


def test_deployment_of_a_missing_version_is_refused(aws: Aws) -> None:
    appconfig = aws("appconfig")
    app, profile = _flags_profile(appconfig, "deploy-missing")
    env = appconfig.create_environment(ApplicationId=app, Name="dev")["Id"]
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        appconfig.start_deployment(
            ApplicationId=app,
            EnvironmentId=env,
            DeploymentStrategyId="AppConfig.AllAtOnce",
            ConfigurationProfileId=profile,
            ConfigurationVersion="7",
        )


@shows_gap_of("appconfig_environments_and_deployments")
def test_environments_do_not_exist_without_patch(without_patch: Callable[[str], Aws]) -> None:
    appconfig = without_patch("appconfig_environments_and_deployments")("appconfig")
    app, _ = _flags_profile(appconfig, "env-gap")
    with pytest.raises(ClientError, match=r"\(404\)"):
        appconfig.create_environment(ApplicationId=app, Name="dev")
    with pytest.raises(ClientError, match=r"\(404\)"):
        appconfig.list_deployment_strategies()


_KEY = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"


def test_configuration_profile_keeps_its_kms_key(aws: Aws) -> None:
    appconfig = aws("appconfig")
    app = appconfig.create_application(Name="kms-ok")["Id"]
    created = appconfig.create_configuration_profile(
        ApplicationId=app, Name="flags", LocationUri="hosted", Type="AWS.Freeform", KmsKeyIdentifier=_KEY
    )
    got = appconfig.get_configuration_profile(ApplicationId=app, ConfigurationProfileId=created["Id"])
    assert created["KmsKeyIdentifier"] == got["KmsKeyIdentifier"] == got["KmsKeyArn"] == _KEY
    other = _KEY.replace("1111", "9999")
    appconfig.update_configuration_profile(
        ApplicationId=app, ConfigurationProfileId=created["Id"], KmsKeyIdentifier=other
    )
    got = appconfig.get_configuration_profile(ApplicationId=app, ConfigurationProfileId=created["Id"])
    assert got["KmsKeyIdentifier"] == other


@shows_gap_of("appconfig_profile_kms_key")
def test_configuration_profile_drops_its_kms_key_without_patch(without_patch: Callable[[str], Aws]) -> None:
    appconfig = without_patch("appconfig_profile_kms_key")("appconfig")
    app = appconfig.create_application(Name="kms-gap")["Id"]
    created = appconfig.create_configuration_profile(
        ApplicationId=app, Name="flags", LocationUri="hosted", Type="AWS.Freeform", KmsKeyIdentifier=_KEY
    )
    got = appconfig.get_configuration_profile(ApplicationId=app, ConfigurationProfileId=created["Id"])
    assert "KmsKeyIdentifier" not in got


def test_hosted_version_without_description_has_none(aws: Aws) -> None:
    appconfig = aws("appconfig")
    app, profile = _flags_profile(appconfig, "desc-ok")
    created = appconfig.create_hosted_configuration_version(
        ApplicationId=app,
        ConfigurationProfileId=profile,
        Content=_FLAGS.encode(),
        ContentType="application/json",
    )
    got = appconfig.get_hosted_configuration_version(
        ApplicationId=app, ConfigurationProfileId=profile, VersionNumber=1
    )
    assert "Description" not in created
    assert "Description" not in got
    assert json.loads(got["Content"].read()) == json.loads(_FLAGS)


@shows_gap_of("appconfig_hosted_version_description")
def test_hosted_version_description_reads_none_without_patch(without_patch: Callable[[str], Aws]) -> None:
    appconfig = without_patch("appconfig_hosted_version_description")("appconfig")
    app, profile = _flags_profile(appconfig, "desc-gap")
    appconfig.create_hosted_configuration_version(
        ApplicationId=app,
        ConfigurationProfileId=profile,
        Content=_FLAGS.encode(),
        ContentType="application/json",
    )
    got = appconfig.get_hosted_configuration_version(
        ApplicationId=app, ConfigurationProfileId=profile, VersionNumber=1
    )
    assert got["Description"] == "None"


def test_applications_and_hosted_versions_can_be_listed(aws: Aws) -> None:
    appconfig = aws("appconfig")
    app, profile = _flags_profile(appconfig, "list-ok")
    for label in ("v1", "v2"):
        appconfig.create_hosted_configuration_version(
            ApplicationId=app,
            ConfigurationProfileId=profile,
            Content=_FLAGS.encode(),
            ContentType="application/json",
            VersionLabel=label,
        )
    assert app in [a["Id"] for a in appconfig.list_applications()["Items"]]
    versions = appconfig.list_hosted_configuration_versions(ApplicationId=app, ConfigurationProfileId=profile)
    assert [(v["VersionNumber"], v["VersionLabel"]) for v in versions["Items"]] == [(2, "v2"), (1, "v1")]


@shows_gap_of("appconfig_list_operations")
def test_applications_cannot_be_listed_without_patch(without_patch: Callable[[str], Aws]) -> None:
    appconfig = without_patch("appconfig_list_operations")("appconfig")
    with pytest.raises(ClientError, match=r"\(500\)"):
        appconfig.list_applications()


# ---- ElastiCache parameter groups -----------------------------------------------------------------


def _parameter_group_arn(name: str) -> str:
    return f"arn:aws:elasticache:us-east-1:123456789012:parametergroup:{name}"


_CLUSTER_PARAMETERS = [
    {"ParameterName": "cluster-enabled", "ParameterValue": "yes"},
    {"ParameterName": "maxmemory-policy", "ParameterValue": "allkeys-lru"},
]


def test_cache_parameter_group_lifecycle(aws: Aws) -> None:
    ec = aws("elasticache")
    created = ec.create_cache_parameter_group(
        CacheParameterGroupName="pg-life",
        CacheParameterGroupFamily="redis7",
        Description="Redis parameters",
        Tags=[{"Key": "Team", "Value": "core"}],
    )["CacheParameterGroup"]
    assert created == {
        "CacheParameterGroupName": "pg-life",
        "CacheParameterGroupFamily": "redis7",
        "Description": "Redis parameters",
        "IsGlobal": False,
        "ARN": _parameter_group_arn("pg-life"),
    }
    assert ec.describe_cache_parameter_groups(CacheParameterGroupName="pg-life")["CacheParameterGroups"] == [
        created
    ]
    modified = ec.modify_cache_parameter_group(
        CacheParameterGroupName="pg-life", ParameterNameValues=_CLUSTER_PARAMETERS
    )
    assert modified["CacheParameterGroupName"] == "pg-life"
    user = ec.describe_cache_parameters(CacheParameterGroupName="pg-life", Source="user")["Parameters"]
    assert [(p["ParameterName"], p["ParameterValue"], p["Source"]) for p in user] == [
        ("cluster-enabled", "yes", "user"),
        ("maxmemory-policy", "allkeys-lru", "user"),
    ]
    assert ec.describe_cache_parameters(CacheParameterGroupName="pg-life")["Parameters"] == user
    assert ec.describe_cache_parameters(CacheParameterGroupName="pg-life", Source="system")["Parameters"] == []

    arn = _parameter_group_arn("pg-life")
    ec.add_tags_to_resource(ResourceName=arn, Tags=[{"Key": "Env", "Value": "dev"}])
    assert {t["Key"]: t["Value"] for t in ec.list_tags_for_resource(ResourceName=arn)["TagList"]} == {
        "Team": "core",
        "Env": "dev",
    }

    ec.reset_cache_parameter_group(
        CacheParameterGroupName="pg-life", ParameterNameValues=[{"ParameterName": "maxmemory-policy"}]
    )
    user = ec.describe_cache_parameters(CacheParameterGroupName="pg-life", Source="user")["Parameters"]
    assert [p["ParameterName"] for p in user] == ["cluster-enabled"]
    ec.reset_cache_parameter_group(CacheParameterGroupName="pg-life", ResetAllParameters=True)
    assert ec.describe_cache_parameters(CacheParameterGroupName="pg-life")["Parameters"] == []

    ec.delete_cache_parameter_group(CacheParameterGroupName="pg-life")
    with pytest.raises(ClientError, match="CacheParameterGroupNotFound"):
        ec.describe_cache_parameter_groups(CacheParameterGroupName="pg-life")
    with pytest.raises(ClientError, match="CacheParameterGroupNotFound"):
        ec.list_tags_for_resource(ResourceName=arn)
    with pytest.raises(ClientError, match="CacheParameterGroupNotFound"):
        ec.delete_cache_parameter_group(CacheParameterGroupName="pg-life")


def test_cache_parameter_group_errors(aws: Aws) -> None:
    ec = aws("elasticache")
    ec.create_cache_parameter_group(
        CacheParameterGroupName="PG-Dup", CacheParameterGroupFamily="valkey8", Description="d"
    )
    assert (
        ec.describe_cache_parameter_groups(CacheParameterGroupName="pg-dup")["CacheParameterGroups"][0][
            "CacheParameterGroupName"
        ]
        == "pg-dup"
    )
    with pytest.raises(ClientError, match="CacheParameterGroupAlreadyExists"):
        ec.create_cache_parameter_group(
            CacheParameterGroupName="pg-dup", CacheParameterGroupFamily="redis7", Description="d"
        )
    with pytest.raises(ClientError, match="InvalidParameterValue"):
        ec.create_cache_parameter_group(
            CacheParameterGroupName="pg-bad-family", CacheParameterGroupFamily="redis99", Description="d"
        )
    for call in (
        lambda: ec.modify_cache_parameter_group(
            CacheParameterGroupName="pg-missing", ParameterNameValues=_CLUSTER_PARAMETERS
        ),
        lambda: ec.describe_cache_parameters(CacheParameterGroupName="pg-missing"),
        lambda: ec.describe_cache_parameter_groups(CacheParameterGroupName="pg-missing"),
    ):
        with pytest.raises(ClientError, match="CacheParameterGroupNotFound"):
            call()


def test_default_cache_parameter_groups_can_be_read_but_not_changed(aws: Aws) -> None:
    ec = aws("elasticache")
    for name, family in (
        ("default.redis7", "redis7"),
        ("default.redis7.cluster.on", "redis7"),
        ("default.memcached1.6", "memcached1.6"),
    ):
        (group,) = ec.describe_cache_parameter_groups(CacheParameterGroupName=name)["CacheParameterGroups"]
        assert (group["CacheParameterGroupFamily"], group["IsGlobal"]) == (family, False)
    listed = [g["CacheParameterGroupName"] for g in ec.describe_cache_parameter_groups()["CacheParameterGroups"]]
    assert {"default.redis7", "default.valkey8.cluster.on"} <= set(listed)
    with pytest.raises(ClientError, match="InvalidParameterValue"):
        ec.modify_cache_parameter_group(
            CacheParameterGroupName="default.redis7", ParameterNameValues=_CLUSTER_PARAMETERS
        )
    with pytest.raises(ClientError, match="InvalidParameterValue"):
        ec.delete_cache_parameter_group(CacheParameterGroupName="default.redis7")
    with pytest.raises(ClientError, match="CacheParameterGroupAlreadyExists"):
        ec.create_cache_parameter_group(
            CacheParameterGroupName="default.redis7", CacheParameterGroupFamily="redis7", Description="d"
        )


def test_cache_parameter_group_in_use_cannot_be_deleted(aws: Aws) -> None:
    ec = aws("elasticache")
    for name in ("pg-rg", "pg-cc"):
        ec.create_cache_parameter_group(
            CacheParameterGroupName=name, CacheParameterGroupFamily="redis7", Description="d"
        )
    _replication_group(
        aws, "uses-pg", _cache_subnet_group(aws, "ec-uses-pg"), NumCacheClusters=1, CacheParameterGroupName="pg-rg"
    )
    member = ec.describe_cache_clusters(CacheClusterId="uses-pg-001")["CacheClusters"][0]
    assert member["CacheParameterGroup"]["CacheParameterGroupName"] == "pg-rg"
    ec.create_cache_cluster(
        CacheClusterId="uses-pg-cc",
        Engine="redis",
        CacheNodeType="cache.t4g.micro",
        NumCacheNodes=1,
        CacheParameterGroupName="pg-cc",
    )
    for name in ("pg-rg", "pg-cc"):
        with pytest.raises(ClientError, match="InvalidCacheParameterGroupState"):
            ec.delete_cache_parameter_group(CacheParameterGroupName=name)
    ec.delete_replication_group(ReplicationGroupId="uses-pg")
    ec.delete_cache_cluster(CacheClusterId="uses-pg-cc")
    for name in ("pg-rg", "pg-cc"):
        ec.delete_cache_parameter_group(CacheParameterGroupName=name)


@shows_gap_of("elasticache_cache_parameter_groups")
def test_cache_parameter_groups_do_not_exist_without_patch(without_patch: Callable[[str], Aws]) -> None:
    ec = without_patch("elasticache_cache_parameter_groups")("elasticache")
    with pytest.raises(Exception, match=r"invalid XML|500"):
        ec.create_cache_parameter_group(
            CacheParameterGroupName="pg-gap", CacheParameterGroupFamily="redis7", Description="d"
        )
    with pytest.raises(ClientError, match="InvalidARN"):
        ec.list_tags_for_resource(ResourceName=_parameter_group_arn("pg-gap"))


# ---- S3 bucket policy conditions ------------------------------------------------------------------


def _policy_bucket(aws: Aws, bucket: str, *statements: dict) -> object:
    """A bucket with the TLS-only statement (and ``statements``) as its policy."""
    s3 = aws("s3")
    s3.create_bucket(Bucket=bucket)
    arn = f"arn:aws:s3:::{bucket}"
    tls_only = {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn, f"{arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    policy = {"Version": "2012-10-17", "Statement": [tls_only, *statements]}
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    return s3


def _denied(call: Callable[[], object]) -> bool:
    try:
        call()
    except ClientError as exc:
        assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        return True
    return False


def test_tls_only_bucket_serves_object_requests(aws: Aws) -> None:
    s3 = _policy_bucket(aws, "tls-only-ok")
    s3.put_object(Bucket="tls-only-ok", Key="a/state.tfstate", Body=b"{}")
    assert s3.get_object(Bucket="tls-only-ok", Key="a/state.tfstate")["Body"].read() == b"{}"
    assert s3.head_object(Bucket="tls-only-ok", Key="a/state.tfstate")["ContentLength"] == 2
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="tls-only-ok")["Contents"]] == ["a/state.tfstate"]
    s3.put_object(Bucket="tls-only-ok", Key="b", Body=b"x")
    deleted = s3.delete_objects(Bucket="tls-only-ok", Delete={"Objects": [{"Key": "b"}]})
    assert [d["Key"] for d in deleted["Deleted"]] == ["b"]
    s3.delete_object(Bucket="tls-only-ok", Key="a/state.tfstate")


def test_bucket_policy_encryption_header_condition_is_evaluated(aws: Aws) -> None:
    # The bootstrap state bucket's statement: only SSE-KMS uploads.
    bucket = "kms-only-ok"
    s3 = _policy_bucket(
        aws,
        bucket,
        {
            "Sid": "DenyNonKmsEncryptionHeader",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "s3:PutObject",
            "Resource": f"arn:aws:s3:::{bucket}/*",
            "Condition": {"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}},
        },
    )
    kms_key = "arn:aws:kms:us-east-1:123456789012:key/state"
    s3.put_object(Bucket=bucket, Key="kms", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=kms_key)
    assert s3.get_object(Bucket=bucket, Key="kms")["Body"].read() == b"x"
    assert _denied(lambda: s3.put_object(Bucket=bucket, Key="aes", Body=b"x", ServerSideEncryption="AES256"))
    # IfExists on an absent key is true, so a PutObject without the header is refused too, as on AWS.
    assert _denied(lambda: s3.put_object(Bucket=bucket, Key="plain", Body=b"x"))


def test_bucket_policy_conditions_follow_iam_operators(aws: Aws) -> None:
    bucket = "cond-ops-ok"
    arn = f"arn:aws:s3:::{bucket}"
    s3 = _policy_bucket(
        aws,
        bucket,
        {  # a key the emulator cannot know: the statement does not apply
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": f"{arn}/*",
            "Condition": {"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/ci"}},
        },
        {  # negated operator on an absent header: true
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": f"{arn}/acl/*",
            "Condition": {"StringNotLike": {"s3:x-amz-acl": "bucket-owner-*"}},
        },
        {  # Null check: the header must be present
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": f"{arn}/sse/*",
            "Condition": {"Null": {"s3:x-amz-server-side-encryption": "true"}},
        },
        {  # Bool on aws:SecureTransport = true matches: the emulator stands in for HTTPS
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"{arn}/secret/*",
            "Condition": {"Bool": {"aws:SecureTransport": True}},
        },
    )
    s3.put_object(Bucket=bucket, Key="free", Body=b"x")
    assert _denied(lambda: s3.put_object(Bucket=bucket, Key="acl/a", Body=b"x"))
    s3.put_object(Bucket=bucket, Key="acl/b", Body=b"x", ACL="bucket-owner-full-control")
    assert _denied(lambda: s3.put_object(Bucket=bucket, Key="sse/a", Body=b"x"))
    s3.put_object(Bucket=bucket, Key="sse/b", Body=b"x", ServerSideEncryption="AES256")
    s3.put_object(Bucket=bucket, Key="secret/a", Body=b"x")
    assert _denied(lambda: s3.get_object(Bucket=bucket, Key="secret/a"))


@shows_gap_of("s3_bucket_policy_conditions")
def test_tls_only_bucket_denies_every_object_request_without_patch(without_patch: Callable[[str], Aws]) -> None:
    s3 = _policy_bucket(without_patch("s3_bucket_policy_conditions"), "tls-only-gap")
    assert _denied(lambda: s3.put_object(Bucket="tls-only-gap", Key="k", Body=b"x"))
    assert _denied(lambda: s3.get_object(Bucket="tls-only-gap", Key="k"))


# ---- EC2 security group rules ---------------------------------------------------------------------


def _groups_with_referencing_rules(aws: Aws, name: str) -> tuple[str, str, list[dict]]:
    """Group ``name`` with an ingress and an egress rule that reference group ``name-src``."""
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    group = ec2.create_security_group(GroupName=name, Description="d", VpcId=vpc)["GroupId"]
    source = ec2.create_security_group(GroupName=f"{name}-src", Description="d", VpcId=vpc)["GroupId"]
    pair = {"GroupId": source, "Description": "Redis from allowed security group 1"}
    permission = {"IpProtocol": "tcp", "FromPort": 6379, "ToPort": 6379, "UserIdGroupPairs": [pair]}
    rules = ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[permission])["SecurityGroupRules"]
    rules += ec2.authorize_security_group_egress(
        GroupId=group,
        IpPermissions=[{**permission, "UserIdGroupPairs": [{"GroupId": source, "Description": "To the source"}]}],
    )["SecurityGroupRules"]
    return group, source, rules


def test_referencing_rules_keep_their_description(aws: Aws) -> None:
    ec2 = aws("ec2")
    group, source, created = _groups_with_referencing_rules(aws, "sgr-desc-ok")
    assert [r["Description"] for r in created] == ["Redis from allowed security group 1", "To the source"]
    ids = [r["SecurityGroupRuleId"] for r in created]
    described = ec2.describe_security_group_rules(SecurityGroupRuleIds=ids)["SecurityGroupRules"]
    assert {r["SecurityGroupRuleId"]: r["Description"] for r in described} == {
        ids[0]: "Redis from allowed security group 1",
        ids[1]: "To the source",
    }
    assert all(r["ReferencedGroupInfo"]["GroupId"] == source for r in described)
    by_group = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group]}])
    assert "Redis from allowed security group 1" in [r.get("Description") for r in by_group["SecurityGroupRules"]]


def test_modified_referencing_rule_description_shows_everywhere(aws: Aws) -> None:
    ec2 = aws("ec2")
    group, source, created = _groups_with_referencing_rules(aws, "sgr-desc-mod")
    rule_id = created[0]["SecurityGroupRuleId"]
    ec2.modify_security_group_rules(
        GroupId=group,
        SecurityGroupRules=[
            {
                "SecurityGroupRuleId": rule_id,
                "SecurityGroupRule": {
                    "IpProtocol": "tcp",
                    "FromPort": 6379,
                    "ToPort": 6379,
                    "ReferencedGroupId": source,
                    "Description": "changed",
                },
            }
        ],
    )
    rule = ec2.describe_security_group_rules(SecurityGroupRuleIds=[rule_id])["SecurityGroupRules"][0]
    assert rule["Description"] == "changed"
    (ingress,) = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"][0]["IpPermissions"]
    assert ingress["UserIdGroupPairs"][0]["Description"] == "changed"
    assert ingress["IpRanges"] == []


def test_cidr_rule_description_is_unchanged(aws: Aws) -> None:
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.21.0.0/16")["Vpc"]["VpcId"]
    group = ec2.create_security_group(GroupName="sgr-cidr", Description="d", VpcId=vpc)["GroupId"]
    (rule,) = ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "HTTPS from the internet"}],
            }
        ],
    )["SecurityGroupRules"]
    assert rule["Description"] == "HTTPS from the internet"
    assert rule["CidrIpv4"] == "0.0.0.0/0"


@shows_gap_of("ec2_security_group_rule_descriptions")
def test_referencing_rules_lose_their_description_without_patch(without_patch: Callable[[str], Aws]) -> None:
    aws = without_patch("ec2_security_group_rule_descriptions")
    _, _, created = _groups_with_referencing_rules(aws, "sgr-desc-gap")
    described = aws("ec2").describe_security_group_rules(
        SecurityGroupRuleIds=[r["SecurityGroupRuleId"] for r in created]
    )["SecurityGroupRules"]
    assert [r.get("Description") for r in created] == [None, None]
    assert [r.get("Description") for r in described] == [None, None]


# ---- S3: emptying a bucket whose versioning was suspended --------------------------------------------------


def _write_state_like_the_s3_backend(s3: object, bucket: str) -> None:
    """What the S3 backend (``use_lockfile``) leaves in a versioned bucket: state versions, a deleted .tflock."""
    for serial in (1, 2):
        s3.put_object(Bucket=bucket, Key="envs/dev/terraform.tfstate", Body=b'{"serial": %d}' % serial)
    s3.put_object(Bucket=bucket, Key="envs/dev/terraform.tfstate.tflock", Body=b"{}")
    s3.delete_object(Bucket=bucket, Key="envs/dev/terraform.tfstate.tflock")  # leaves a delete marker


def _suspended_bucket_with_delete_marker(s3: object, bucket: str) -> list[dict]:
    """A versioned state bucket whose versioning is then suspended, as destroying aws_s3_bucket_versioning does.

    Returns every version and delete marker, as ``force_destroy`` lists them for ``DeleteObjects``.
    """
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    _write_state_like_the_s3_backend(s3, bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    listed = s3.list_object_versions(Bucket=bucket)
    return [
        {"Key": v["Key"], "VersionId": v["VersionId"]} for v in listed["Versions"] + listed["DeleteMarkers"]
    ]


def test_suspended_bucket_with_delete_markers_can_be_emptied(aws: Aws) -> None:
    s3 = aws("s3")
    objects = _suspended_bucket_with_delete_marker(s3, "dm-suspended-ok")
    assert len(objects) == 4
    result = s3.delete_objects(Bucket="dm-suspended-ok", Delete={"Objects": objects})
    assert "Errors" not in result
    assert sorted((d["Key"], d["VersionId"]) for d in result["Deleted"]) == sorted(
        (o["Key"], o["VersionId"]) for o in objects
    )
    listed = s3.list_object_versions(Bucket="dm-suspended-ok")
    assert "Versions" not in listed and "DeleteMarkers" not in listed
    s3.delete_bucket(Bucket="dm-suspended-ok")


_DESTROY_ROOT_HCL = """
provider "aws" {
  region = "us-east-1"
}

resource "aws_s3_bucket" "state" {
  bucket        = "tf-destroy-markers"
  force_destroy = true
}

resource "aws_s3_bucket_versioning" "state" {
  bucket = aws_s3_bucket.state.id
  versioning_configuration {
    status = "Enabled"
  }
}
"""


@pytest.mark.integration  # ~25 s; the boto3 test above covers the patch in make test
@pytest.mark.terraform
def test_terraform_force_destroys_a_versioned_bucket_holding_delete_markers(
    aws: Aws, emulator: EmulatorInfo, toolchain: Toolchain, tmp_path: Path
) -> None:
    """terraform/bootstrap's teardown in small: versioning is destroyed (suspended) before the bucket is emptied."""
    from infra.workspace import override_hcl  # here: a broken workspace module must not stop the other tests

    (tmp_path / "main.tf").write_text(_DESTROY_ROOT_HCL)
    (tmp_path / "override.tf").write_text(override_hcl(emulator.endpoint, 'backend "local" {}'))

    def terraform(*args: str) -> None:
        proc = subprocess.run(
            [toolchain.terraform, *args, "-input=false", "-no-color"],
            cwd=tmp_path, env=toolchain.env(), capture_output=True, text=True, timeout=180, check=False,
        )
        assert proc.returncode == 0, f"terraform {args[0]}:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"

    terraform("init")
    terraform("apply", "-auto-approve")
    s3 = aws("s3")
    _write_state_like_the_s3_backend(s3, "tf-destroy-markers")
    terraform("destroy", "-auto-approve", "-refresh=false")
    assert "tf-destroy-markers" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


@shows_gap_of("s3_delete_objects_delete_markers")
def test_suspended_bucket_with_delete_markers_cannot_be_emptied_without_patch(
    without_patch: Callable[[str], Aws],
) -> None:
    s3 = without_patch("s3_delete_objects_delete_markers")("s3")
    objects = _suspended_bucket_with_delete_marker(s3, "dm-suspended-gap")
    with pytest.raises(ClientError) as raised:
        s3.delete_objects(Bucket="dm-suspended-gap", Delete={"Objects": objects})
    response = raised.value.response["ResponseMetadata"]
    assert response["HTTPStatusCode"] == 500
    assert response["HTTPHeaders"]["content-type"].startswith("text/html")  # not even an S3 XML error


# ---- Strict: refusals AWS makes that moto does not -------------------------------------------------
# Each configuration below is one the AWS review found would fail on AWS; with the strict patches
# the emulator fails it the same way, and the *_without_patch tests show that plain moto does not.


def _pending_certificate(aws: Aws, domain: str) -> tuple[str, dict]:
    acm = aws("acm")
    arn = acm.request_certificate(DomainName=domain, ValidationMethod="DNS")["CertificateArn"]
    (option,) = acm.describe_certificate(CertificateArn=arn)["Certificate"]["DomainValidationOptions"]
    return arn, option["ResourceRecord"]


def _add_validation_record(aws: Aws, zone: str, record: dict) -> None:
    route53 = aws("route53")
    zone_id = route53.create_hosted_zone(Name=zone, CallerReference=f"ref-{zone}")["HostedZone"]["Id"]
    route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [{
        "Action": "UPSERT",
        "ResourceRecordSet": {"Name": record["Name"], "Type": record["Type"], "TTL": 300,
                              "ResourceRecords": [{"Value": record["Value"]}]},
    }]})


def _status(aws: Aws, arn: str) -> str:
    return aws("acm").describe_certificate(CertificateArn=arn)["Certificate"]["Status"]


def test_a_certificate_is_issued_once_its_validation_record_exists_and_not_before(aws: Aws) -> None:
    arn, record = _pending_certificate(aws, "api.issued.acme-corp.internal")
    other, _ = _pending_certificate(aws, "api.never.acme-corp.internal")
    assert _status(aws, arn) == "PENDING_VALIDATION"
    _add_validation_record(aws, "issued.acme-corp.internal", record)
    assert _status(aws, arn) == "ISSUED"
    assert _status(aws, other) == "PENDING_VALIDATION"  # nobody created its record: never issued


@shows_gap_of("strict_acm_dns_validation")
def test_the_validation_record_changes_nothing_without_patch(without_patch: Callable[[str], Aws]) -> None:
    aws = without_patch("strict_acm_dns_validation")
    arn, record = _pending_certificate(aws, "api.gap.acme-corp.internal")
    _add_validation_record(aws, "gap.acme-corp.internal", record)
    assert _status(aws, arn) == "PENDING_VALIDATION"  # moto issues by the clock (60 s), not by DNS


def _https_listener(aws: Aws, name: str, certificate_arn: str) -> dict:
    ec2, elbv2 = aws("ec2"), aws("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.42.{i}.0/24", AvailabilityZone=f"us-east-1{az}")
               ["Subnet"]["SubnetId"] for i, az in enumerate("ab")]
    lb = elbv2.create_load_balancer(Name=name, Subnets=subnets, Type="application")["LoadBalancers"][0]
    return elbv2.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTPS", Port=443,
        Certificates=[{"CertificateArn": certificate_arn}],
        DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}],
    )["Listeners"][0]


def test_a_listener_refuses_a_certificate_pending_validation(aws: Aws) -> None:
    arn, record = _pending_certificate(aws, "api.listener.acme-corp.internal")
    with pytest.raises(ClientError) as refused:
        _https_listener(aws, "strict-pending", arn)
    assert refused.value.response["Error"]["Code"] == "UnsupportedCertificate"
    assert refused.value.response["Error"]["Message"] == (
        f"The certificate '{arn}' must have a fully-qualified domain name, a supported signature, "
        "and a supported key size.")
    _add_validation_record(aws, "listener.acme-corp.internal", record)
    assert _https_listener(aws, "strict-issued", arn)["Certificates"] == [{"CertificateArn": arn}]


@shows_gap_of("strict_elbv2_listener_certificate")
def test_a_listener_takes_a_pending_certificate_without_patch(without_patch: Callable[[str], Aws]) -> None:
    aws = without_patch("strict_elbv2_listener_certificate")
    arn, _ = _pending_certificate(aws, "api.listener-gap.acme-corp.internal")
    assert _status(aws, arn) == "PENDING_VALIDATION"
    assert _https_listener(aws, "gap-pending", arn)["Certificates"] == [{"CertificateArn": arn}]


def _cluster_at(rds: object, name: str, version: str) -> None:
    rds.create_db_cluster(DBClusterIdentifier=name, Engine="aurora-postgresql", EngineVersion=version,
                          MasterUsername="admin_user", ManageMasterUserPassword=True)


def test_an_engine_version_downgrade_is_refused(aws: Aws) -> None:
    rds = aws("rds")
    _cluster_at(rds, "strict-downgrade", "16.8")
    with pytest.raises(ClientError) as refused:
        rds.modify_db_cluster(DBClusterIdentifier="strict-downgrade", EngineVersion="16.6", ApplyImmediately=True)
    assert refused.value.response["Error"]["Code"] == "InvalidParameterCombination"
    assert refused.value.response["Error"]["Message"] == "Cannot upgrade aurora-postgresql from 16.8 to 16.6"
    rds.modify_db_cluster(DBClusterIdentifier="strict-downgrade", EngineVersion="16.9", ApplyImmediately=True)
    (cluster,) = rds.describe_db_clusters(DBClusterIdentifier="strict-downgrade")["DBClusters"]
    assert cluster["EngineVersion"] == "16.9"  # upgrades still go through


@shows_gap_of("strict_rds_engine_version_downgrade")
def test_an_engine_version_downgrade_is_applied_without_patch(without_patch: Callable[[str], Aws]) -> None:
    rds = without_patch("strict_rds_engine_version_downgrade")("rds")
    _cluster_at(rds, "gap-downgrade", "16.8")
    rds.modify_db_cluster(DBClusterIdentifier="gap-downgrade", EngineVersion="16.6", ApplyImmediately=True)
    (cluster,) = rds.describe_db_clusters(DBClusterIdentifier="gap-downgrade")["DBClusters"]
    assert cluster["EngineVersion"] == "16.6"


def test_a_sixth_elastic_ip_is_refused_as_at_the_default_quota(aws: Aws) -> None:
    ec2 = aws("ec2")
    held = [a["AllocationId"] for a in ec2.describe_addresses()["Addresses"]]
    taken = [ec2.allocate_address(Domain="vpc")["AllocationId"] for _ in range(5 - len(held))]
    try:
        with pytest.raises(ClientError) as refused:
            ec2.allocate_address(Domain="vpc")
        assert refused.value.response["Error"]["Code"] == "AddressLimitExceeded"
        assert refused.value.response["Error"]["Message"] == "The maximum number of addresses has been reached."
    finally:
        for allocation in taken:
            ec2.release_address(AllocationId=allocation)
    ec2.release_address(AllocationId=ec2.allocate_address(Domain="vpc")["AllocationId"])  # room again


def test_service_quotas_serve_the_elastic_ip_quota_applied_and_default(aws: Aws) -> None:
    quotas = aws("service-quotas")
    applied = quotas.get_service_quota(ServiceCode="ec2", QuotaCode="L-0263D0A3")["Quota"]
    default = quotas.get_aws_default_service_quota(ServiceCode="ec2", QuotaCode="L-0263D0A3")["Quota"]
    assert (applied["Value"], default["Value"], applied["QuotaName"]) == (5.0, 5.0, "EC2-VPC Elastic IPs")
    vpc = quotas.get_aws_default_service_quota(ServiceCode="vpc", QuotaCode="L-F678F1CE")["Quota"]
    assert vpc["QuotaName"] == "VPCs per Region", "moto's own defaults are served by the new operation too"
    with pytest.raises(ClientError, match="NoSuchResourceException"):
        quotas.get_aws_default_service_quota(ServiceCode="ec2", QuotaCode="L-00000000")


@shows_gap_of("servicequotas_ec2_elastic_ips")
def test_service_quotas_know_no_elastic_ip_quota_without_patch(without_patch: Callable[[str], Aws]) -> None:
    quotas = without_patch("servicequotas_ec2_elastic_ips")("service-quotas")
    with pytest.raises(ClientError, match="NoSuchResourceException"):
        quotas.get_service_quota(ServiceCode="ec2", QuotaCode="L-0263D0A3")


@shows_gap_of("strict_ec2_address_limit")
def test_elastic_ips_have_no_limit_without_patch(without_patch: Callable[[str], Aws]) -> None:
    ec2 = without_patch("strict_ec2_address_limit")("ec2")
    assert len({ec2.allocate_address(Domain="vpc")["AllocationId"] for _ in range(6)}) == 6
