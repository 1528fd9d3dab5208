"""Helpers of the delivery tests: `terraform output -json` files, and the shared service's state."""

from __future__ import annotations

import json
from pathlib import Path


def write(path: Path, values: dict) -> Path:
    """Write values the way `terraform output -json` prints them (each under "value")."""
    path.write_text(json.dumps({k: {"value": v, "type": "string", "sensitive": False} for k, v in values.items()}))
    return path


def registry_env(ecr, env: str, repository: str, path: Path) -> Path:
    """An env that has only its ECR repository (created here as the registry module would), as outputs.

    Promotion only reads an env's repository; a whole second env apply would only add minutes.
    """
    repo = ecr.create_repository(repositoryName=repository, imageTagMutability="IMMUTABLE",
                                 imageScanningConfiguration={"scanOnPush": True})["repository"]
    return write(path, {"environment": env, "ecr_repository_name": repo["repositoryName"],
                        "ecr_repository_url": repo["repositoryUri"]})


def current_revision(live) -> str:
    """The task-definition ARN the env's ECS service runs."""
    out = live.outputs
    return live.client("ecs").describe_services(
        cluster=out["ecs_cluster_name"], services=[out["ecs_service_name"]])["services"][0]["taskDefinition"]


def running_image(live) -> str:
    """The image of the application container the service runs."""
    definition = live.client("ecs").describe_task_definition(taskDefinition=current_revision(live))["taskDefinition"]
    (container,) = [c for c in definition["containerDefinitions"] if c["name"] == live.outputs["container_name"]]
    return container["image"]


def reset_service(live) -> None:
    """Put the service back on its first release (as the `live` fixture left it) and deregister every
    other revision deploys made. Not on Terraform's revision: its image was never pushed."""
    from infra.deploy_revisions import retire_deploy_revisions

    ecs, out = live.client("ecs"), live.outputs
    first = live.first_release.after["service"]["taskDefinition"]
    ecs.update_service(cluster=out["ecs_cluster_name"], service=out["ecs_service_name"], taskDefinition=first)
    retire_deploy_revisions(live.aws, out["task_definition_family"], live.stack.scope, keep=frozenset({first}))
