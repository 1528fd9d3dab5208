"""ElastiCache cache parameter groups: create, describe, modify, reset, delete and tags.

moto 5.2.5: none of ``CreateCacheParameterGroup``, ``DescribeCacheParameterGroups``,
``ModifyCacheParameterGroup``, ``ResetCacheParameterGroup``,
``DescribeCacheParameters`` or ``DeleteCacheParameterGroup`` is implemented (the
server answers with an HTML 500 page, "invalid XML received"), and
``ListTagsForResource`` rejects a ``...:parametergroup:<name>`` ARN as invalid.

Terraform symptom: ``aws_elasticache_parameter_group`` cannot be created (so a
replication group that names it cannot be either), read back or destroyed.

Patch: keep parameter groups per backend.  A group stores its family
(validated against the engine families AWS offers), description and ARN
(``arn:aws:elasticache:<region>:<account>:parametergroup:<name>``, tags on
it work) and ``IsGlobal`` is false; names are lower-cased as AWS does.  Modify
records parameters with ``Source = "user"``, reset removes them (or all of
them), and ``DescribeCacheParameters`` returns them, honouring the ``Source``
filter (moto knows no engine defaults, so "system" / "engine-default" return
nothing; parameter names and values are not validated).  The default groups
(``default.redis7``, ``default.redis7.cluster.on``, ``default.memcached1.6``
...) exist implicitly and cannot be modified or deleted.  Errors as on AWS:
unknown name -> ``CacheParameterGroupNotFound``; duplicate ->
``CacheParameterGroupAlreadyExists``; deleting a group a cache cluster or
replication group uses -> ``InvalidCacheParameterGroupState``.
"""

from __future__ import annotations

import functools
import re
from typing import Any

FAMILIES = (
    "memcached1.4",
    "memcached1.5",
    "memcached1.6",
    "redis2.6",
    "redis2.8",
    "redis3.2",
    "redis4.0",
    "redis5.0",
    "redis6.x",
    "redis7",
    "valkey7",
    "valkey8",
)
# Families whose engine has a cluster mode, hence a "default.<family>.cluster.on" group.
CLUSTER_FAMILIES = ("redis3.2", "redis4.0", "redis5.0", "redis6.x", "redis7", "valkey7", "valkey8")
PARAMETER_GROUP_ARN = re.compile(r"^arn:[^:]+:elasticache:[^:]*:[0-9]*:parametergroup:(?P<name>.+)\Z")


def default_groups() -> dict[str, str]:
    """``{name: family}`` of the default parameter group(s) AWS provides for every family."""
    groups = {f"default.{family}": family for family in FAMILIES}
    groups.update({f"default.{family}.cluster.on": family for family in CLUSTER_FAMILIES})
    return groups


def user_parameter(name: str, value: str) -> dict[str, Any]:
    return {
        "ParameterName": name,
        "ParameterValue": value,
        "Source": "user",
        "DataType": "string",
        "IsModifiable": True,
        "ChangeType": "immediate",
    }


