"""The workflow subcommands of `infra`: detect-env (what the determine-environment job runs)."""

from __future__ import annotations

import click

from infra.cli import Context, cli, pass_ctx
from infra.errors import InfraError
from infra.workflows.detect import detect


def _inputs(values: tuple[str, ...]) -> dict[str, str]:
    inputs = {}
    for value in values:
        key, sep, val = value.partition("=")
        if not sep or not key.strip():
            raise InfraError(f"--input '{value}' is not NAME=VALUE")
        inputs[key.strip()] = val.strip()
    return inputs


@cli.command("detect-env")
@click.option("--event", required=True, help="github.event_name: push, pull_request, workflow_dispatch, ...")
@click.option("--ref", required=True, help="github.ref: refs/heads/BRANCH or refs/tags/TAG.")
@click.option("--base-ref", help="github.base_ref of a pull_request: the branch it merges into.")
@click.option("--input", "inputs", multiple=True, metavar="NAME=VALUE", help="A workflow_dispatch input.")
@pass_ctx
def detect_env(ctx: Context, event: str, ref: str, base_ref: str | None, inputs: tuple[str, ...]) -> None:
    """Print the env a deployment for this event targets: dev, staging, prod or none (the reason on stderr)."""
    decision = detect(event, ref, ctx.project.envs, _inputs(inputs), base_ref)
    click.echo(decision.environment)
    ctx.progress.say(f"{decision.environment}: {decision.reason}")
