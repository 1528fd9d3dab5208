"""ElastiCache replication groups have real member clusters and node groups.

moto 5.2.5 gets replication-group topology wrong:
- ``NumCacheClusters=2`` yields one member (it only counts
  ``ReplicasPerNodeGroup``), so ``num_cache_clusters = 2`` reads back as 1;
- ``NumNodeGroups`` / ``ReplicasPerNodeGroup`` (cluster mode) yield a
  cluster-mode-*disabled* group (``ClusterEnabled: false``, no
  ``ConfigurationEndpoint``) unless ``ClusterMode=enabled`` is also sent;
- the member clusters (``<id>-001`` ...) are names only:
  ``DescribeCacheClusters`` on them raises ``CacheClusterNotFound``;
- ``DeleteReplicationGroup`` leaves the group in "deleting" for ever.

Terraform symptom: ``aws_elasticache_replication_group`` fails after create
with "reading Cache Cluster (<id>-001): CacheClusterNotFound", shows drift on
``num_cache_clusters`` / ``cluster_enabled``, and its destroy never finishes.

Patch: after moto creates a group, rebuild its topology the way AWS does:
cluster mode is on when asked for (``ClusterMode=enabled``, ``NumNodeGroups``,
``NodeGroupConfiguration`` or a ``*.cluster.on`` parameter group); then
``NumNodeGroups`` shards of 1 primary + ``ReplicasPerNodeGroup`` replicas with
a ``ConfigurationEndpoint``, otherwise one node group of ``NumCacheClusters``
members with primary and reader endpoints.  Every member is a real cache
cluster in the backend carrying the group's node type, engine, subnet and
security groups, parameter group and encryption/auth settings.  Modify copies
the node type and engine to the members; delete removes the group and its
members (a retained primary stays as a standalone cluster).
"""

from __future__ import annotations

import functools
import secrets
import string
from typing import Any

TOTAL_SLOTS = 16384
DEFAULT_AZS = ("us-east-1a", "us-east-1b", "us-east-1c")
DEFAULT_REDIS_VERSION = "7.1.0"


def wants_cluster_mode(args: dict[str, Any]) -> bool:
    return bool(
        (args.get("cluster_mode") or "").lower() == "enabled"
        or args.get("num_node_groups")
        or args.get("node_group_configuration")
        or ".cluster.on" in (args.get("cache_parameter_group_name") or "")
    )


