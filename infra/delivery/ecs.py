"""`infra deploy` and `infra rollback`: move the ECS service between task-definition revisions.

A deploy registers a revision that differs from the service's current one only in the
application container's image, and tags it with the revision it replaces (PREVIOUS_TAG). That tag
is the rollback history: it lives in AWS with the revision itself, so any later job or machine
finds it, and rolling back twice walks back two deploys. Revisions Terraform registered carry no
such tag, so a rollback from one of them has nothing to go back to, and says so.

The first release also starts the service: Terraform creates it with no task and a scaling floor
of 0 (its first revision names an image no build has pushed yet), and the first deploy registers
the tier's floor, which moves the count up to it (see modules/service's autoscaling target).

Both commands are safe to re-run: a deploy of the image the service already runs registers
nothing, and only waits for the service to be stable.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from core.errors import CheckFailed, InfraError
from core.scope import tag_dict
from infra.delivery.target import Target
from infra.deploy_revisions import NO_PREVIOUS, PREVIOUS_TAG

SCALED = "ecs:service:DesiredCount"
IMAGE = re.compile(r"^(?P<repository>[a-z0-9][a-z0-9._\-/:]*[a-z0-9])@(?P<digest>sha256:[0-9a-f]{64})\Z")
# register_task_definition takes these keys of describe_task_definition's answer unchanged.
REGISTER_KEYS = (
    "family",
    "taskRoleArn",
    "executionRoleArn",
    "networkMode",
    "containerDefinitions",
    "volumes",
    "placementConstraints",
    "requiresCompatibilities",
    "cpu",
    "memory",
    "pidMode",
    "ipcMode",
    "proxyConfiguration",
    "inferenceAccelerators",
    "ephemeralStorage",
    "runtimePlatform",
)


@dataclass
class Moved:
    """What a deploy or rollback did: from which revision to which (equal when nothing changed)."""

    service: str
    previous: str
    current: str
    image: str

    @property
    def changed(self) -> bool:
        return self.previous != self.current


def revision_name(arn: str) -> str:
    """arn:aws:ecs:...:task-definition/rupaya-dev:7 -> rupaya-dev:7"""
    return arn.rsplit("/", 1)[-1]


def parse_image(image: str) -> tuple[str, str]:
    """`<repository URL>@sha256:<64 hex>` -> (repository URL, digest); a tag is refused, a digest is immutable."""
    match = IMAGE.match(image.strip())
    if not match:
        raise InfraError(f"image '{image}' is not <repository>@sha256:<64 hex digits>; deploy by digest, never by tag")
    return match["repository"], match["digest"]


class Service:
    """The env's ECS service, named by its Terraform outputs."""

    def __init__(self, target: Target):
        self.target = target
        self.ecs = target.aws.client("ecs")
        self.cluster = target.out("ecs_cluster_name")
        self.name = target.out("ecs_service_name")

    def describe(self) -> dict:
        services = self.ecs.describe_services(cluster=self.cluster, services=[self.name])["services"]
        if not services or services[0].get("status") != "ACTIVE":
            raise InfraError(f"{self.target.env}: ECS service {self.name} is not active in cluster {self.cluster}")
        return services[0]

    def current_revision(self) -> str:
        return self.describe()["taskDefinition"]

    def task_definition(self, arn: str) -> tuple[dict, dict[str, str]]:
        answer = self.ecs.describe_task_definition(taskDefinition=arn, include=["TAGS"])
        tags = tag_dict(answer.get("tags"), "key", "value")
        return answer["taskDefinition"], tags

    def move_to(self, arn: str) -> None:
        self.ecs.update_service(cluster=self.cluster, service=self.name, taskDefinition=arn)

    def waiting_for_first_release(self) -> bool:
        return _waits_for_first_release(self.describe())

    def raise_floor(self, floor: int, say: Callable[[str], None]) -> None:
        """Register the tier's floor with the service's scaling target; AWS moves the count up to it."""
        scaling = self.target.aws.client("application-autoscaling")
        resource = f"service/{self.cluster}/{self.name}"
        found = scaling.describe_scalable_targets(
            ServiceNamespace="ecs", ResourceIds=[resource], ScalableDimension=SCALED
        )["ScalableTargets"]
        if not found:
            raise InfraError(f"{self.target.env}: no scaling target for {resource}; apply the env first")
        ceiling = found[0]["MaxCapacity"]
        if not 1 <= floor <= ceiling:
            raise InfraError(
                f"{self.target.env}: service_min_tasks {floor} is not within 1..{ceiling} (the target's max)"
            )
        scaling.register_scalable_target(
            ServiceNamespace="ecs", ResourceId=resource, ScalableDimension=SCALED,
            MinCapacity=floor, MaxCapacity=ceiling,
        )
        say(f"   first release: {self.name} scales between {floor} and {ceiling} tasks from now on")

    def wait_stable(self, timeout: float, poll: float, say: Callable[[str], None]) -> dict:
        """Until one deployment runs its desired count (ECS's 'services stable'); CheckFailed on timeout."""
        deadline = time.monotonic() + timeout
        last = ""
        while True:
            service = self.describe()
            primary = [d for d in service["deployments"] if d.get("status") == "PRIMARY"]
            running, desired = service.get("runningCount", 0), service.get("desiredCount", 0)
            state = f"{len(service['deployments'])} deployment(s), {running}/{desired} running"
            if state != last:
                say(f"   {self.name}: {state}")
                last = state
            rollout = primary[0].get("rolloutState", "COMPLETED") if primary else None
            if rollout == "FAILED":
                raise CheckFailed(
                    f"{self.name}: ECS marked the deployment FAILED ({primary[0].get('rolloutStateReason', '')})"
                )
            if len(service["deployments"]) == 1 and primary and running == desired and rollout == "COMPLETED":
                return service
            if time.monotonic() >= deadline:
                raise CheckFailed(f"{self.name} did not become stable within {timeout:.0f}s ({state})")
            time.sleep(poll)


