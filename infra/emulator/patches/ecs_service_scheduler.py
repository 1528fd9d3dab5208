"""ECS services run the tasks they ask for, as ECS's scheduler would with room to place them.

moto 5.2.5: a service never runs anything. ``runningCount`` stays at 0 (or at the fixed
``MOTO_ECS_SERVICE_RUNNING``) whatever ``desiredCount`` is, its one deployment stays
``IN_PROGRESS``, and ``UpdateService`` with a new task definition changes the service but not its
deployment, which keeps the old task definition.

Symptom: a service is never "stable" (the ``services_stable`` waiter and ``infra verify`` wait for
one PRIMARY deployment of the service's task definition with every desired task running), so a
health check or a deploy against the emulator can only time out.

Patch: after CreateService and UpdateService the service settles at once: ``runningCount`` equals
``desiredCount``, nothing is pending, and its only deployment is a COMPLETED PRIMARY deployment of
the service's current task definition (a new deployment id when the task definition changed).
"""

from __future__ import annotations

import functools
from typing import Any


def _settle(service: Any, new_deployment: bool) -> None:
    from moto.core.utils import utcnow
    from moto.moto_api._internal import mock_random

    service.running_count = service.desired_count
    service.pending_count = 0
    if service.deployment_controller.get("type", "ECS") != "ECS" or not service.deployments:
        return
    deployment = service.deployments[0]
    now = utcnow()
    if new_deployment:
        deployment["id"] = f"ecs-svc/{mock_random.randint(0, 32**12)}"
        deployment["createdAt"] = now
    deployment.update({
        "status": "PRIMARY",
        "taskDefinition": service.task_definition,
        "desiredCount": service.desired_count,
        "runningCount": service.desired_count,
        "pendingCount": 0,
        "rolloutState": "COMPLETED",
        "rolloutStateReason": f"ECS deployment {deployment['id']} completed.",
        "updatedAt": now,
    })
    del service.deployments[1:]


def apply() -> None:
    from moto.ecs.models import EC2ContainerServiceBackend

    create_service = EC2ContainerServiceBackend.create_service
    update_service = EC2ContainerServiceBackend.update_service

    @functools.wraps(create_service)
    def patched_create_service(self: Any, *args: Any, **kwargs: Any) -> Any:
        service = create_service(self, *args, **kwargs)
        _settle(service, new_deployment=False)
        return service

    @functools.wraps(update_service)
    def patched_update_service(self: Any, service_properties: dict[str, Any]) -> Any:
        before = self._get_service(service_properties.get("cluster", "default"),
                                   service_properties["service"].split("/")[-1]).task_definition
        service = update_service(self, service_properties)
        _settle(service, new_deployment=service.task_definition != before)
        return service

    EC2ContainerServiceBackend.create_service = patched_create_service
    EC2ContainerServiceBackend.update_service = patched_update_service