def slot_ranges(shards: int) -> list[str]:
    """Split the 16384 hash slots evenly into ``shards`` contiguous ranges."""
    bounds = [TOTAL_SLOTS * i // shards for i in range(shards + 1)]
    return [f"{bounds[i]}-{bounds[i + 1] - 1}" for i in range(shards)]


def apply() -> None:
    from moto.elasticache.models import CacheCluster, ElastiCacheBackend, ReplicationGroup

    def zones(backend: ElastiCacheBackend, args: dict[str, Any]) -> list[str]:
        if args.get("preferred_cache_cluster_azs"):
            return list(args["preferred_cache_cluster_azs"])
        group = backend.cache_subnet_groups.get(args.get("cache_subnet_group_name") or "")
        found = [s.get("subnet_availability_zone") for s in (group.subnets if group else [])]
        return sorted({az for az in found if isinstance(az, str)}) or list(DEFAULT_AZS)

    def new_member(
        backend: ElastiCacheBackend,
        rg: ReplicationGroup,
        args: dict[str, Any],
        cluster_id: str,
        az: str,
        parameter_group: str,
    ) -> CacheCluster:
        member = CacheCluster(
            account_id=backend.account_id,
            region_name=backend.region_name,
            cache_cluster_id=cluster_id,
            cache_node_type=rg.cache_node_type,
            replication_group_id=rg.replication_group_id,
            az_mode="single-az",
            preferred_availability_zone=az,
            num_cache_nodes=1,
            engine=rg.engine,
            engine_version=rg.engine_version,
            cache_parameter_group_name=parameter_group,
            cache_subnet_group_name=args.get("cache_subnet_group_name"),
            transit_encryption_enabled=rg.transit_encryption_enabled,
            network_type=rg.network_type,
            ip_discovery=rg.ip_discovery,
            snapshot_name=None,
            preferred_maintenance_window=args.get("preferred_maintenance_window"),
            port=rg.port,
            notification_topic_arn=args.get("notification_topic_arn"),
            auto_minor_version_upgrade=rg.auto_minor_version_upgrade,
            snapshot_retention_limit=rg.snapshot_retention_limit,
            snapshot_window=rg.snapshot_window,
            auth_token=args.get("auth_token"),
            outpost_mode=None,
            preferred_outpost_arn=None,
            preferred_availability_zones=None,
            cache_security_group_names=args.get("cache_security_group_names"),
            security_group_ids=args.get("security_group_ids"),
            tags=None,
            snapshot_arns=None,
            preferred_outpost_arns=None,
            log_delivery_configurations=[],
            cache_node_ids_to_remove=None,
            cache_node_ids_to_reboot=None,
        )
        member.replication_group_id = rg.replication_group_id
        member.num_cache_nodes = 1
        member.at_rest_encryption_enabled = rg.at_rest_encryption_enabled
        member.transit_encryption_mode = rg.transit_encryption_mode
        member.replication_group_log_delivery_enabled = bool(rg.log_delivery_configurations)
        backend.cache_clusters[cluster_id] = member
        return member

    def build_topology(backend: ElastiCacheBackend, rg: ReplicationGroup, args: dict[str, Any]) -> None:
        rg_id = rg.replication_group_id
        suffix = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(6))
        domain = f"{rg_id}.{suffix}.use1.cache.amazonaws.com"
        azs = zones(backend, args)
        rg.engine_version = rg.engine_version or DEFAULT_REDIS_VERSION
        cluster_mode = wants_cluster_mode(args)
        parameter_group = args.get("cache_parameter_group_name") or (
            f"default.{rg.engine}{rg.engine_version.split('.')[0]}" + (".cluster.on" if cluster_mode else "")
        )
        rg.member_clusters = []
        rg.node_groups = []

        def add_member(cluster_id: str, index: int, role: str | None) -> dict[str, Any]:
            az = azs[index % len(azs)]
            new_member(backend, rg, args, cluster_id, az, parameter_group)
            rg.member_clusters.append(cluster_id)
            entry: dict[str, Any] = {
                "cache_cluster_id": cluster_id,
                "cache_node_id": "0001",
                "preferred_availability_zone": az,
            }
            if role:  # cluster-mode-disabled groups report per-node endpoints and roles
                entry["read_endpoint"] = {"address": f"{cluster_id}.{domain}", "port": rg.port}
                entry["current_role"] = role
            return entry

        if cluster_mode:
            configs = args.get("node_group_configuration") or []
            shards = args.get("num_node_groups") or len(configs) or 1
            replicas = args.get("replicas_per_node_group") or 0
            for shard, slots in enumerate(slot_ranges(shards), start=1):
                shard_id = f"{shard:04d}"
                config = next((c for c in configs if c.get("NodeGroupId") == shard_id), {})
                count = 1 + int(config.get("ReplicaCount", replicas))
                members = [
                    add_member(f"{rg_id}-{shard_id}-{n:03d}", shard - 1 + n - 1, None)
                    for n in range(1, count + 1)
                ]
                group = {
                    "node_group_id": shard_id,
                    "status": "available",
                    "slots": config.get("Slots", slots),
                }
                rg.node_groups.append({**group, "node_group_members": members})
            rg.configuration_endpoint = {"address": f"clustercfg.{domain}", "port": rg.port}
            rg.cluster_enabled = True
            rg.cluster_mode = "enabled"
        else:
            replicas = args.get("replicas_per_node_group")
            count = (
                args.get("num_cache_clusters")
                or (replicas + 1 if replicas else 0)
                or len(args.get("preferred_cache_cluster_azs") or [])
                or 1
            )
            members = [
                add_member(f"{rg_id}-{n:03d}", n - 1, "primary" if n == 1 else "replica")
                for n in range(1, count + 1)
            ]
            rg.node_groups.append(
                {
                    "node_group_id": "0001",
                    "status": "available",
                    "primary_endpoint": {"address": f"master.{domain}", "port": rg.port},
                    "reader_endpoint": {"address": f"replica.{domain}", "port": rg.port},
                    "node_group_members": members,
                }
            )
            rg.__dict__.pop("configuration_endpoint", None)
            rg.cluster_enabled = False
            rg.cluster_mode = "disabled"
            rg.primary_cluster_id = rg.primary_cluster_id or rg.member_clusters[0]
        if rg.snapshot_retention_limit > 0:
            rg.snapshotting_cluster_id = (
                rg.member_clusters[-1] if len(rg.member_clusters) > 1 else rg.member_clusters[0]
            )

    create = ElastiCacheBackend.create_replication_group

    @functools.wraps(create)
    def create_replication_group(self: ElastiCacheBackend, **kwargs: Any) -> ReplicationGroup:
        rg = create(self, **kwargs)
        build_topology(self, rg, kwargs)
        return rg

    modify = ElastiCacheBackend.modify_replication_group

    @functools.wraps(modify)
    def modify_replication_group(self: ElastiCacheBackend, *args: Any, **kwargs: Any) -> ReplicationGroup:
        rg = modify(self, *args, **kwargs)
        for cluster_id in rg.member_clusters:
            member = self.cache_clusters.get(cluster_id)
            if member is not None:
                member.cache_node_type, member.engine = rg.cache_node_type, rg.engine
        return rg

    delete = ElastiCacheBackend.delete_replication_group

    @functools.wraps(delete)
    def delete_replication_group(
        self: ElastiCacheBackend, replication_group_id: str, retain_primary_cluster: bool | None
    ) -> ReplicationGroup:
        existing = self.replication_groups.get(replication_group_id)
        members = list(existing.member_clusters) if existing else []
        rg = delete(self, replication_group_id, retain_primary_cluster)  # raises ReplicationGroupNotFound
        keep = members[0] if retain_primary_cluster and members else None
        for cluster_id in members:
            if cluster_id == keep and cluster_id in self.cache_clusters:
                self.cache_clusters[cluster_id].replication_group_id = None
            else:
                self.cache_clusters.pop(cluster_id, None)
        del self.replication_groups[replication_group_id]
        self.tagging_service.delete_all_tags_for_resource(rg.arn)
        return rg

    ElastiCacheBackend.create_replication_group = create_replication_group
    ElastiCacheBackend.modify_replication_group = modify_replication_group
    ElastiCacheBackend.delete_replication_group = delete_replication_group
