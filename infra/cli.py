"""`infra`: one entry point for plans, the gate, the emulator and (later) policy and delivery.

Each subcommand is a thin layer over a library function. Errors the user causes (an unknown env,
a missing tool, a malformed file, an unreachable endpoint) print one line and exit 2; failed
checks exit 1; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import sys

import click
from rich.console import Console

from infra import docs
from infra import gate as gate_mod
from infra.emulator import manager
from infra.endpoints import aws_endpoint as use_endpoint
from infra.errors import CheckFailed, InfraError
from infra.project import REPO_ROOT, Project
from infra.terraform import Progress, Terraform
from infra.tfvars import check_tfvars
from infra.toolchain import load_toolchain
from infra.workspace import prepare

ENDPOINT_HELP = "AWS-compatible endpoint to use instead of the embedded emulator (env: INFRA_AWS_ENDPOINT)"


class Context:
    def __init__(self, terraform_dir: str | None, quiet: bool):
        self._terraform_dir = terraform_dir
        self.progress = Progress(quiet=quiet)
        self.console = Console(soft_wrap=False)

    @property
    def project(self) -> Project:
        return Project.discover(self._terraform_dir)


pass_ctx = click.make_pass_decorator(Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--terraform-dir", envvar="INFRA_TERRAFORM_DIR", help="Terraform tree to work on (default: ./terraform).")
@click.option("-q", "--quiet", is_flag=True, help="No progress lines.")
@click.pass_context
def cli(ctx: click.Context, terraform_dir: str | None, quiet: bool) -> None:
    """Rupaya infrastructure: plans, policy gates and delivery against AWS or the embedded emulator."""
    ctx.obj = Context(terraform_dir, quiet)


@cli.command()
@click.option("--env", "env", required=True, help="dev, staging or prod.")
@click.option("--aws-endpoint", help=ENDPOINT_HELP)
@pass_ctx
def plan(ctx: Context, env: str, aws_endpoint: str | None) -> None:
    """Init, validate and plan one env against the emulator; writes the plan and its JSON."""
    project = ctx.project
    project.check_env(env)
    check_tfvars(project.env_dir(env))
    toolchain = load_toolchain(project.state_dir)
    with use_endpoint(project, aws_endpoint, ctx.progress) as endpoint:
        ws = prepare(project, env, endpoint)
        tf = Terraform(toolchain, ws, ctx.progress)
        tf.init()
        tf.validate()
        summary = tf.plan()
    click.echo(f"{env}: {summary}")
    click.echo(f"plan: {ws.plan_file}")
    click.echo(f"json: {ws.plan_json}")


@cli.command()
@click.option("--env", "env", default="all", show_default=True, help="dev, staging, prod or all.")
@click.option("--aws-endpoint", help=ENDPOINT_HELP)
@pass_ctx
def gate(ctx: Context, env: str, aws_endpoint: str | None) -> None:
    """The main job: fmt, init, validate and plan every root against the emulator, then one table."""
    project = ctx.project
    envs = project.resolve_envs(env)
    toolchain = load_toolchain(project.state_dir)
    source = toolchain.mirror or "registry"
    ctx.progress.say(f"terraform {toolchain.version}; provider source: {source} ({toolchain.mirror_origin})")
    with use_endpoint(project, aws_endpoint, ctx.progress) as endpoint:
        results = gate_mod.run_gate(project, toolchain, envs, endpoint, ctx.progress)
    gate_mod.print_report(results, ctx.console)
    failed = [r.root for r in results if not r.passed]
    if failed:
        raise CheckFailed(f"gate failed for: {', '.join(failed)}")


@cli.command()
@click.option("--write-readme", is_flag=True, help="Rewrite the README's generated tier table in place.")
@pass_ctx
def tiers(ctx: Context, write_readme: bool) -> None:
    """Print the tier table (Markdown) from terraform/tiers.yaml."""
    table = docs.tier_table(ctx.project.tiers)
    if not write_readme:
        click.echo(table, nl=False)
        return
    readme = REPO_ROOT / "README.md"
    readme.write_text(docs.replace_block(readme.read_text(), table, readme))
    click.echo(f"updated {readme}")


@cli.group()
def emulator() -> None:
    """The embedded AWS emulator (moto server with the project's patches)."""


@emulator.command("start")
@click.option("--port", type=click.IntRange(1, 65535), help="Loopback port (default: a free one).")
@pass_ctx
def emulator_start(ctx: Context, port: int | None) -> None:
    """Start the emulator in the background; prints its endpoint."""
    try:
        info = manager.start(port=port, state_dir=ctx.project.state_dir)
    except manager.EmulatorError as exc:
        raise InfraError(str(exc)) from None
    click.echo(f"emulator running at {info.endpoint} (pid {info.pid}, log {info.log_path})")


@emulator.command("stop")
@pass_ctx
def emulator_stop(ctx: Context) -> None:
    """Stop the emulator started by `infra emulator start`."""
    click.echo("emulator stopped" if manager.stop(ctx.project.state_dir) else "emulator was not running")


@emulator.command("status")
@pass_ctx
def emulator_status(ctx: Context) -> None:
    """Say whether the emulator runs, and where; exit 1 when it does not."""
    info = manager.status(ctx.project.state_dir)
    if info is None:
        raise CheckFailed("emulator is not running (start it with `infra emulator start`)")
    click.echo(f"emulator running at {info.endpoint} (pid {info.pid}, log {info.log_path})")


@cli.group(invoke_without_command=True)
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
def toolchain_env(ctx: Context) -> None:
    """Print the shell export that makes a plain `terraform init` use the same provider source."""
    tc = load_toolchain(ctx.project.state_dir)
    if tc.cli_config:
        click.echo(f"export TF_CLI_CONFIG_FILE={tc.cli_config}")


def main(argv: list[str] | None = None) -> int:
    try:
        cli.main(args=argv, prog_name="infra", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("infra: aborted", err=True)
        return 130
    except click.ClickException as exc:
        click.echo(f"infra: {exc.format_message()}", err=True)
        return exc.exit_code
    except (InfraError, CheckFailed) as exc:
        click.echo(f"infra: {exc}", err=True)
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
