"""The commands on infra's own tools: the embedded emulator and the toolchain."""

from __future__ import annotations

import click

from core.errors import CheckFailed, InfraError
from infra.cli.context import CliContext, pass_ctx
from infra.emulator import manager
from infra.toolchain import load_toolchain


@click.group()
def emulator() -> None:
    """The embedded AWS emulator (moto server with the project's patches)."""


@emulator.command("start")
@click.option("--port", type=click.IntRange(1, 65535), help="Loopback port (default: a free one).")
@pass_ctx
def emulator_start(ctx: CliContext, port: int | None) -> None:
    """Start the emulator in the background; prints its endpoint."""
    try:
        info = manager.start(port=port, state_dir=ctx.project.state_dir)
    except manager.EmulatorError as exc:
        raise InfraError(str(exc)) from None
    click.echo(f"emulator running at {info.endpoint} (pid {info.pid}, log {info.log_path})")


@emulator.command("stop")
@pass_ctx
def emulator_stop(ctx: CliContext) -> None:
    """Stop the emulator started by `infra emulator start`."""
    click.echo("emulator stopped" if manager.stop(ctx.project.state_dir) else "emulator was not running")


@emulator.command("status")
@pass_ctx
def emulator_status(ctx: CliContext) -> None:
    """Say whether the emulator runs, and where; exit 1 when it does not."""
    info = manager.status(ctx.project.state_dir)
    if info is None:
        raise CheckFailed("emulator is not running (start it with `infra emulator start`)")
    click.echo(f"emulator running at {info.endpoint} (pid {info.pid}, log {info.log_path})")


@click.group(invoke_without_command=True)
@click.pass_context
def toolchain(click_ctx: click.Context) -> None:
    """Show the terraform binary and where the provider comes from (TF_PROVIDER_MIRROR)."""
    if click_ctx.invoked_subcommand is None:
        tc = load_toolchain(click_ctx.obj.project.state_dir)
        click.echo(f"terraform:  {tc.terraform} ({tc.version})")
        click.echo(f"provider:   {tc.mirror or 'registry.terraform.io'} ({tc.mirror_origin})")
        click.echo(f"cli config: {tc.cli_config or '(terraform default)'}")


@toolchain.command("env")
@pass_ctx
def toolchain_env(ctx: CliContext) -> None:
    """Print the shell export that makes a plain `terraform init` use the same provider source."""
    tc = load_toolchain(ctx.project.state_dir)
    if tc.cli_config:
        click.echo(f"export TF_CLI_CONFIG_FILE={tc.cli_config}")



COMMANDS = (emulator, toolchain)
