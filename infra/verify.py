"""`infra verify`: is the applied env what its configuration says, and is it up?

Three kinds of check, all against the live account:
- drift: a second `terraform plan -detailed-exitcode` must be empty;
- health: every part named in the outputs exists and is in service (the ECS service is ACTIVE with
  its desired count within the tier's range and running, and not still waiting for its first
  release; the database and cache available, the load balancer active, every alarm present), and
  no container is handed the database master user's secret (RDS rotates it; the application signs
  in as its own role);
- policy: the policy engine's rules on the live resources (`infra policy --live`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError

from infra.stack import Stack


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def _check(name: str, probe: Callable[[], tuple[bool, str]]) -> Check:
    try:
        ok, detail = probe()
    except (ClientError, BotoCoreError, KeyError, IndexError) as exc:
        return Check(name, False, f"{type(exc).__name__}: {exc}")
    return Check(name, ok, detail)


def health_checks(stack: Stack, outputs: dict, tier: dict) -> list[Check]:
    aws = stack.aws

    def service() -> tuple[bool, str]:
        svc = aws.client("ecs").describe_services(
            cluster=outputs["ecs_cluster_name"], services=[outputs["ecs_service_name"]]
        )["services"][0]
        lo, hi = tier["service"]["min_tasks"], tier["service"]["max_tasks"]
        desired, running = svc["desiredCount"], svc.get("runningCount", 0)
        if svc["status"] == "ACTIVE" and desired == 0:
            return False, (f"{svc['serviceName']}: waiting for its first release, no task runs "
                           f"(`infra deploy --env {stack.root} --digest ...` starts {lo})")
        ok = svc["status"] == "ACTIVE" and lo <= desired <= hi and running == desired
        detail = f"{svc['serviceName']}: {svc['status']}, {running}/{desired} running (tier range {lo}-{hi})"
        failed = [d for d in svc.get("deployments", []) if d.get("rolloutState") == "FAILED"]
        if failed:
            ok = False
            detail += f"; deployment FAILED: {failed[0].get('rolloutStateReason', '')}"
            detail += "".join(f"; {e['message']}" for e in svc.get("events", [])[:1])
        return ok, detail

    def database() -> tuple[bool, str]:
        cluster = aws.client("rds").describe_db_clusters(
            DBClusterIdentifier=outputs["db_cluster_identifier"]
        )["DBClusters"][0]
        writers = sum(m["IsClusterWriter"] for m in cluster["DBClusterMembers"])
        ok = cluster["Status"] == "available" and writers == 1
        members = len(cluster["DBClusterMembers"])
        return ok, f"{cluster['DBClusterIdentifier']}: {cluster['Status']}, {members} instances, {writers} writer"

    def cache() -> tuple[bool, str]:
        elasticache = aws.client("elasticache")
        group = elasticache.describe_replication_groups(
            ReplicationGroupId=outputs["redis_replication_group_id"]
        )["ReplicationGroups"][0]
        # Multi-AZ means one node per zone, as far as the zones go: ElastiCache picks a cluster-mode
        # shard's zones itself (the provider cannot place them), so it is checked here, live.
        zones = [elasticache.describe_cache_clusters(CacheClusterId=member)["CacheClusters"][0]
                 .get("PreferredAvailabilityZone") for member in group.get("MemberClusters", [])]
        spread = min(len(zones), tier["network"]["az_count"]) if tier["cache"]["multi_az"] else 1
        ok = group["Status"] == "available" and len(set(zones)) >= spread
        return ok, f"{group['ReplicationGroupId']}: {group['Status']}, {len(zones)} nodes in {len(set(zones))} AZs"

    def load_balancer() -> tuple[bool, str]:
        elb = aws.client("elbv2")
        lbs = [lb for lb in elb.describe_load_balancers()["LoadBalancers"] if lb["DNSName"] == outputs["alb_dns_name"]]
        if not lbs:
            return False, f"no load balancer answers to {outputs['alb_dns_name']}"
        elb.describe_target_groups(TargetGroupArns=[outputs["target_group_arn"]])
        state = lbs[0]["State"]["Code"]
        return state == "active", f"{lbs[0]['LoadBalancerName']}: {state}"

    def alarms() -> tuple[bool, str]:
        names = sorted(outputs["alarm_names"].values())
        found = {a["AlarmName"] for a in aws.client("cloudwatch").describe_alarms(AlarmNames=names)["MetricAlarms"]}
        missing = [n for n in names if n not in found]
        return not missing, f"missing: {', '.join(missing)}" if missing else f"{len(names)} alarms"

    def credentials() -> tuple[bool, str]:
        # The application signs in to the database as its own role (IAM authentication): a container
        # handed the master user's secret would fail to authenticate after RDS's 7-day rotation.
        svc = aws.client("ecs").describe_services(
            cluster=outputs["ecs_cluster_name"], services=[outputs["ecs_service_name"]]
        )["services"][0]
        definition = aws.client("ecs").describe_task_definition(taskDefinition=svc["taskDefinition"])
        masters = {c["MasterUserSecret"]["SecretArn"] for c in aws.client("rds").describe_db_clusters()["DBClusters"]
                   if c.get("MasterUserSecret")}
        leaked = sorted(f"{c['name']}:{s['name']}" for c in definition["taskDefinition"]["containerDefinitions"]
                        for s in c.get("secrets") or [] if ":".join(s["valueFrom"].split(":")[:7]) in masters)
        if leaked:
            return False, f"the database master user's secret reaches the containers ({', '.join(leaked)})"
        return True, "no container holds the database master secret"

    return [
        _check("ecs service", service),
        _check("app credentials", credentials),
        _check("database", database),
        _check("cache", cache),
        _check("load balancer", load_balancer),
        _check("alarms", alarms),
    ]


def drift_check(stack: Stack) -> Check:
    replan = stack.replan()
    if replan.empty:
        return Check("drift", True, "second plan is empty")
    shown = ", ".join(replan.changes[:5]) + (f" (+{len(replan.changes) - 5} more)" if len(replan.changes) > 5 else "")
    return Check("drift", False, f"{replan.summary}: {shown}")


def policy_checks(stack: Stack) -> list[Check]:
    """The policy's rules on the live resources, with the suppressions file, as `infra policy --live`."""
    from policy import runner
    from policy.model import PolicyInputError

    options = runner.Options(live_session=stack.aws.boto3, live_endpoint=stack.endpoint, scanners=False)
    try:
        result = runner.run_env(stack.project, stack.root, options)
    except PolicyInputError as exc:
        return [Check("policy", False, str(exc))]
    blocking = result.blocking
    if not blocking:
        skipped = [s for s, status in (result.steps or {}).items() if status.startswith("skipped")]
        note = f"; not read: {', '.join(skipped)}" if skipped else ""
        return [Check("policy", result.passed, f"{len(result.findings)} findings, none blocking{note}")]
    return [Check(f"policy {f.rule}", False, f"{f.resource}: {f.message}") for f in blocking]