def apply() -> None:
    from moto.core.responses import ActionResult, EmptyResult
    from moto.elasticache.exceptions import ElastiCacheException, InvalidParameterValueException
    from moto.elasticache.models import ElastiCacheBackend
    from moto.elasticache.responses import ElastiCacheResponse

    class CacheParameterGroupNotFound(ElastiCacheException):
        code = "CacheParameterGroupNotFound"

        def __init__(self, name: str) -> None:
            super().__init__(f"CacheParameterGroup {name} not found.")

    class CacheParameterGroupAlreadyExists(ElastiCacheException):
        code = "CacheParameterGroupAlreadyExists"

        def __init__(self, name: str) -> None:
            super().__init__(f"Parameter group {name} already exists.")

    class InvalidCacheParameterGroupState(ElastiCacheException):
        code = "InvalidCacheParameterGroupState"

    class CacheParameterGroup:
        def __init__(self, backend: ElastiCacheBackend, name: str, family: str, description: str) -> None:
            self.name = name
            self.family = family
            self.description = description
            self.arn = f"arn:aws:elasticache:{backend.region_name}:{backend.account_id}:parametergroup:{name}"
            self.parameters: dict[str, str] = {}  # set by the user: name -> value

        def to_api(self) -> dict[str, Any]:
            return {
                "CacheParameterGroupName": self.name,
                "CacheParameterGroupFamily": self.family,
                "Description": self.description,
                "IsGlobal": False,
                "ARN": self.arn,
            }

    def get_cache_parameter_group(self: ElastiCacheBackend, name: str) -> CacheParameterGroup:
        key = (name or "").lower()
        group = self.cache_parameter_groups.get(key) or self.default_cache_parameter_groups.get(key)
        if group is None:
            raise CacheParameterGroupNotFound(name)
        return group

    def _user_group(self: ElastiCacheBackend, name: str, verb: str) -> CacheParameterGroup:
        group = get_cache_parameter_group(self, name)
        if group.name in self.default_cache_parameter_groups:
            raise InvalidParameterValueException(f"Default parameter group {group.name} cannot be {verb}.")
        return group

    def create_cache_parameter_group(
        self: ElastiCacheBackend, name: str, family: str, description: str, tags: list[dict[str, str]]
    ) -> CacheParameterGroup:
        key = (name or "").lower()
        if key in self.cache_parameter_groups or key in self.default_cache_parameter_groups:
            raise CacheParameterGroupAlreadyExists(key)
        if family not in FAMILIES:
            raise InvalidParameterValueException(
                f"The parameter CacheParameterGroupFamily is not a valid family: {family}."
            )
        group = CacheParameterGroup(self, key, family, description)
        self.cache_parameter_groups[key] = group
        if tags:
            self.tagging_service.tag_resource(group.arn, tags)
        return group

    def describe_cache_parameter_groups(self: ElastiCacheBackend, name: str | None) -> list[CacheParameterGroup]:
        if name:
            return [get_cache_parameter_group(self, name)]
        return [*self.default_cache_parameter_groups.values(), *self.cache_parameter_groups.values()]

    def modify_cache_parameter_group(
        self: ElastiCacheBackend, name: str, parameters: list[dict[str, str]]
    ) -> CacheParameterGroup:
        group = _user_group(self, name, "modified")
        for parameter in parameters:
            group.parameters[parameter["ParameterName"]] = parameter.get("ParameterValue", "")
        return group

    def reset_cache_parameter_group(
        self: ElastiCacheBackend, name: str, reset_all: bool, parameters: list[dict[str, str]]
    ) -> CacheParameterGroup:
        group = _user_group(self, name, "modified")
        if reset_all:
            group.parameters.clear()
        for parameter in parameters:
            group.parameters.pop(parameter["ParameterName"], None)
        return group

    def describe_cache_parameters(
        self: ElastiCacheBackend, name: str, source: str | None
    ) -> list[dict[str, Any]]:
        group = get_cache_parameter_group(self, name)
        if source not in (None, "", "user"):
            return []  # no engine defaults are modelled
        return [user_parameter(n, v) for n, v in sorted(group.parameters.items())]

    def delete_cache_parameter_group(self: ElastiCacheBackend, name: str) -> None:
        group = _user_group(self, name, "deleted")
        users = [*self.cache_clusters.values(), *self.replication_groups.values()]
        if any((getattr(user, "cache_parameter_group_name", None) or "").lower() == group.name for user in users):
            raise InvalidCacheParameterGroupState(
                f"Cache parameter group {group.name} is currently in use by a cache cluster or replication group."
            )
        del self.cache_parameter_groups[group.name]
        self.tagging_service.delete_all_tags_for_resource(group.arn)

    def _check_tag_target(self: ElastiCacheBackend, arn: str) -> None:
        match = PARAMETER_GROUP_ARN.match(arn or "")
        if match:
            get_cache_parameter_group(self, match["name"])

    backend_init = ElastiCacheBackend.__init__

    @functools.wraps(backend_init)
    def __init__(self: ElastiCacheBackend, *args: Any, **kwargs: Any) -> None:
        backend_init(self, *args, **kwargs)
        self.cache_parameter_groups: dict[str, CacheParameterGroup] = {}
        # The default groups exist implicitly on AWS; they can be read but not changed.
        self.default_cache_parameter_groups = {
            name: CacheParameterGroup(self, name, family, f"Default parameter group for {family}")
            for name, family in default_groups().items()
        }
        self.arn_regex = re.compile(
            r"^arn:aws:elasticache:.*:[0-9]*:(cluster|snapshot|subnetgroup|replicationgroup|user|parametergroup):.*$"
        )

    def _checked(method: Any) -> Any:
        @functools.wraps(method)
        def wrapper(self: ElastiCacheBackend, arn: str, *args: Any, **kwargs: Any) -> Any:
            _check_tag_target(self, arn)
            return method(self, arn, *args, **kwargs)

        return wrapper

    ElastiCacheBackend.__init__ = __init__
    ElastiCacheBackend.list_tags_for_resource = _checked(ElastiCacheBackend.list_tags_for_resource)
    ElastiCacheBackend.add_tags_to_resource = _checked(ElastiCacheBackend.add_tags_to_resource)
    ElastiCacheBackend.remove_tags_from_resource = _checked(ElastiCacheBackend.remove_tags_from_resource)
    ElastiCacheBackend.get_cache_parameter_group = get_cache_parameter_group
    ElastiCacheBackend.create_cache_parameter_group = create_cache_parameter_group
    ElastiCacheBackend.describe_cache_parameter_groups = describe_cache_parameter_groups
    ElastiCacheBackend.modify_cache_parameter_group = modify_cache_parameter_group
    ElastiCacheBackend.reset_cache_parameter_group = reset_cache_parameter_group
    ElastiCacheBackend.describe_cache_parameters = describe_cache_parameters
    ElastiCacheBackend.delete_cache_parameter_group = delete_cache_parameter_group

    def create_response(self: ElastiCacheResponse) -> ActionResult:
        group = self.elasticache_backend.create_cache_parameter_group(
            name=self._get_param("CacheParameterGroupName"),
            family=self._get_param("CacheParameterGroupFamily"),
            description=self._get_param("Description"),
            tags=self._get_param("Tags", []),
        )
        return ActionResult({"CacheParameterGroup": group.to_api()})

    def describe_groups_response(self: ElastiCacheResponse) -> ActionResult:
        groups = self.elasticache_backend.describe_cache_parameter_groups(self._get_param("CacheParameterGroupName"))
        return ActionResult({"CacheParameterGroups": [g.to_api() for g in groups]})

    def modify_response(self: ElastiCacheResponse) -> ActionResult:
        group = self.elasticache_backend.modify_cache_parameter_group(
            self._get_param("CacheParameterGroupName"), self._get_param("ParameterNameValues", [])
        )
        return ActionResult({"CacheParameterGroupName": group.name})

    def reset_response(self: ElastiCacheResponse) -> ActionResult:
        group = self.elasticache_backend.reset_cache_parameter_group(
            self._get_param("CacheParameterGroupName"),
            bool(self._get_bool_param("ResetAllParameters")),
            self._get_param("ParameterNameValues", []),
        )
        return ActionResult({"CacheParameterGroupName": group.name})

    def describe_parameters_response(self: ElastiCacheResponse) -> ActionResult:
        parameters = self.elasticache_backend.describe_cache_parameters(
            self._get_param("CacheParameterGroupName"), self._get_param("Source")
        )
        return ActionResult({"Parameters": parameters, "CacheNodeTypeSpecificParameters": []})

    def delete_response(self: ElastiCacheResponse) -> EmptyResult:
        self.elasticache_backend.delete_cache_parameter_group(self._get_param("CacheParameterGroupName"))
        return EmptyResult()

    ElastiCacheResponse.create_cache_parameter_group = create_response
    ElastiCacheResponse.describe_cache_parameter_groups = describe_groups_response
    ElastiCacheResponse.modify_cache_parameter_group = modify_response
    ElastiCacheResponse.reset_cache_parameter_group = reset_response
    ElastiCacheResponse.describe_cache_parameters = describe_parameters_response
    ElastiCacheResponse.delete_cache_parameter_group = delete_response
