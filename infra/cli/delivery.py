"""The delivery commands of `infra`: promote, deploy, rollback, migrate, health, summary, flags,
secrets and plan-review.

Each reads the env's names and endpoints from its Terraform outputs (infra/delivery/target.py), appends what
it did to the deployment record (infra/delivery/record.py), and ends with one line: what happened, or why not.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import click

from core import reading
from core.endpoint_settings import configured_endpoint
from core.errors import CheckFailed, InfraError
from infra.cli.context import ENDPOINT_HELP, CliContext, open_stack, pass_ctx
from infra.delivery import ecs
from infra.delivery import flags as flags_mod
from infra.delivery import health as health_mod
from infra.delivery import migrate as migrate_mod
from infra.delivery import promote as promote_mod
from infra.delivery.record import RECORD_ENV, Record
from infra.delivery.summary import render
from infra.delivery.target import Target, read_outputs_file, require_outputs_of
from infra.endpoints import check_reachable

OUTPUTS_HELP = (
    "`terraform output -json` of the env's root ('-': stdin); without it, the env `infra up` applied in this checkout"
)
ENV_HELP = "dev, staging or prod."


def open_target(ctx: CliContext, env: str, outputs: str | None, aws_endpoint: str | None) -> Target:
    from core.aws import AwsSession

    ctx.project.check_env(env)
    if outputs:
        values, source = read_outputs_file(outputs)
        require_outputs_of(values, env, source)
        endpoint = configured_endpoint(aws_endpoint)
        if endpoint is not None:
            check_reachable(endpoint)
        return Target(env, values, AwsSession(endpoint), source)
    stack = open_stack(ctx, env, aws_endpoint)
    if not stack.state_addresses():
        raise InfraError(
            f"{env} is not up on {stack.where} (no state at {stack.workspace.state_file}); "
            "apply it with `infra up`, or pass --outputs"
        )
    values = stack.outputs()
    require_outputs_of(values, env, f"the state at {stack.workspace.state_file}")
    return Target(env, values, stack.aws, f"the state at {stack.workspace.state_file}")


def open_record(ctx: CliContext, env: str, path: str | None) -> Record:
    path = path or os.environ.get(RECORD_ENV) or str(ctx.project.state_dir / "deployments" / f"{env}.json")
    return Record.open(Path(path), env)


def source_options(func):
    """Where the env's outputs and its AWS come from."""
    func = click.option("--aws-endpoint", help=ENDPOINT_HELP + "; with --outputs and no endpoint, AWS itself")(func)
    return click.option("--outputs", "outputs", metavar="FILE", help=OUTPUTS_HELP)(func)


def target_options(func):
    func = click.option(
        "--record",
        "record_path",
        metavar="PATH",
        help=f"Deployment record to append to (env: {RECORD_ENV}; default .infra/deployments/ENV.json).",
    )(func)
    return source_options(func)


def say(ctx: CliContext):
    return ctx.progress.say


