"""ECS services keep the settings CreateService was given.

moto 5.2.5: ``CreateService`` drops ``availabilityZoneRebalancing``,
``deploymentConfiguration`` (incl. the deployment circuit breaker),
``enableExecuteCommand``, ``enableECSManagedTags``,
``healthCheckGracePeriodSeconds``, ``placementConstraints`` and
``placementStrategy``; DescribeServices never returns them.
(``capacityProviderStrategy`` is ecs_service_capacity_provider_strategy's.)

Terraform symptom: ``aws_ecs_service`` reads ``availability_zone_rebalancing``
as "" (the provider's default is "DISABLED") and ``health_check_grace_period_seconds``
as 0, so the plan after apply is never empty; the circuit breaker and the other
settings read back empty as well.

Patch: store those request fields on the service so they are returned, with
AWS's defaults where the request leaves them out (rebalancing "DISABLED",
deployment 200 % / 100 %, circuit breaker off, execute command and managed tags
off).  UpdateService already stores whatever it is sent.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

DEFAULTS: dict[str, Any] = {
    "availabilityZoneRebalancing": "DISABLED",
    "deploymentConfiguration": {
        "deploymentCircuitBreaker": {"enable": False, "rollback": False},
        "maximumPercent": 200,
        "minimumHealthyPercent": 100,
    },
    "enableExecuteCommand": False,
    "enableECSManagedTags": False,
    "healthCheckGracePeriodSeconds": None,
    "placementConstraints": None,
    "placementStrategy": None,
}


def apply() -> None:
    from botocore import xform_name
    from moto.ecs.responses import EC2ContainerServiceResponse

    create_service = EC2ContainerServiceResponse.create_service

    @functools.wraps(create_service)
    def patched_create_service(self: EC2ContainerServiceResponse) -> Any:
        result = create_service(self)
        service = result.result["service"]
        for field, default in DEFAULTS.items():
            value = self._get_param(field)
            if value is None:
                value = copy.deepcopy(default)
            elif field == "deploymentConfiguration":
                value = {**copy.deepcopy(default), **value}
            setattr(service, xform_name(field), value)
        return result

    EC2ContainerServiceResponse.create_service = patched_create_service
