"""`infra`: one entry point for plans, the gate, the emulator and (later) policy and delivery.

Each subcommand is a thin layer over a library function. Errors the user causes (an unknown env,
a missing tool, a malformed file, an unreachable endpoint) print one line and exit 2; failed
checks exit 1; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from core import reading
from core.errors import InputError, one_line
from infra import docs
from infra import gate as gate_mod
from infra import inputs as operator_inputs
from infra.emulator import manager
from infra.endpoints import ENDPOINT_ENV
from infra.endpoints import aws_endpoint as use_endpoint
from infra.errors import CheckFailed, InfraError
from infra.project import BOOTSTRAP, REPO_ROOT, Project
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


def _limit_option(name: str, variable: str, default: int, what: str):
    """A root option that raises one of core.reading's input limits (through its variable, which
    subprocesses such as the scanners' wrappers inherit too)."""
    return click.option(name, type=click.IntRange(1, 999_999_999), envvar=variable, show_envvar=True,
                        help=f"{what} (default: {default:,}).",
                        callback=lambda _ctx, _param, value: value is not None and os.environ.__setitem__(
                            variable, str(value)))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--terraform-dir", envvar="INFRA_TERRAFORM_DIR", show_envvar=True,
              help="Terraform tree to work on (default: the terraform/ of this checkout).")
@click.option("-q", "--quiet", is_flag=True, help="No progress lines.")
@_limit_option("--max-input-mb", "INFRA_MAX_INPUT_MB", 256, "Largest JSON input read, in MB: plans, outputs")
@_limit_option("--max-config-mb", "INFRA_MAX_CONFIG_MB", 8,
               "Largest configuration file read, in MB: .tf, .tf.json, tfvars, YAML, SQL")
@_limit_option("--max-input-depth", "INFRA_MAX_INPUT_DEPTH", 256, "Deepest nesting of a JSON or YAML input")
@_limit_option("--max-yaml-nodes", "INFRA_MAX_YAML_NODES", 1_000_000, "Most nodes a YAML file may expand to")
@click.pass_context
def cli(ctx: click.Context, terraform_dir: str | None, quiet: bool, **_limits: int | None) -> None:
    """Rupaya infrastructure: plans, policy gates and delivery against AWS or the embedded emulator."""
    if terraform_dir is not None and not terraform_dir.strip():
        from_env = ctx.get_parameter_source("terraform_dir") == click.core.ParameterSource.ENVIRONMENT
        given = "INFRA_TERRAFORM_DIR" if from_env else "--terraform-dir"
        raise InputError(f"{given} is empty: give the Terraform tree's path, or leave it out for this checkout's")
    reading.Limits.current()  # a malformed limit variable is refused before any work
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
@click.option("--env", "env", default="all", show_default=True,
              help="dev, staging, prod, bootstrap, or all (every env and bootstrap).")
@pass_ctx
def inputs(ctx: Context, env: str) -> None:
    """Check that the operator's inputs (domain, hosted zone, alarm e-mail, GitHub repository) that the
    root's tier requires are set, in tfvars or TF_VAR_<name>; one line per root with any missing."""
    project = ctx.project
    roots = [*project.envs, BOOTSTRAP] if env == "all" else [env if env == BOOTSTRAP else project.check_env(env)]
    gaps = []
    for root in roots:
        try:
            operator_inputs.check_inputs(project, root)
        except InfraError as exc:
            gaps.append(str(exc))
            continue
        click.echo(f"{root}: operator inputs set")
    if len(gaps) == 1:
        raise InfraError(gaps[0])
    if gaps:
        for line in gaps:
            click.echo(line, err=True)
        raise InfraError(f"operator inputs missing in {len(gaps)} roots")


