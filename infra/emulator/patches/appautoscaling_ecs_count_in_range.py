"""Registering an ECS service's scalable target moves its desired count into [min, max], as AWS does.

moto 5.2.5: ``RegisterScalableTarget`` records the range and leaves the service alone.

AWS (RegisterScalableTarget): "If the specified resource is not active in the target service, this
operation does not change the resource's current capacity. Otherwise, it changes the resource's
current capacity to a value that is inside of this range."

Terraform symptom: a service created with ``desired_count = 0`` beside a target whose minimum is 1
keeps 0 tasks on the emulator and starts one on AWS, so a design that relies on the count staying
put (a service waiting for its first release) passes here and runs the missing image there.

Patch: after the target is registered, an ACTIVE ECS service whose desired count is outside the
range is updated to the nearest bound through ECS's own UpdateService (so the service scheduler,
and the strict image check, see the change as they would any other).
"""

from __future__ import annotations

import functools
from typing import Any


def apply() -> None:
    from moto.applicationautoscaling.models import ApplicationAutoscalingBackend

    original = ApplicationAutoscalingBackend.register_scalable_target

    @functools.wraps(original)
    def register_scalable_target(self: Any, namespace: str, r_id: str, dimension: str, *args: Any, **kwargs: Any):
        target = original(self, namespace, r_id, dimension, *args, **kwargs)
        if namespace == "ecs" and dimension == "ecs:service:DesiredCount":
            _, cluster, name = r_id.split("/")
            (service,), _ = self.ecs_backend.describe_services(cluster, [name])
            low, high = target.min_capacity, target.max_capacity
            if service.status == "ACTIVE" and not low <= service.desired_count <= high:
                wanted = min(max(service.desired_count, low), high)
                self.ecs_backend.update_service({"cluster": cluster, "service": name, "desired_count": wanted})
        return target

    ApplicationAutoscalingBackend.register_scalable_target = register_scalable_target