def _recorded(record: Record, step: str, started: float, work, **detail):
    """Run `work()`, recording the step as failed (with the error) when it raises."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return work()
    except (InfraError, CheckFailed, ClientError, BotoCoreError) as exc:
        record.add(step, False, started, error=str(exc), **detail)
        raise


def run_step(ctx: CliContext, env: str, step: str, sources: tuple, record_path: str | None, work, **detail):
    """Open the env (sources: --outputs, --aws-endpoint) and its record, and run `work(target)`.

    A failure is recorded with its error before it propagates. Returns (result, record, started).
    """
    started = time.monotonic()
    target = open_target(ctx, env, *sources)
    record = open_record(ctx, env, record_path)
    return _recorded(record, step, started, lambda: work(target), **detail), record, started


@click.command()
@click.option("--from", "source_env", required=True, help="Env whose registry holds the image.")
@click.option("--to", "target_env", required=True, help="Env to copy it to.")
@click.option("--digest", required=True, help="sha256:<64 hex> of the image (as built once, in CI).")
@click.option("--from-outputs", metavar="FILE", help="`terraform output -json` of the source env.")
@click.option("--from-aws-endpoint", metavar="URL", help="Endpoint of the source env, when not --aws-endpoint's.")
@target_options
@pass_ctx
def promote(
    ctx: CliContext,
    source_env: str,
    target_env: str,
    digest: str,
    from_outputs: str | None,
    from_aws_endpoint: str | None,
    outputs: str | None,
    aws_endpoint: str | None,
    record_path: str | None,
) -> None:
    """Copy an image by digest from one env's ECR repository to another's; nothing is rebuilt."""
    promote_mod.check_digest(digest)
    if source_env == target_env:
        raise InfraError(f"--from and --to are both {source_env}; promotion copies between two envs")
    started = time.monotonic()
    source = open_target(ctx, source_env, from_outputs, from_aws_endpoint or aws_endpoint)
    target = open_target(ctx, target_env, outputs, aws_endpoint)
    record = open_record(ctx, target_env, record_path)
    done = _recorded(
        record,
        "promote",
        started,
        lambda: promote_mod.promote(source, target, digest),
        **{"from": source_env, "digest": digest},
    )
    record.add(
        "promote",
        True,
        started,
        **{"from": source_env, "digest": digest, "image": done.image, "copied": done.copied, "tags": done.tags},
    )
    verb = "copied to" if done.copied else "already in"
    click.echo(f"{digest} {verb} {target_env} ({done.target}); deploy it with --image {done.image}")


@click.command()
@click.option("--env", "env", required=True, help=ENV_HELP)
@click.option("--image", help="<repository URL>@sha256:<digest> in this env's repository.")
@click.option("--digest", help="sha256:<digest>: the image of that digest in this env's repository (from the outputs).")
@click.option("--timeout", default=600.0, show_default=True, help="Seconds to wait for the service to be stable.")
@click.option("--poll", default=5.0, show_default=True, help="Seconds between stability checks.")
@target_options
@pass_ctx
def deploy(
    ctx: CliContext,
    env: str,
    image: str | None,
    digest: str | None,
    timeout: float,
    poll: float,
    outputs: str | None,
    aws_endpoint: str | None,
    record_path: str | None,
) -> None:
    """Register a task-definition revision with the new image and move the service to it."""
    if bool(image) == bool(digest):
        raise InfraError("give exactly one of --image and --digest")
    if image:
        ecs.parse_image(image)
    else:
        promote_mod.check_digest(digest)

    def work(target):
        reference = image or f"{target.out('ecr_repository_url')}@{digest}"
        return ecs.deploy(target, reference, timeout=timeout, poll=poll, say=say(ctx))

    moved, record, started = run_step(
        ctx, env, "deploy", (outputs, aws_endpoint), record_path, work, image=image or digest
    )
    record.add(
        "deploy",
        True,
        started,
        image=moved.image,
        **{"from": ecs.revision_name(moved.previous), "to": ecs.revision_name(moved.current)},
    )
    if moved.changed:
        click.echo(
            f"{env}: {moved.service} moved from {ecs.revision_name(moved.previous)} to "
            f"{ecs.revision_name(moved.current)} and is stable"
        )
    else:
        click.echo(f"{env}: {moved.service} already runs {moved.image} on {ecs.revision_name(moved.current)}; stable")


@click.command()
@click.option("--env", "env", required=True, help=ENV_HELP)
@click.option("--timeout", default=600.0, show_default=True, help="Seconds to wait for the service to be stable.")
@click.option("--poll", default=5.0, show_default=True, help="Seconds between stability checks.")
@target_options
@pass_ctx
def rollback(
    ctx: CliContext,
    env: str,
    timeout: float,
    poll: float,
    outputs: str | None,
    aws_endpoint: str | None,
    record_path: str | None,
) -> None:
    """Return the service to the revision the last deploy replaced. Never touches infrastructure."""
    moved, record, started = run_step(
        ctx,
        env,
        "rollback",
        (outputs, aws_endpoint),
        record_path,
        lambda target: ecs.rollback(target, timeout=timeout, poll=poll, say=say(ctx)),
    )
    if moved is None:
        detail = "nothing to roll back to: the current revision was not made by `infra deploy`"
        record.add("rollback", True, started, detail=detail)
        click.echo(f"{env}: {detail}")
        return
    record.add(
        "rollback",
        True,
        started,
        image=moved.image,
        **{"from": ecs.revision_name(moved.previous), "to": ecs.revision_name(moved.current)},
    )
    click.echo(
        f"{env}: rolled {moved.service} back from {ecs.revision_name(moved.previous)} to "
        f"{ecs.revision_name(moved.current)} ({moved.image}); stable"
    )


@click.command()
@click.option("--env", "env", required=True, help=ENV_HELP)
@click.option(
    "--migrations",
    "folder",
    type=click.Path(path_type=Path),
    default=Path("migrations"),
    show_default=True,
    help="Folder of <version>_<name>.sql files.",
)
@click.option(
    "--database-url",
    envvar="INFRA_DATABASE_URL",
    help="postgresql:// URL (env: INFRA_DATABASE_URL); default: the env's master secret and endpoint.",
)
@click.option("--dry-run", is_flag=True, help="List what would run; change nothing.")
@target_options
@pass_ctx
def migrate(
    ctx: CliContext,
    env: str,
    folder: Path,
    database_url: str | None,
    dry_run: bool,
    outputs: str | None,
    aws_endpoint: str | None,
    record_path: str | None,
) -> None:
    """Apply pending SQL migrations, each once, in order, under an advisory lock (before the deploy)."""
    ctx.project.check_env(env)
    started = time.monotonic()
    migrate_mod.discover(folder)  # a bad folder fails before any connection
    if not database_url:
        target = open_target(ctx, env, outputs, aws_endpoint)
        secret = target.aws.client("secretsmanager").get_secret_value(SecretId=target.out("db_master_user_secret_arn"))
        try:
            values = json.loads(secret["SecretString"])
        except (KeyError, json.JSONDecodeError):
            raise InfraError("the database secret is not a JSON document of username and password") from None
        database_url = migrate_mod.database_url(
            values, target.out("db_endpoint"), target.out("db_port"), target.out("db_name")
        )
    record = None if dry_run else open_record(ctx, env, record_path)

    platform: list = []

    def run():
        # The platform's own first (the application's database role), then the application's.
        platform.extend(migrate_mod.migrate(database_url, migrate_mod.PLATFORM_MIGRATIONS, dry_run=dry_run,
                                            say=say(ctx), history=migrate_mod.PLATFORM_HISTORY_TABLE).pending)
        return migrate_mod.migrate(database_url, folder, dry_run=dry_run, say=say(ctx))

    result = run() if record is None else _recorded(record, "migrate", started, run)
    if dry_run:
        if platform:
            click.echo(f"{env}: {len(platform)} platform migration(s) would run first: "
                       + ", ".join(m.path.name for m in platform))
        names = "".join(f"\n  {m.path.name}" for m in result.pending)
        click.echo(f"{env}: {len(result.pending)} migration(s) would run ({result.already} already applied){names}")
        return
    record.add("migrate", True, started, applied=[m.path.name for m in result.applied], already=result.already)
    click.echo(f"{env}: applied {len(result.applied)} migration(s); {result.already} were already applied")


@click.command()
@click.option("--env", "env", required=True, help=ENV_HELP)
@click.option("--url", help="Health URL to poll (default: service_url + health_check_path from the outputs).")
@click.option("--deadline", default=300.0, show_default=True, help="Overall seconds before giving up.")
@click.option("--backoff", default=1.0, show_default=True, help="First wait between attempts; doubles up to 10s.")
@target_options
@pass_ctx
def health(
    ctx: CliContext,
    env: str,
    url: str | None,
    deadline: float,
    backoff: float,
    outputs: str | None,
    aws_endpoint: str | None,
    record_path: str | None,
) -> None:
    """Poll the service's health endpoint, and check ECS's running count and the target group."""
    if deadline <= 0 or backoff <= 0:
        raise InfraError("--deadline and --backoff must be positive")
    result, record, started = run_step(
        ctx,
        env,
        "health",
        (outputs, aws_endpoint),
        record_path,
        lambda target: health_mod.check(target, url, deadline=deadline, backoff=backoff, say=say(ctx)),
    )
    detail = "; ".join(f"{p.name}: {p.detail}" for p in result.probes)
    record.add("health", result.ok, started, url=result.url, detail=detail)
    if not result.ok:
        raise CheckFailed(f"{env} is unhealthy: {result.reason()}")
    click.echo(f"{env} is healthy: {detail}")


@click.command()
@click.option("--env", "env", required=True, help=ENV_HELP)
@click.option("--record", "record_path", metavar="PATH", help=f"Deployment record (env: {RECORD_ENV}).")
@click.option(
    "--output",
    "output",
    metavar="FILE",
    help="Append the Markdown here (default: $GITHUB_STEP_SUMMARY when set, else stdout).",
)
@pass_ctx
def summary(ctx: CliContext, env: str, record_path: str | None, output: str | None) -> None:
    """Write the deployment summary (env, image, revisions, migrations, health, duration, rollback) as Markdown."""
    ctx.project.check_env(env)
    text = render(open_record(ctx, env, record_path))
    output = output or os.environ.get("GITHUB_STEP_SUMMARY")
    if not output:
        click.echo(text)
        return
    try:
        with open(output, "a", encoding="utf-8") as fh:
            fh.write(text + "\n")
    except OSError as exc:
        raise InfraError(f"cannot write the summary to {output}: {exc.strerror or exc}") from None
    click.echo(f"summary written to {output}", err=True)


# --- feature flags ----------------------------------------------------------------------------------


@click.group()
def flags() -> None:
    """Feature flags on AWS AppConfig: list, enable, disable, canary, ab (validated before written)."""


def flag_options(func):
    return click.option("--env", "env", required=True, help=ENV_HELP)(source_options(func))


def _flags(ctx: CliContext, env: str, outputs: str | None, aws_endpoint: str | None) -> flags_mod.Flags:
    target = open_target(ctx, env, outputs, aws_endpoint)
    return flags_mod.Flags(target, flags_mod.schema_path(ctx.project.terraform_dir))


def _write(ctx: CliContext, env, outputs, aws_endpoint, edit, description: str) -> None:
    written = _flags(ctx, env, outputs, aws_endpoint).change(edit, description)
    click.echo(f"{env}: {description}; version {written.version}, deployment {written.deployment} ({written.state})")


@flags.command("list")
@flag_options
@click.option("--json", "as_json", is_flag=True, help="Print the whole flag document as JSON.")
@pass_ctx
def flags_list(ctx: CliContext, env: str, outputs: str | None, aws_endpoint: str | None, as_json: bool) -> None:
    """Show the flags of the latest hosted version."""
    document, version = _flags(ctx, env, outputs, aws_endpoint).read()
    if as_json:
        click.echo(json.dumps(document, indent=2, sort_keys=True))
        return
    if not document["flags"]:
        click.echo(f"{env}: no flags yet" + ("" if version is None else f" (version {version})"))
        return
    click.echo(f"{env}: flags of version {version}")
    for name, flag in sorted(document["flags"].items()):
        state = "on" if flag["enabled"] else "off"
        if "rollout_percent" in flag:
            state += f", canary {flag['rollout_percent']}%"
        if "variants" in flag:
            state += ", A/B " + ",".join(f"{k}:{v}" for k, v in flag["variants"].items())
        click.echo(f"  {name}: {state}")


def _switch_command(verb: str, on: bool, doc: str) -> None:
    @flags.command(verb, help=doc)
    @click.argument("name")
    @flag_options
    @pass_ctx
    def switch(ctx: CliContext, name: str, env: str, outputs: str | None, aws_endpoint: str | None) -> None:
        flags_mod.check_name(name)
        _write(ctx, env, outputs, aws_endpoint, lambda f: flags_mod.switch(f, name, on), f"{verb} {name}")


_switch_command("enable", True, "Turn a flag on for everyone.")
_switch_command("disable", False, "Turn a flag off for everyone.")


@flags.command("canary")
@click.argument("name")
@click.option("--percent", required=True, help="Share of users (0-100) who get the flag.")
@flag_options
@pass_ctx
def flags_canary(
    ctx: CliContext, name: str, percent: str, env: str, outputs: str | None, aws_endpoint: str | None
) -> None:
    """Turn a flag on for a percentage of users."""
    flags_mod.check_name(name)
    value = flags_mod.parse_percent(percent)
    _write(ctx, env, outputs, aws_endpoint, lambda f: flags_mod.canary(f, name, value), f"canary {name} at {value}%")


@flags.command("ab")
@click.argument("name")
@click.option("--variants", required=True, help="name:weight pairs summing to 100, e.g. a:50,b:50.")
@flag_options
@pass_ctx
def flags_ab(ctx: CliContext, name: str, variants: str, env: str, outputs: str | None,
             aws_endpoint: str | None) -> None:
    """Split users between variants of a flag."""
    flags_mod.check_name(name)
    parsed = flags_mod.parse_variants(variants)
    text = ",".join(f"{k}:{v}" for k, v in parsed.items())
    _write(ctx, env, outputs, aws_endpoint, lambda f: flags_mod.ab(f, name, parsed), f"A/B test {name} ({text})")


# --- the application's secrets -----------------------------------------------------------------------


@click.group("secrets")
def secrets_group() -> None:
    """The application's own secrets (the JWT signing key): their values, never Terraform's."""


@secrets_group.command("init")
@click.option("--env", "env", required=True, help=ENV_HELP)
@click.option("--rotate", is_flag=True, help="Give every secret a new value, even one that has a value.")
@click.option("--outputs", metavar="FILE", help=OUTPUTS_HELP)
@click.option("--aws-endpoint", metavar="URL", help=ENDPOINT_HELP)
@pass_ctx
def secrets_init(ctx: CliContext, env: str, rotate: bool, outputs: str | None, aws_endpoint: str | None) -> None:
    """Give each application secret a value when it has none (the apply job runs this after the apply)."""
    from infra.delivery.app_secrets import init

    for line in init(open_target(ctx, env, outputs, aws_endpoint), rotate=rotate):
        click.echo(f"{env}: {line}")


# --- the reviewed plan -------------------------------------------------------------------------------


def _read_json(path: Path, what: str) -> dict:
    data = reading.read_json(path, what)
    if not isinstance(data, dict):
        raise InfraError(f"{path}: not a {what} (a JSON object is expected)")
    return data


@click.group("plan-review")
def plan_review() -> None:
    """What a plan job hands on: the plan with its secrets redacted, and the fingerprint the apply checks."""


@plan_review.command("redact")
@click.option("--plan", "plan_path", required=True, type=click.Path(path_type=Path),
              help="`terraform show -json` of a plan.")
@click.option("--redacted", required=True, type=click.Path(path_type=Path), help="Where the redacted plan JSON goes.")
@click.option("--fingerprint", "fp_path", required=True, type=click.Path(path_type=Path),
              help="Where the fingerprint of the planned changes goes.")
def plan_review_redact(plan_path: Path, redacted: Path, fp_path: Path) -> None:
    """Write the plan without any sensitive value, and the fingerprint of its changes."""
    from infra.delivery.plan_review import fingerprint, redact

    plan = _read_json(plan_path, "plan JSON")
    if "resource_changes" not in plan and "planned_values" not in plan:
        raise InfraError(f"{plan_path}: not a plan JSON (no resource_changes): was it made by `terraform show -json`?")
    print_ = fingerprint(plan)
    for path, data in ((redacted, redact(plan)), (fp_path, print_)):
        try:
            path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
        except OSError as exc:
            raise InfraError(f"{path}: cannot write ({exc.strerror})") from None
    click.echo(f"{len(print_['changes'])} change(s), fingerprint {print_['sha256'][:16]}")


@plan_review.command("redact-outputs")
@click.option("--outputs", "outputs_path", required=True, type=click.Path(path_type=Path),
              help="`terraform output -json` of a root.")
@click.option("--redacted", required=True, type=click.Path(path_type=Path), help="Where the redacted outputs go.")
def plan_review_redact_outputs(outputs_path: Path, redacted: Path) -> None:
    """Write the outputs with every sensitive output's value replaced: what later jobs may receive."""
    from infra.delivery.plan_review import redact_outputs

    try:
        redacted.write_text(json.dumps(redact_outputs(_read_json(outputs_path, "outputs JSON")), indent=1) + "\n")
    except OSError as exc:
        raise InfraError(f"{redacted}: cannot write ({exc.strerror})") from None


@plan_review.command("verify")
@click.option("--plan", "plan_path", required=True, type=click.Path(path_type=Path),
              help="`terraform show -json` of the plan about to be applied.")
@click.option("--reviewed", required=True, type=click.Path(path_type=Path), help="The reviewed plan's fingerprint.")
def plan_review_verify(plan_path: Path, reviewed: Path) -> None:
    """Exit 1, naming what changed, unless the plan makes exactly the reviewed changes."""
    from infra.delivery.plan_review import differences, fingerprint

    expected = _read_json(reviewed, "plan fingerprint")
    if not isinstance(expected.get("sha256"), str) or not isinstance(expected.get("changes"), list):
        raise InfraError(f"{reviewed}: not a plan fingerprint (sha256 and changes expected)")
    found = differences(expected, fingerprint(_read_json(plan_path, "plan JSON")))
    if found:
        raise CheckFailed("the plan is no longer the reviewed one (state or AWS changed since): "
                          + "; ".join(found[:10]) + (f"; and {len(found) - 10} more" if len(found) > 10 else ""))
    click.echo(f"the plan makes exactly the reviewed changes ({len(expected['changes'])})")


COMMANDS = (promote, deploy, rollback, migrate, health, summary, flags, secrets_group, plan_review)