@cli.command()
@click.option("--env", "env", default="all", show_default=True, help="dev, staging, prod or all.")
@click.option("--aws-endpoint", help=ENDPOINT_HELP)
@click.option("--report-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where the policy reports go (policy.json, .sarif, .junit.xml, .md); default .infra/reports.")
@click.option("--no-scanners", is_flag=True, help="Skip checkov and trivy.")
@pass_ctx
def gate(ctx: Context, env: str, aws_endpoint: str | None, report_dir: Path | None, no_scanners: bool) -> None:
    """The main job for every root: fmt, init, validate, plan against the emulator, our policy on the
    HCL and the plan, checkov, trivy and cost; one table, and the reports for CI."""
    project = ctx.project
    envs = project.resolve_envs(env)
    if report_dir is not None:
        reading.check_writable(report_dir / "policy.json", "--report-dir")
    toolchain = load_toolchain(project.state_dir)
    source = toolchain.mirror or "registry"
    ctx.progress.say(f"terraform {toolchain.version}; provider source: {source} ({toolchain.mirror_origin})")
    with use_endpoint(project, aws_endpoint, ctx.progress) as endpoint:
        results = gate_mod.run_gate(project, toolchain, envs, endpoint, ctx.progress, scanners=not no_scanners)
    gate_mod.print_report(results, ctx.console)
    policy_results = [r.policy for r in results if r.policy is not None]
    if policy_results:
        written = gate_mod.write_reports(policy_results, report_dir or project.state_dir / "reports")
        ctx.progress.say("reports: " + ", ".join(str(p) for p in written))
    failed = [r.root for r in results if not r.passed]
    if failed:
        raise CheckFailed(f"gate failed for: {', '.join(failed)}")


POLICY_FORMATS = ("text", "json", "sarif", "junit", "markdown")


def _overrides(values: tuple[str, ...]) -> dict[str, str]:
    """--override RULE=reason, for soft-mandatory rules (Sentinel's override with a reason)."""
    from policy.model import Level
    from policy.rules import rule_index

    rules = rule_index()
    result = {}
    for value in values:
        rule, sep, reason = (part.strip() for part in value.partition("="))
        if not sep or not rule or not reason:
            raise InfraError(f"--override {value!r}: expected RULE-ID=reason (a reason is required)")
        if rule not in rules:
            raise InfraError(f"--override {rule}: no such rule (see `infra policy --list-rules`)")
        if rules[rule].level is not Level.SOFT:
            raise InfraError(f"--override {rule}: {rules[rule].level} rules cannot be overridden at run time; "
                             "fix the finding or add a reviewed entry to policy/suppressions.yaml")
        result[rule] = reason
    return result


@cli.command()
@click.option("--env", "env", default="all", show_default=True, help="dev, staging, prod, bootstrap or all.")
@click.option("--plan", "plan_json", type=click.Path(dir_okay=False, path_type=Path),
              help="Plan JSON (terraform show -json) to check as well; only with a single --env.")
@click.option("--format", "fmt", type=click.Choice(POLICY_FORMATS), default="text", show_default=True)
@click.option("--output", type=click.Path(path_type=Path),
              help="Write the report here instead of stdout.")
@click.option("--no-scanners", is_flag=True, help="Skip checkov and trivy (our rules only).")
@click.option("--live", is_flag=True,
              help="Check the live resources of the applied env (read through boto3) as well; only with a single "
                   "--env, not with --plan.")
@click.option("--aws-endpoint", help=ENDPOINT_HELP + "; with --live: where the env is applied (default: the "
              "running emulator)")
@click.option("--override", "overrides", multiple=True, metavar="RULE=REASON",
              help="Accept a soft-mandatory rule's findings, with a reason (repeatable).")
