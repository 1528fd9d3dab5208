"""`infra`: the root group, which adds every command module's commands, and the exit-code mapping.

Each subcommand is a thin layer over a library function. Errors the user causes (an unknown env,
a missing tool, a malformed file, an unreachable endpoint) print one line and exit 2; failed
checks exit 1; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from core import reading
from core.errors import CheckFailed, InputError, one_line
from infra.cli import delivery, project, stack, tools, workflows
from infra.cli.context import CliContext


def _limit_option(name: str, variable: str, default: int, what: str):
    """A root option that raises one of core.reading's input limits (through its variable, which
    subprocesses such as the scanners' wrappers inherit too)."""
    return click.option(name, type=click.IntRange(1, 999_999_999), envvar=variable, show_envvar=True,
                        help=f"{what} (default: {default:,}).",
                        callback=lambda _ctx, _param, value: value is not None and os.environ.__setitem__(
                            variable, str(value)))



def _print_versions(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from core.project import Project
    from infra.versions import versions_text

    terraform_dir = ctx.params.get("terraform_dir") or os.environ.get("INFRA_TERRAFORM_DIR")
    try:
        tree: Path | str = Project.discover(terraform_dir or None).terraform_dir
    except InputError as exc:  # --version reports what is missing rather than failing on it
        tree = str(exc)
    click.echo(versions_text(tree), nl=False)
    ctx.exit(0)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--terraform-dir", envvar="INFRA_TERRAFORM_DIR", show_envvar=True, is_eager=True,
              help="Terraform tree to work on (default: the terraform/ of this checkout).")
@click.option("--version", is_flag=True, is_eager=True, expose_value=False, callback=_print_versions,
              help="Print the versions of infra, Terraform, the AWS provider and the scanners, and exit.")
@click.option("--no-color", is_flag=True,
              help="No colours. Without it: none either when NO_COLOR is set (to anything) or the output "
                   "is not a terminal.")
@click.option("-q", "--quiet", is_flag=True, help="No progress lines.")
@_limit_option("--max-input-mb", "INFRA_MAX_INPUT_MB", 256, "Largest JSON input read, in MB: plans, outputs")
@_limit_option("--max-config-mb", "INFRA_MAX_CONFIG_MB", 8,
               "Largest configuration file read, in MB: .tf, .tf.json, tfvars, YAML, SQL")
@_limit_option("--max-input-depth", "INFRA_MAX_INPUT_DEPTH", 256, "Deepest nesting of a JSON or YAML input")
@_limit_option("--max-yaml-nodes", "INFRA_MAX_YAML_NODES", 1_000_000, "Most nodes a YAML file may expand to")
@click.pass_context
def cli(ctx: click.Context, terraform_dir: str | None, quiet: bool, no_color: bool, **_limits: int | None) -> None:
    """Rupaya infrastructure: plans, policy gates and delivery against AWS or the embedded emulator."""
    if terraform_dir is not None and not terraform_dir.strip():
        from_env = ctx.get_parameter_source("terraform_dir") == click.core.ParameterSource.ENVIRONMENT
        given = "INFRA_TERRAFORM_DIR" if from_env else "--terraform-dir"
        raise InputError(f"{given} is empty: give the Terraform tree's path, or leave it out for this checkout's")
    reading.Limits.current()  # a malformed limit variable is refused before any work
    ctx.obj = CliContext(terraform_dir, quiet, no_color=no_color)



for _module in (project, stack, tools, delivery, workflows):
    for _command in _module.COMMANDS:
        cli.add_command(_command)


def main(argv: list[str] | None = None) -> int:
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    try:
        cli.main(args=argv, prog_name="infra", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("infra: aborted", err=True)
        return 130
    except click.ClickException as exc:
        click.echo(f"infra: {exc.format_message()}", err=True)
        return exc.exit_code
    except (InputError, CheckFailed) as exc:
        click.echo(f"infra: {one_line(str(exc))}", err=True)  # CheckFailed too
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except NoCredentialsError:
        click.echo("infra: no AWS credentials (configure them, or pass --aws-endpoint for an emulator)", err=True)
        return 2
    except ClientError as exc:
        # AWS refused a call: its code and message are the reason, in one line.
        error = exc.response.get("Error", {})
        click.echo(f"infra: AWS {exc.operation_name}: {error.get('Code')}: {error.get('Message')}", err=True)
        return 1
    except BotoCoreError as exc:
        click.echo(f"infra: AWS: {exc}", err=True)
        return 2
    return 0

