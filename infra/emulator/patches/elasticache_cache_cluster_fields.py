"""ElastiCache cache clusters report security groups, parameter group and nodes, and delete.

moto 5.2.5: ``DescribeCacheClusters`` returns no ``SecurityGroups``, no
``CacheParameterGroup`` and no ``CacheNodes`` (moto keeps only the request's
plain ids/names), and ``DeleteCacheCluster`` leaves the cluster in "deleting"
for ever.

Terraform symptom: ``aws_elasticache_cluster`` (and a replication group, which
reads these from its first member cluster) reads ``security_group_ids`` and
``parameter_group_name`` as empty, so the plan after apply is not empty; its
destroy waits until it times out.

Patch: derive the three structures from what moto stores (port, AZ,
``security_group_ids``, parameter group name or the engine's default) and
remove a cluster when it is deleted (the delete response still shows it
"deleting", then it is gone, as a finished delete on AWS).
"""

from __future__ import annotations

import functools
from typing import Any


def default_parameter_group(engine: str, engine_version: str | None, cluster_mode: bool = False) -> str:
    major = (engine_version or "7").split(".")[0]
    family = (
        f"default.{engine}{major}"
        if engine in ("redis", "valkey")
        else f"default.{engine}{engine_version or '1.6'}"
    )
    return family + (".cluster.on" if cluster_mode else "")


def apply() -> None:
    from moto.elasticache.models import CacheCluster, ElastiCacheBackend

    def security_groups(self: CacheCluster) -> list[dict[str, str]]:
        return [{"SecurityGroupId": sg, "Status": "active"} for sg in self.security_group_ids]

    def cache_parameter_group(self: CacheCluster) -> dict[str, Any]:
        name = self.cache_parameter_group_name or default_parameter_group(self.engine, self.engine_version)
        return {
            "CacheParameterGroupName": name,
            "ParameterApplyStatus": "in-sync",
            "CacheNodeIdsToReboot": [],
        }

    def cache_nodes(self: CacheCluster) -> list[dict[str, Any]]:
        az = self.preferred_availability_zone or "us-east-1a"
        return [
            {
                "CacheNodeId": f"{n:04d}",
                "CacheNodeStatus": "available",
                "CacheNodeCreateTime": self.cache_cluster_create_time,
                "Endpoint": {
                    "Address": f"{self.cache_cluster_id}.{n:04d}.use1.cache.amazonaws.com",
                    "Port": self.port,
                },
                "ParameterGroupStatus": "in-sync",
                "CustomerAvailabilityZone": az,
            }
            for n in range(1, (getattr(self, "num_cache_nodes", None) or 1) + 1)
        ]

    CacheCluster.security_groups = property(security_groups)
    CacheCluster.cache_parameter_group = property(cache_parameter_group)
    CacheCluster.cache_nodes = property(cache_nodes)

    delete_cache_cluster = ElastiCacheBackend.delete_cache_cluster

    @functools.wraps(delete_cache_cluster)
    def patched_delete_cache_cluster(self: ElastiCacheBackend, cache_cluster_id: str) -> CacheCluster:
        cluster = delete_cache_cluster(self, cache_cluster_id)
        del self.cache_clusters[cache_cluster_id]
        self.tagging_service.delete_all_tags_for_resource(cluster.arn)
        return cluster

    ElastiCacheBackend.delete_cache_cluster = patched_delete_cache_cluster