@click.option("--list-rules", is_flag=True, help="Print the rules (Markdown table) and exit.")
@pass_ctx
def policy(ctx: Context, env: str, plan_json: Path | None, fmt: str, output: Path | None, no_scanners: bool,
           live: bool, aws_endpoint: str | None, overrides: tuple[str, ...], list_rules: bool) -> None:
    """Sizing, security and cost policy on the HCL of env roots (and a plan JSON, or the live env): 0 clean,
    1 violations."""
    from contextlib import nullcontext

    from policy import reports, runner
    from policy.rules import ALL_RULES

    if list_rules:
        click.echo(docs.rules_table(), nl=False)
        return
    if output is not None:
        reading.check_writable(output)  # now, not after the whole run
    if live and plan_json is not None:
        raise InfraError("--live and --plan are exclusive: check the live env or a plan JSON, not both")
    if aws_endpoint is not None and not live:
        raise InfraError("--aws-endpoint is only used with --live")
    project = ctx.project
    if live and env in ("all", BOOTSTRAP):
        raise InfraError(f"--live needs a single env ({', '.join(project.envs)}), not {env}")
    envs = [BOOTSTRAP, *project.envs] if env == "all" else [env if env == BOOTSTRAP else project.check_env(env)]
    if plan_json is not None and len(envs) != 1:
        raise InfraError("--plan needs a single --env: a plan JSON belongs to one env")
    if live and not (aws_endpoint or os.environ.get(ENDPOINT_ENV)) and manager.status(project.state_dir) is None:
        raise InfraError("--live: no emulator is running, so no env is up on it; give --aws-endpoint URL "
                         f"(or {ENDPOINT_ENV}), or apply one with `infra up --env {env}`")
    with use_endpoint(project, aws_endpoint, ctx.progress) if live else nullcontext(None) as endpoint:
        live_session = None
        if live:
            from policy.live import DEFAULT_REGION, emulator_session, root_settings

            region = root_settings(project.env_dir(envs[0])).get("region") or DEFAULT_REGION
            # Always the emulator's fake credentials against an endpoint, never the caller's profile.
            live_session = emulator_session(str(region))
            ctx.progress.say(f"live: reading {envs[0]} from {endpoint}")
        options = runner.Options(plan_json=plan_json, scanners=not no_scanners, overrides=_overrides(overrides),
                                 live_session=live_session, live_endpoint=endpoint)
        results = [
            runner.run_env(project, name, options, on_step=lambda e, s: ctx.progress.say(f"-> {e}: {s}"))
            for name in envs
        ]
    text = reports.render(results, fmt, rules=ALL_RULES)
    if output is not None:
        reading.write_text(output, text)
        ctx.progress.say(f"report: {output}")
    else:
        click.echo(text, nl=not text.endswith("\n"))
    if not all(result.passed for result in results):
        raise CheckFailed(", ".join(r.env for r in results if not r.passed) + ": policy violations")


@cli.command()
@click.option("--env", "env", required=True, help="dev, staging or prod.")
@click.option("--plan", "plan_json", type=click.Path(dir_okay=False, path_type=Path),
              help="Plan JSON to price (default: the env's HCL).")
@pass_ctx
def cost(ctx: Context, env: str, plan_json: Path | None) -> None:
    """Monthly cost estimate of one env from the shipped price table, against its tier's budget."""
    from policy import cost as cost_mod
    from policy import hcl, plan, runner

    project = ctx.project
    project.check_env(env)
    tier = project.tiers["tiers"][env]
    if plan_json is not None:
        resources = plan.resources_from_plan(runner.load_plan(plan_json), env)
    else:
        resources = hcl.load_env_root(project.env_dir(env), env, repo_root=project.terraform_dir.parent,
                                      inputs=operator_inputs.stand_ins(project, env))
    estimate = cost_mod.estimate(resources, tier)
    verdict = cost_mod.budget_verdict(estimate, tier, production=env in project.tiers["policy"]["production_tiers"])
    table = Table(title=f"{env}: monthly cost estimate (us-east-1 on-demand; * = price not confirmed)",
                  title_justify="left")
    for column in cost_mod.CostEstimate.COLUMNS:
        table.add_column(column, overflow="fold")
    for row in estimate.rows():
        table.add_row(*row)
    ctx.console.print(table)
    click.echo(verdict.message)
    for note in verdict.notes:
        click.echo(f"note: {note}")
    if verdict.at_min == "over":
        raise CheckFailed(f"{env}: the estimate is over the tier's budget")


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
    readme.write_text(docs.render_readme(readme.read_text(), ctx.project.tiers, readme))
    click.echo(f"updated {readme}")


@cli.command("docs")
@click.option("--write", is_flag=True, help="Rewrite the generated blocks in place.")
@pass_ctx
def docs_cmd(ctx: Context, write: bool) -> None:
    """The generated blocks: the README's tier table and policy rules, and each module README's
    inputs and outputs (from its variables.tf and outputs.tf)."""
    readme = REPO_ROOT / "README.md"
    fresh = {readme: docs.render_readme(readme.read_text(), ctx.project.tiers, readme),
             **docs.module_readmes(ctx.project.terraform_dir)}
    stale = [path for path, text in fresh.items() if path.read_text() != text]
    if write:
        for path in stale:
            path.write_text(fresh[path])
            click.echo(f"updated {path}")
    elif stale:
        raise CheckFailed(f"generated blocks are stale in {', '.join(map(str, stale))}; run `infra docs --write`")
    else:
        click.echo("generated blocks are up to date")


