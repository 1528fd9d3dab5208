"""ElastiCache user groups (RBAC), as AWS refuses and serves them.

moto 5.2.5: CreateUserGroup, DescribeUserGroups, ModifyUserGroup and DeleteUserGroup are not
implemented (an HTML 500 page), tags on a user group ARN are refused as an invalid ARN, and a
replication group accepts any UserGroupIds.

Terraform symptom: ``aws_elasticache_user_group`` fails to create, so a cache whose clients sign in
with IAM (no AUTH token in state) cannot be applied at all.

Patch: implement the four operations with AWS's refusals: a group must hold a user named
``default`` (``DefaultUserRequired``), every user must exist (``UserNotFound``) and user names must
be distinct (``DuplicateUserName``); a group that a replication group uses cannot be deleted
(``InvalidUserGroupState``). CreateReplicationGroup refuses an unknown group
(``UserGroupNotFound``), a group together with an AUTH token, and a group without transit
encryption (``InvalidParameterCombination``), and records itself in the group.
"""

from __future__ import annotations

import functools
from typing import Any


def apply() -> None:
    from moto.core.responses import ActionResult
    from moto.elasticache.exceptions import (
        ElastiCacheException,
        InvalidParameterCombinationException,
        UserNotFound,
    )
    from moto.elasticache.models import ElastiCacheBackend
    from moto.elasticache.responses import ElastiCacheResponse

    class UserGroupNotFound(ElastiCacheException):
        code = "UserGroupNotFound"

    class UserGroupAlreadyExists(ElastiCacheException):
        code = "UserGroupAlreadyExists"

    class DefaultUserRequired(ElastiCacheException):
        code = "DefaultUserRequired"

    class DuplicateUserName(ElastiCacheException):
        code = "DuplicateUserName"

    class InvalidUserGroupState(ElastiCacheException):
        code = "InvalidUserGroupState"

    class UserGroup:
        def __init__(self, backend: ElastiCacheBackend, group_id: str, engine: str, user_ids: list[str]):
            self.user_group_id = group_id
            self.engine = engine
            self.user_ids = list(user_ids)
            self.status = "creating"  # active from the first describe, as a real group becomes after a while
            self.minimum_engine_version = "6.0"
            self.replication_groups: list[str] = []
            self.arn = f"arn:aws:elasticache:{backend.region_name}:{backend.account_id}:usergroup:{group_id}"

    def groups(backend: ElastiCacheBackend) -> dict[str, UserGroup]:
        if not hasattr(backend, "user_groups"):
            backend.user_groups = {}
        return backend.user_groups

    def check_members(backend: ElastiCacheBackend, user_ids: list[str]) -> None:
        names: dict[str, str] = {}
        for user_id in user_ids:
            user = backend.users.get(user_id)
            if user is None:
                raise UserNotFound(user_id)
            if user.name in names:
                raise DuplicateUserName(f"Users {names[user.name]} and {user_id} have the same user name {user.name}.")
            names[user.name] = user_id
        if "default" not in names:
            raise DefaultUserRequired("You must add default user to a user group.")

    def found(backend: ElastiCacheBackend, group_id: str) -> UserGroup:
        group = groups(backend).get(group_id)
        if group is None:
            raise UserGroupNotFound(f"User group {group_id} not found.")
        return group

    def create(self: ElastiCacheResponse) -> ActionResult:
        backend, params = self.elasticache_backend, self._get_params()
        group_id, user_ids = params.get("UserGroupId"), params.get("UserIds") or []
        if group_id in groups(backend):
            raise UserGroupAlreadyExists(f"User group {group_id} already exists.")
        check_members(backend, user_ids)
        group = UserGroup(backend, group_id, (params.get("Engine") or "redis").lower(), user_ids)
        groups(backend)[group_id] = group
        if params.get("Tags"):
            backend.tagging_service.tag_resource(group.arn, params["Tags"])
        return ActionResult(group)

    def describe(self: ElastiCacheResponse) -> ActionResult:
        backend, group_id = self.elasticache_backend, self._get_param("UserGroupId")
        chosen = [found(backend, group_id)] if group_id else list(groups(backend).values())
        for group in chosen:
            if group.status in ("creating", "modifying"):
                group.status = "active"
        for group in [g for g in chosen if g.status == "deleting"]:
            del groups(backend)[group.user_group_id]  # gone once AWS has deleted it
            backend.tagging_service.delete_all_tags_for_resource(group.arn)
        return ActionResult({"UserGroups": [g for g in chosen if g.status != "deleting"]})

    def modify(self: ElastiCacheResponse) -> ActionResult:
        backend, params = self.elasticache_backend, self._get_params()
        group = found(backend, params.get("UserGroupId"))
        removed = set(params.get("UserIdsToRemove") or [])
        user_ids = [u for u in group.user_ids if u not in removed]
        user_ids += [u for u in params.get("UserIdsToAdd") or [] if u not in user_ids]
        check_members(backend, user_ids)
        group.user_ids, group.status = user_ids, "modifying"
        return ActionResult(group)

    def delete(self: ElastiCacheResponse) -> ActionResult:
        backend = self.elasticache_backend
        group = found(backend, self._get_param("UserGroupId"))
        in_use = [rg for rg in backend.replication_groups.values() if group.user_group_id in rg.user_group_ids]
        if in_use:
            raise InvalidUserGroupState(
                f"User group {group.user_group_id} is in use by replication group {in_use[0].replication_group_id}."
            )
        group.status = "deleting"
        return ActionResult(group)

    original_create_rg = ElastiCacheBackend.create_replication_group

    @functools.wraps(original_create_rg)
    def create_replication_group(self: ElastiCacheBackend, *args: Any, **kwargs: Any) -> Any:
        group_ids = kwargs.get("user_group_ids") or []
        for group_id in group_ids:
            found(self, group_id)
        if group_ids and kwargs.get("auth_token"):
            raise InvalidParameterCombinationException("AuthToken and UserGroupIds cannot be used together.")
        if group_ids and not kwargs.get("transit_encryption_enabled"):
            raise InvalidParameterCombinationException("User groups need TransitEncryptionEnabled.")
        replication_group = original_create_rg(self, *args, **kwargs)
        for group_id in group_ids:
            found(self, group_id).replication_groups.append(replication_group.replication_group_id)
        return replication_group

    original_delete_rg = ElastiCacheBackend.delete_replication_group

    @functools.wraps(original_delete_rg)
    def delete_replication_group(self: ElastiCacheBackend, replication_group_id: str, *args: Any, **kwargs: Any):
        result = original_delete_rg(self, replication_group_id, *args, **kwargs)
        for group in groups(self).values():
            if replication_group_id in group.replication_groups:
                group.replication_groups.remove(replication_group_id)
        rg = self.replication_groups.get(replication_group_id)
        if rg is not None:
            rg.user_group_ids = []  # a group is free as soon as its replication group is deleting
        return result

    original_list_tags = ElastiCacheBackend.list_tags_for_resource

    @functools.wraps(original_list_tags)
    def list_tags_for_resource(self: ElastiCacheBackend, arn: str) -> Any:
        if ":usergroup:" in arn:
            return self.tagging_service.list_tags_for_resource(arn)
        return original_list_tags(self, arn)

    ElastiCacheResponse.create_user_group = create
    ElastiCacheResponse.describe_user_groups = describe
    ElastiCacheResponse.modify_user_group = modify
    ElastiCacheResponse.delete_user_group = delete
    ElastiCacheBackend.create_replication_group = create_replication_group
    ElastiCacheBackend.delete_replication_group = delete_replication_group
    ElastiCacheBackend.list_tags_for_resource = list_tags_for_resource
