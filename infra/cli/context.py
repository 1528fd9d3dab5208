"""What every command module shares: the context object, its decorator, and opening an env's stack."""

from __future__ import annotations

import json
import os
import sys

import click
from rich.console import Console
from rich.table import Table

from core.errors import InfraError
from core.project import Project
from infra.emulator import manager
from infra.terraform import Progress
from infra.toolchain import load_toolchain
from policy.hcl.tfvars import check_tfvars

ENDPOINT_HELP = ("AWS-compatible endpoint to use instead of the embedded emulator; without it: INFRA_AWS_ENDPOINT, "
                 "then AWS_ENDPOINT_URL_<SERVICE> / AWS_ENDPOINT_URL / the AWS config file, then LOCALSTACK_HOST")


def _columns() -> int:
    value = os.environ.get("COLUMNS", "")
    return int(value) if value.isdigit() else 0


class CliContext:
    def __init__(self, terraform_dir: str | None, quiet: bool, no_color: bool = False):
        self._terraform_dir = terraform_dir
        self.progress = Progress(quiet=quiet)
        # Colour only on a terminal and without NO_COLOR (rich checks both; --no-color too). Off a
        # terminal rich would assume 80 columns: tables get 100, whatever COLUMNS says less.
        self.console = Console(soft_wrap=False, no_color=no_color or None,
                               width=None if sys.stdout.isatty() else max(100, _columns()))

    @property
    def project(self) -> Project:
        return Project.discover(self._terraform_dir)


pass_ctx = click.make_pass_decorator(CliContext)


def stack_endpoint(project: Project, url: str | None, progress: Progress, *, start: bool) -> str:
    """The endpoint a stack lives on: --aws-endpoint, else the running emulator, else (up) a new one.

    A stack must outlive the command, so unlike plan and gate this never uses a throw-away emulator.
    """
    from core.endpoint_settings import configured_endpoint
    from infra.endpoints import check_reachable

    chosen = configured_endpoint(url)
    if chosen is not None:
        check_reachable(chosen)
        return chosen
    running = manager.status(project.state_dir)
    if running is not None:
        return running.endpoint
    if not start:
        raise InfraError("no emulator is running, so no env is up on it (`infra up --env ENV` starts one)")
    try:
        info = manager.start(state_dir=project.state_dir)
    except manager.EmulatorError as exc:
        raise InfraError(f"cannot start the emulator: {exc}") from None
    progress.say(f"emulator started at {info.endpoint} (stop it with `infra emulator stop`)")
    return info.endpoint


def open_stack(ctx: CliContext, env: str, aws_endpoint: str | None, *, start: bool = False):
    from infra.stack import Stack

    project = ctx.project
    project.check_env(env)
    check_tfvars(project.env_dir(env))
    toolchain = load_toolchain(project.state_dir)
    endpoint = stack_endpoint(project, aws_endpoint, ctx.progress, start=start)
    return Stack(project, toolchain, env, endpoint, ctx.progress)


def print_outputs(ctx: CliContext, outputs: dict) -> None:
    table = Table(title="outputs", title_justify="left")
    table.add_column("name")
    table.add_column("value", overflow="fold")
    for name, value in sorted(outputs.items()):
        if name != "platform":
            table.add_row(name, value if isinstance(value, str) else json.dumps(value))
    ctx.console.print(table)