def _container(definition: dict, name: str) -> dict:
    for container in definition["containerDefinitions"]:
        if container["name"] == name:
            return container
    names = ", ".join(c["name"] for c in definition["containerDefinitions"])
    raise InfraError(f"task definition {definition['taskDefinitionArn']} has no container `{name}` (it has {names})")


def check_image_present(target: Target, repository_url: str, digest: str) -> None:
    """The digest must be in this env's own repository: promote it there first."""
    expected = target.out("ecr_repository_url")
    if repository_url != expected:
        raise InfraError(
            f"image repository {repository_url} is not {target.env}'s ({expected}); "
            f"`infra promote --to {target.env}` copies the image there first"
        )
    ecr = target.aws.client("ecr")
    found = ecr.batch_get_image(
        repositoryName=target.out("ecr_repository_name"), imageIds=[{"imageDigest": digest}]
    ).get("images", [])
    if not found:
        raise InfraError(f"{digest} is not in {target.env}'s repository {expected}; promote or push it first")


def deploy(target: Target, image: str, *, timeout: float, poll: float, say: Callable[[str], None]) -> Moved:
    """Move the service to a revision running `image`; register one only if none runs it yet.

    The first release also raises the service's floor to the tier's (it runs no task before), and
    its revision names no previous one: Terraform's first revision is no release to go back to.
    """
    repository_url, digest = parse_image(image)
    check_image_present(target, repository_url, digest)
    service = Service(target)
    container_name = target.out("container_name")
    described = service.describe()
    first = _waits_for_first_release(described)
    floor = _floor(target) if first else 0
    current = described["taskDefinition"]
    definition, tags = service.task_definition(current)
    registered = current
    if _container(definition, container_name)["image"] == image:
        say(f"   {service.name} already runs {image} ({revision_name(current)})")
    else:
        request = {key: definition[key] for key in REGISTER_KEYS if definition.get(key) not in (None, [], {})}
        for container in request["containerDefinitions"]:
            if container["name"] == container_name:
                container["image"] = image
        # AWS-reserved tags ("aws:...") cannot be set by a caller; everything else is the stack's.
        tags = {**{k: v for k, v in tags.items() if not k.startswith("aws:")},
                PREVIOUS_TAG: NO_PREVIOUS if first else current}
        registered = service.ecs.register_task_definition(
            **request, tags=[{"key": k, "value": v} for k, v in sorted(tags.items())]
        )["taskDefinition"]["taskDefinitionArn"]
        say(f"   registered {revision_name(registered)} (from {revision_name(current)}, image {digest[:19]}...)")
        service.move_to(registered)
    if first:
        service.raise_floor(floor, say)
    service.wait_stable(timeout, poll, say)
    return Moved(service.name, current, registered, image)


def _waits_for_first_release(service: dict) -> bool:
    """Terraform's shape before the first deploy: no task wanted (see modules/service)."""
    return service.get("desiredCount", 0) == 0


def _floor(target: Target) -> int:
    floor = target.out("service_min_tasks")
    if isinstance(floor, bool) or not isinstance(floor, int):
        raise InfraError(f"{target.env}: the output service_min_tasks is {floor!r}, not a task count")
    return floor


def rollback(target: Target, *, timeout: float, poll: float, say: Callable[[str], None]) -> Moved | None:
    """Back to the revision the current one replaced; None when the current one replaced nothing."""
    service = Service(target)
    current = service.current_revision()
    _, tags = service.task_definition(current)
    previous = tags.get(PREVIOUS_TAG)
    if not previous or previous == NO_PREVIOUS:
        return None
    previous_definition, _ = service.task_definition(previous)
    image = _container(previous_definition, target.out("container_name"))["image"]
    service.move_to(previous)
    service.wait_stable(timeout, poll, say)
    return Moved(service.name, current, previous, image)
