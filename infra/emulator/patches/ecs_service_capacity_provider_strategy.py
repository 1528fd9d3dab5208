"""ECS services run on a capacity provider strategy the way ECS allows it.

moto 5.2.5: ``CreateService`` ignores ``capacityProviderStrategy``: a request
with both a launch type and a strategy is accepted, a strategy naming a
provider the cluster is not associated with is accepted, and every service
without a launch type is given ``launchType: "EC2"`` (also in its
deployment), whatever its strategy or the cluster's default strategy says.

AWS: "If a capacityProviderStrategy is specified, the launchType parameter
must be omitted. If no capacityProviderStrategy or launchType is specified,
the defaultCapacityProviderStrategy for the cluster is used." (CreateService
API reference); a provider must be associated with the cluster first
(PutClusterCapacityProviders).

Terraform symptom: ``aws_ecs_service`` with a ``capacity_provider_strategy``
and no ``launch_type`` reads back ``launch_type = "EC2"``, so the plan after
apply is never empty; a module that sets both, or names FARGATE_SPOT before
the cluster has it, applies against the emulator and fails against AWS.

Patch: refuse both together and unassociated providers with AWS's
``InvalidParameterException`` messages (in UpdateService too); with neither
given, take the cluster's default strategy; a service on a strategy reports no
launch type, and its deployment carries the strategy instead. Each item
reports its ``base`` and ``weight``, 0 where the request left them out (the
provider leaves out zeros), as ECS does.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

BOTH_GIVEN = "Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again."
NOT_ASSOCIATED = (
    "The specified capacity provider strategy cannot contain a capacity provider that is not associated "
    "with the cluster. Associate the capacity provider with the cluster or specify a valid capacity "
    "provider and try again."
)


def _normalised(strategy: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"capacityProvider": item["capacityProvider"], "weight": item.get("weight", 0), "base": item.get("base", 0)}
            for item in strategy]


def apply() -> None:
    from moto.ecs.exceptions import InvalidParameterException
    from moto.ecs.responses import EC2ContainerServiceResponse

    def checked(self: EC2ContainerServiceResponse, strategy: list[dict[str, Any]]) -> list[dict[str, Any]]:
        cluster = self.ecs_backend._get_cluster(self._get_param("cluster", "default"))
        associated = set(cluster.capacity_providers or ())
        if any(item.get("capacityProvider") not in associated for item in strategy):
            raise InvalidParameterException(NOT_ASSOCIATED)
        return _normalised(strategy)

    create_service = EC2ContainerServiceResponse.create_service
    update_service = EC2ContainerServiceResponse.update_service

    @functools.wraps(create_service)
    def patched_create_service(self: EC2ContainerServiceResponse) -> Any:
        launch_type = self._get_param("launchType")
        strategy = self._get_param("capacityProviderStrategy")
        if launch_type and strategy:
            raise InvalidParameterException(BOTH_GIVEN)
        cluster = self.ecs_backend._get_cluster(self._get_param("cluster", "default"))
        if strategy:
            strategy = checked(self, strategy)
        elif not launch_type and cluster.default_capacity_provider_strategy:
            strategy = _normalised(copy.deepcopy(cluster.default_capacity_provider_strategy))

        result = create_service(self)
        service = result.result["service"]
        service.capacity_provider_strategy = strategy or None
        if strategy:
            service.launch_type = None
            for deployment in service.deployments:
                deployment.pop("launchType", None)
                deployment["capacityProviderStrategy"] = copy.deepcopy(strategy)
        return result

    @functools.wraps(update_service)
    def patched_update_service(self: EC2ContainerServiceResponse) -> Any:
        strategy = self._get_param("capacityProviderStrategy")
        if strategy:
            checked(self, strategy)
        result = update_service(self)
        service = result.result["service"]
        if strategy:  # moto stored the request's items as they came
            service.capacity_provider_strategy = _normalised(strategy)
            service.launch_type = None
            for deployment in service.deployments:
                deployment.pop("launchType", None)
                deployment["capacityProviderStrategy"] = copy.deepcopy(service.capacity_provider_strategy)
        return result

    EC2ContainerServiceResponse.create_service = patched_create_service
    EC2ContainerServiceResponse.update_service = patched_update_service
