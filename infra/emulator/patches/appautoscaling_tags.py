"""App Auto Scaling tagging: Tags on RegisterScalableTarget, List/Tag/UntagResource.

moto 5.2.5: ``RegisterScalableTarget`` ignores ``Tags`` and the operations
``ListTagsForResource``, ``TagResource`` and ``UntagResource`` are not
implemented (HTTP 500 "action has not been implemented").

Terraform symptom: ``aws_appautoscaling_target`` reads its tags after create;
the 500 is retried (for 15+ minutes with default ``max_retries``) and the
apply then fails.

Patch: keep tags per scalable-target ARN in the backend, accept ``Tags`` on
register, implement the three operations (unknown ARN ->
``ResourceNotFoundException``), and drop a target's tags when it is
deregistered.
"""

from __future__ import annotations

import functools
import json
from typing import Any


def apply() -> None:
    from moto.applicationautoscaling.models import ApplicationAutoscalingBackend
    from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse
    from moto.core.exceptions import JsonRESTError
    from moto.utilities.tagging_service import TaggingService

    class ResourceNotFoundException(JsonRESTError):
        def __init__(self, arn: str) -> None:
            super().__init__("ResourceNotFoundException", f"No scalable target found for {arn}")

    backend_init = ApplicationAutoscalingBackend.__init__

    @functools.wraps(backend_init)
    def __init__(self: ApplicationAutoscalingBackend, *args: Any, **kwargs: Any) -> None:
        backend_init(self, *args, **kwargs)
        self.tagger = TaggingService()

    def _target_arns(self: ApplicationAutoscalingBackend) -> set[str]:
        return {t.arn for by_id in self.targets.values() for t in by_id.values()}

    def _existing(self: ApplicationAutoscalingBackend, arn: str) -> str:
        if arn not in _target_arns(self):
            raise ResourceNotFoundException(arn)
        return arn

    def list_tags_for_resource(self: ApplicationAutoscalingBackend, arn: str) -> dict[str, str]:
        return self.tagger.get_tag_dict_for_resource(_existing(self, arn))

    def tag_resource(self: ApplicationAutoscalingBackend, arn: str, tags: dict[str, str]) -> None:
        self.tagger.tag_resource(_existing(self, arn), TaggingService.convert_dict_to_tags_input(tags))

    def untag_resource(self: ApplicationAutoscalingBackend, arn: str, keys: list[str]) -> None:
        self.tagger.untag_resource_using_names(_existing(self, arn), keys)

    deregister = ApplicationAutoscalingBackend.deregister_scalable_target

    @functools.wraps(deregister)
    def deregister_scalable_target(self: ApplicationAutoscalingBackend, *args: Any, **kwargs: Any) -> None:
        before = _target_arns(self)
        deregister(self, *args, **kwargs)
        for arn in before - _target_arns(self):
            self.tagger.delete_all_tags_for_resource(arn)

    ApplicationAutoscalingBackend.__init__ = __init__
    ApplicationAutoscalingBackend.list_tags_for_resource = list_tags_for_resource
    ApplicationAutoscalingBackend.tag_resource = tag_resource
    ApplicationAutoscalingBackend.untag_resource = untag_resource
    ApplicationAutoscalingBackend.deregister_scalable_target = deregister_scalable_target

    register = ApplicationAutoScalingResponse.register_scalable_target

    @functools.wraps(register)
    def register_scalable_target(self: ApplicationAutoScalingResponse) -> str:
        body = register(self)
        tags = self._get_param("Tags")
        if tags:
            self.applicationautoscaling_backend.tag_resource(json.loads(body)["ScalableTargetARN"], tags)
        return body

    def list_tags_for_resource_response(self: ApplicationAutoScalingResponse) -> str:
        tags = self.applicationautoscaling_backend.list_tags_for_resource(self._get_param("ResourceARN"))
        return json.dumps({"Tags": tags})

    def tag_resource_response(self: ApplicationAutoScalingResponse) -> str:
        self.applicationautoscaling_backend.tag_resource(
            self._get_param("ResourceARN"), self._get_param("Tags")
        )
        return "{}"

    def untag_resource_response(self: ApplicationAutoScalingResponse) -> str:
        self.applicationautoscaling_backend.untag_resource(
            self._get_param("ResourceARN"), self._get_param("TagKeys")
        )
        return "{}"

    ApplicationAutoScalingResponse.register_scalable_target = register_scalable_target
    ApplicationAutoScalingResponse.list_tags_for_resource = list_tags_for_resource_response
    ApplicationAutoScalingResponse.tag_resource = tag_resource_response
    ApplicationAutoScalingResponse.untag_resource = untag_resource_response
