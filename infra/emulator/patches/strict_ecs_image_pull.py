"""Strict: a service whose task definition names an image absent from ECR runs no task, as on AWS.

moto 5.2.5 (with ecs_service_scheduler): every desired task "runs", whatever image it names.

AWS: the task is stopped with ``CannotPullContainerError`` ("... not found"), ECS keeps retrying,
and the deployment circuit breaker marks the deployment FAILED ("tasks failed to start"). An apply
"succeeds" with no task running.

Terraform symptom: a first revision naming ``<repository>:bootstrap``, which nothing pushes, is
"running" on the emulator; on AWS the env's first apply leaves a service that never starts.

Patch: after CreateService and UpdateService, when a container of the service's task definition
names an image in one of this emulator's ECR repositories (``<account>.dkr.ecr.<region>.
amazonaws.com/<repository>`` with a tag or a digest) that the repository does not hold, and the
service wants tasks, none runs: ``runningCount`` 0 and the PRIMARY deployment FAILED with ECS's
circuit-breaker reason. Images outside this emulator's ECR (Docker Hub, public ECR) are not judged.
"""

from __future__ import annotations

import functools
import re
from typing import Any

ECR_IMAGE = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/(?P<repository>[^:@]+)"
    r"(?::(?P<tag>[^@]+))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?\Z"
)


def missing_image(image: str) -> bool:
    """Whether `image` is this emulator's ECR image and its repository lacks it (or the repository is gone)."""
    from moto.ecr.models import ecr_backends

    match = ECR_IMAGE.match(image)
    if not match:
        return False
    repository = ecr_backends[match["account"]][match["region"]].repositories.get(match["repository"])
    if repository is None:
        return True
    tag, digest = match["tag"], match["digest"]
    for held in repository.images:
        if digest and held.image_digest == digest:
            return False
        if not digest and (tag or "latest") in held.image_tags:
            return False
    return True


def _fail_missing(backend: Any, service: Any) -> None:
    if not service.desired_count or not service.deployments:
        return
    definition = backend.describe_task_definition(service.task_definition)
    absent = [c["image"] for c in definition.container_definitions if missing_image(c.get("image", ""))]
    if not absent:
        return
    service.running_count = 0
    service.pending_count = 0
    service.deployments[0].update({
        "runningCount": 0,
        "failedTasks": service.desired_count,
        "rolloutState": "FAILED",
        "rolloutStateReason": "ECS deployment circuit breaker: tasks failed to start.",
    })
    service.events.insert(0, {
        "id": service.deployments[0]["id"],
        "message": f"(service {service.name}) tasks failed to start: CannotPullContainerError: "
                   f"pull image manifest has been retried 1 time(s): {absent[0]}: not found",
    })


def apply() -> None:
    from moto.ecs.models import EC2ContainerServiceBackend

    create_service = EC2ContainerServiceBackend.create_service
    update_service = EC2ContainerServiceBackend.update_service

    @functools.wraps(create_service)
    def patched_create_service(self: Any, *args: Any, **kwargs: Any) -> Any:
        service = create_service(self, *args, **kwargs)
        _fail_missing(self, service)
        return service

    @functools.wraps(update_service)
    def patched_update_service(self: Any, service_properties: dict[str, Any]) -> Any:
        service = update_service(self, service_properties)
        _fail_missing(self, service)
        return service

    EC2ContainerServiceBackend.create_service = patched_create_service
    EC2ContainerServiceBackend.update_service = patched_update_service