def _stack_endpoint(project: Project, url: str | None, progress: Progress, *, start: bool) -> str:
    """The endpoint a stack lives on: --aws-endpoint, else the running emulator, else (up) a new one.

    A stack must outlive the command, so unlike plan and gate this never uses a throw-away emulator.
    """
    from infra.endpoints import check_reachable

    url = url or os.environ.get(ENDPOINT_ENV)
    if url:
        check_reachable(url.rstrip("/"))
        return url.rstrip("/")
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


def _open_stack(ctx: Context, env: str, aws_endpoint: str | None, *, start: bool = False):
    from infra.stack import Stack

    project = ctx.project
    project.check_env(env)
    check_tfvars(project.env_dir(env))
    toolchain = load_toolchain(project.state_dir)
    endpoint = _stack_endpoint(project, aws_endpoint, ctx.progress, start=start)
    return Stack(project, toolchain, env, endpoint, ctx.progress)


def _print_outputs(ctx: Context, outputs: dict) -> None:
    table = Table(title="outputs", title_justify="left")
    table.add_column("name")
    table.add_column("value", overflow="fold")
    for name, value in sorted(outputs.items()):
        if name != "platform":
            table.add_row(name, value if isinstance(value, str) else json.dumps(value))
    ctx.console.print(table)


@cli.command()
@click.option("--env", "env", required=True, help="dev, staging or prod.")
@click.option("--aws-endpoint", help=ENDPOINT_HELP)
@click.option("--keep-on-failure", is_flag=True, help="Leave what a failed apply created, for debugging.")
@pass_ctx
def up(ctx: Context, env: str, aws_endpoint: str | None, keep_on_failure: bool) -> None:
    """Apply one env to the emulator (started in the background if none runs) and print its outputs.

    A failed apply is destroyed again, so nothing is left half-applied (unless --keep-on-failure)."""
    from infra.stack import TeardownFailed

    stack = _open_stack(ctx, env, aws_endpoint, start=True)
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
    _print_outputs(ctx, outputs)
    click.echo(f"{env} is up on {stack.where}; state: {stack.workspace.state_file}")
    if Service(target).waiting_for_first_release():
        click.echo(f"{env}: the service runs no task until its first release: push an image to "
                   f"{outputs['ecr_repository_url']}, then `infra deploy --env {env} --digest sha256:...`")


@cli.command()
@click.option("--env", "env", required=True, help="dev, staging or prod.")
@click.option("--aws-endpoint", help=ENDPOINT_HELP)
@pass_ctx
def down(ctx: Context, env: str, aws_endpoint: str | None) -> None:
    """Destroy one env (deletion protection lifted first) and check that nothing tagged as it is left."""
    from infra.inventory import describe_scope
    from infra.stack import TeardownFailed

    stack = _open_stack(ctx, env, aws_endpoint)
    try:
        left = stack.destroy()
    except TeardownFailed as exc:
        raise CheckFailed(str(exc)) from None
    unchecked = "".join(f"\nnot checked: {svc} ({why})" for svc, why in sorted(left.unchecked.items()))
    scope = describe_scope(stack.scope)
    click.echo(f"{env} is down; nothing tagged {scope} is left on {stack.where}{unchecked}")


@cli.command()
@click.option("--env", "env", required=True, help="dev, staging or prod.")
@click.option("--aws-endpoint", help=ENDPOINT_HELP)
@pass_ctx
def verify(ctx: Context, env: str, aws_endpoint: str | None) -> None:
    """Live checks of an applied env: no drift, every part up, and the policy on the live resources."""
    from infra import verify as verify_mod

    stack = _open_stack(ctx, env, aws_endpoint)
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


# The delivery subcommands (promote, deploy, migrate, health, rollback, summary, flags) and the
# workflow ones (detect-env) register themselves on `cli`; they live beside the code they drive.
from infra.delivery import commands as _delivery_commands  # noqa: E402,F401
from infra.workflows import commands as _workflow_commands  # noqa: E402,F401


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


if __name__ == "__main__":
    # Run the imported module's `main`, not this __main__ copy's: the delivery commands register on
    # `infra.cli.cli`, which `python -m infra.cli` would otherwise load a second time.
    from infra.cli import main as imported_main

    sys.exit(imported_main())
