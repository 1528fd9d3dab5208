"""ElastiCache DeleteCacheSubnetGroup.

moto 5.2.5: the operation is not implemented; the server answers with an
HTML 500 page, which botocore cannot parse ("invalid XML received").

Terraform symptom: destroying ``aws_elasticache_subnet_group`` fails (after
retries), so ``terraform destroy`` never finishes cleanly.

Patch: implement it: unknown name -> ``CacheSubnetGroupNotFoundFault``; a group
still used by a cache cluster or replication group -> ``CacheSubnetGroupInUse``;
otherwise the group and its tags are removed.
"""

from __future__ import annotations


def apply() -> None:
    from moto.core.responses import EmptyResult
    from moto.elasticache.exceptions import CacheSubnetGroupNotFound, ElastiCacheException
    from moto.elasticache.models import ElastiCacheBackend
    from moto.elasticache.responses import ElastiCacheResponse

    class CacheSubnetGroupInUse(ElastiCacheException):
        code = "CacheSubnetGroupInUse"

    def delete_cache_subnet_group(self: ElastiCacheBackend, name: str) -> None:
        group = self.cache_subnet_groups.get(name)
        if group is None:
            raise CacheSubnetGroupNotFound(name)
        users = [*self.cache_clusters.values(), *self.replication_groups.values()]
        if any(getattr(user, "cache_subnet_group_name", None) == name for user in users):
            raise CacheSubnetGroupInUse(f"Cache subnet group {name} is currently in use by a cache cluster.")
        del self.cache_subnet_groups[name]
        self.tagging_service.delete_all_tags_for_resource(group.arn)

    def delete_cache_subnet_group_response(self: ElastiCacheResponse) -> EmptyResult:
        self.elasticache_backend.delete_cache_subnet_group(self._get_param("CacheSubnetGroupName"))
        return EmptyResult()

    ElastiCacheBackend.delete_cache_subnet_group = delete_cache_subnet_group
    ElastiCacheResponse.delete_cache_subnet_group = delete_cache_subnet_group_response
