"""The commands on one env's stack: up, down, verify."""

from __future__ import annotations

import click
from rich.table import Table

from core.errors import CheckFailed, InfraError
from infra.cli.context import ENDPOINT_HELP, CliContext, open_stack, pass_ctx, print_outputs


@click.command()
@click.option("--env", "env", required=True, help="dev, staging or prod.")
@click.option("--aws-endpoint", help=ENDPOINT_HELP)
@click.option("--keep-on-failure", is_flag=True, help="Leave what a failed apply created, for debugging.")
@pass_ctx
def up(ctx: CliContext, env: str, aws_endpoint: str | None, keep_on_failure: bool) -> None:
    """Apply one env to the emulator (started in the background if none runs) and print its outputs.

    A failed apply is destroyed again, so nothing is left half-applied (unless --keep-on-failure)."""
    from infra.stack import TeardownFailed

    stack = open_stack(ctx, env, aws_endpoint, start=True)
    try:
        stack.apply()
    except InfraError as exc:
        if keep_on_failure:
            raise InfraError(f"{exc}; kept what was created; `infra down --env {env}` removes it") from None
        ctx.progress.say(f"xx {env}: apply failed; destroying what it created")
        try:
            stack.destroy()
        except TeardownFailed as teardown:
            raise InfraError(f"{exc}; and the clean-up failed too: {teardown}") from None
        raise
    from infra.delivery.app_secrets import init as init_secrets
    from infra.delivery.ecs import Service
    from infra.delivery.target import Target

    outputs = stack.outputs()
    target = Target(env, outputs, stack.aws, f"the state at {stack.workspace.state_file}")
    for line in init_secrets(target):
        ctx.progress.say(f"ok {env}: {line}")
    print_outputs(ctx, outputs)
    click.echo(f"{env} is up on {stack.where}; state: {stack.workspace.state_file}")
    if Service(target).waiting_for_first_release():
        click.echo(f"{env}: the service runs no task until its first release: push an image to "
                   f"{outputs['ecr_repository_url']}, then `infra deploy --env {env} --digest sha256:...`")


@click.command()
@click.option("--env", "env", required=True, help="dev, staging or prod.")
@click.option("--aws-endpoint", help=ENDPOINT_HELP)
@pass_ctx
def down(ctx: CliContext, env: str, aws_endpoint: str | None) -> None:
    """Destroy one env (deletion protection lifted first) and check that nothing tagged as it is left."""
    from core.scope import describe_scope
    from infra.stack import TeardownFailed

    stack = open_stack(ctx, env, aws_endpoint)
    try:
        left = stack.destroy()
    except TeardownFailed as exc:
        raise CheckFailed(str(exc)) from None
    unchecked = "".join(f"\nnot checked: {svc} ({why})" for svc, why in sorted(left.unchecked.items()))
    scope = describe_scope(stack.scope)
    click.echo(f"{env} is down; nothing tagged {scope} is left on {stack.where}{unchecked}")


@click.command()
@click.option("--env", "env", required=True, help="dev, staging or prod.")
@click.option("--aws-endpoint", help=ENDPOINT_HELP)
@pass_ctx
def verify(ctx: CliContext, env: str, aws_endpoint: str | None) -> None:
    """Live checks of an applied env: no drift, every part up, and the policy on the live resources."""
    from infra import verify as verify_mod

    stack = open_stack(ctx, env, aws_endpoint)
    if not stack.state_addresses():
        raise InfraError(f"{env} is not up on {stack.where} (no state at {stack.workspace.state_file})")
    tier = ctx.project.tiers["tiers"][env]
    checks = [verify_mod.drift_check(stack), *verify_mod.health_checks(stack, stack.outputs(), tier)]
    checks += verify_mod.policy_checks(stack)
    table = Table(title=f"{env}: live checks on {stack.where}", title_justify="left")
    for column in ("check", "result", "detail"):
        table.add_column(column, overflow="fold")
    for check in checks:
        table.add_row(check.name, "ok" if check.ok else "FAIL", check.detail)
    ctx.console.print(table)
    failed = [c.name for c in checks if not c.ok]
    if failed:
        raise CheckFailed(f"{env}: live checks failed: {', '.join(failed)}")



COMMANDS = (up, down, verify)
