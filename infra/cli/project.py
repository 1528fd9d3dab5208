"""The commands on the Terraform tree as a whole: plan, inputs, gate, policy, cost, cost-diff, tiers, docs."""

from __future__ import annotations

import os
from contextlib import ExitStack
from pathlib import Path

import click

from core import reading
from core import tiers as core_tiers
from core.endpoint_settings import configured_endpoint
from core.errors import CheckFailed, InfraError, InputError
from core.project import BOOTSTRAP, REPO_ROOT, Project
from infra import docs
from infra import gate as gate_mod
from infra.cli.context import ENDPOINT_HELP, CliContext, pass_ctx
from infra.emulator import manager
from infra.endpoints import ENDPOINT_ENV
from infra.endpoints import aws_endpoint as use_endpoint
from infra.gate_cache import GateCache
from infra.terraform import Terraform
from infra.toolchain import load_toolchain
from infra.workspace import prepare
from policy import inputs as operator_inputs
from policy.hcl.tfvars import check_tfvars


@click.command()
@click.option("--env", "env", required=True, help="dev, staging or prod.")
@click.option("--aws-endpoint", help=ENDPOINT_HELP)
@pass_ctx
def plan(ctx: CliContext, env: str, aws_endpoint: str | None) -> None:
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


@click.command()
@click.option("--env", "env", default="all", show_default=True,
              help="dev, staging, prod, bootstrap, or all (every env and bootstrap).")
@pass_ctx
def inputs(ctx: CliContext, env: str) -> None:
    """Check that the operator's inputs (domain, hosted zone, alarm e-mail, GitHub repository) that the
    root's tier requires are set, in tfvars or TF_VAR_<name>; one line per root with any missing."""
    project = ctx.project
    roots = [*project.envs, BOOTSTRAP] if env == "all" else [env if env == BOOTSTRAP else project.check_env(env)]
    gaps = []
    for root in roots:
        try:
            operator_inputs.check_inputs(project, root)
        except InputError as exc:
            gaps.append(str(exc))
            continue
        click.echo(f"{root}: operator inputs set")
    if len(gaps) == 1:
        raise InfraError(gaps[0])
    if gaps:
        for line in gaps:
            click.echo(line, err=True)
        raise InfraError(f"operator inputs missing in {len(gaps)} roots")


@click.command()
@click.option("--env", "env", default="all", show_default=True, help="dev, staging, prod or all.")
@click.option("--aws-endpoint", help=ENDPOINT_HELP)
@click.option("--report-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where the policy reports go (policy.json, .sarif, .junit.xml, .md); default .infra/reports.")
@click.option("--no-scanners", is_flag=True, help="Skip checkov and trivy.")
@click.option("--no-cache", is_flag=True,
              help="Run every row, even those whose inputs are unchanged since the last gate.")
@click.option("--jobs", type=click.IntRange(min=1),
              help="Rows that run at once (default: the cores the last minute's load leaves free; 1 runs them "
                   "in turn). The report's order does not change.")
@click.option("--format", "fmt", type=click.Choice(["table", "github"]),
              help="Default: table. github: the table, then one workflow-command annotation per finding and "
                   "failed step (the default when GITHUB_ACTIONS=true).")
@pass_ctx
def gate(ctx: CliContext, env: str, aws_endpoint: str | None, report_dir: Path | None, no_scanners: bool,
         no_cache: bool, jobs: int | None, fmt: str | None) -> None:
    """The main job for every root: fmt, init, validate, plan against the emulator, our policy on the
    HCL and the plan, checkov, trivy and cost; one table, and the reports for CI. A row whose inputs
    are unchanged since the last gate is shown again from .infra/cache (--no-cache runs it)."""
    project = ctx.project
    envs = project.resolve_envs(env)
    if report_dir is not None:
        reading.check_writable(report_dir / "policy.json", "--report-dir")
    toolchain = load_toolchain(project.state_dir)
    source = toolchain.mirror or "registry"
    ctx.progress.say(f"terraform {toolchain.version}; provider source: {source} ({toolchain.mirror_origin})")
    chosen = configured_endpoint(aws_endpoint)
    # The cache key holds the per-service SDK settings too: a plan made against other endpoints is another plan.
    endpoint_url = "embedded emulator" if chosen is None else " ".join(
        [chosen, *sorted(f"{k}={v}" for k, v in os.environ.items() if k.startswith("AWS_ENDPOINT_URL_") and v)])
    cache = GateCache(project, toolchain.version, toolchain.mirror, scanners=not no_scanners,
                      endpoint=endpoint_url, enabled=not no_cache)
    with ExitStack() as running:
        started: list[str] = []

        def endpoint() -> str:  # started only when a row must plan
            if not started:
                started.append(running.enter_context(use_endpoint(project, aws_endpoint, ctx.progress)))
            return started[0]

        results = gate_mod.run_gate(project, toolchain, envs, endpoint, ctx.progress, scanners=not no_scanners,
                                    cache=cache, jobs=jobs or gate_mod.free_cores())
    gate_mod.print_report(results, ctx.console)
    policy_results = [r.policy for r in results if r.policy is not None]
    if _default_format(fmt, "table") == "github":
        click.echo(gate_mod.annotations(results), nl=False)
    if policy_results:
        written = gate_mod.write_reports(policy_results, report_dir or project.state_dir / "reports")
        ctx.progress.say("reports: " + ", ".join(str(p) for p in written))
    failed = [r.root for r in results if not r.passed]
    if failed:
        raise CheckFailed(f"gate failed for: {', '.join(failed)}")


POLICY_FORMATS = ("text", "json", "sarif", "junit", "markdown", "github")
FORMAT_HELP = "github: one workflow-command annotation per finding (the default when GITHUB_ACTIONS=true)."


def _default_format(fmt: str | None, terminal: str) -> str:
    """The format asked for; without one, annotations on GitHub Actions, else the terminal's."""
    if fmt is not None:
        return fmt
    return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else terminal


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


@click.command()
@click.option("--env", "env", default="all", show_default=True, help="dev, staging, prod, bootstrap or all.")
@click.option("--plan", "plan_json", type=click.Path(dir_okay=False, path_type=Path),
              help="Plan JSON (terraform show -json) to check as well; only with a single --env.")
@click.option("--format", "fmt", type=click.Choice(POLICY_FORMATS),
              help=f"Default: text. {FORMAT_HELP}")
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
def policy(ctx: CliContext, env: str, plan_json: Path | None, fmt: str, output: Path | None, no_scanners: bool,
           live: bool, aws_endpoint: str | None, overrides: tuple[str, ...], list_rules: bool) -> None:
    """Sizing, security and cost policy on the HCL of env roots (and a plan JSON, or the live env): 0 clean,
    1 violations."""
    from contextlib import nullcontext

    from policy import reports, runner
    from policy.rules import ALL_RULES

    fmt = _default_format(fmt, "text") if output is None else (fmt or "text")  # annotations act on stdout only
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
    if live and configured_endpoint(aws_endpoint) is None and manager.status(project.state_dir) is None:
        raise InfraError("--live: no emulator is running, so no env is up on it; give --aws-endpoint URL "
                         f"(or {ENDPOINT_ENV}, or AWS_ENDPOINT_URL), or apply one with `infra up --env {env}`")
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


@click.command()
@click.option("--env", "env", required=True, help="dev, staging or prod.")
@click.option("--plan", "plan_json", type=click.Path(dir_okay=False, path_type=Path),
              help="Plan JSON to price (default: the env's HCL).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True,
              help="text fits 100 columns; json carries total_usd_month {min, max} and the budget; markdown is "
                   "for a pull-request comment.")
@click.option("--usage", "usage_file", type=click.Path(dir_okay=False, path_type=Path),
              help="YAML of usage assumptions (the keys of policy/data/prices.yaml's usage section) to use over "
                   "the env's own.")
@pass_ctx
def cost(ctx: CliContext, env: str, plan_json: Path | None, fmt: str, usage_file: Path | None) -> None:
    """Monthly cost estimate of one env from the shipped price table, against its tier's budget."""
    from policy import cost as cost_mod
    from policy import cost_report

    ctx.project.check_env(env)
    usage = cost_mod.load_usage(usage_file) if usage_file is not None else None
    estimate, verdict = _priced(ctx.project, env, usage=usage, plan_json=plan_json)
    click.echo(cost_report.render(fmt, estimate, verdict, cost_mod.usage_for(env, overrides=usage)), nl=False)
    if verdict.status == "over":  # at either end of the task range, as the gate's RPY-COST-001 holds it
        raise CheckFailed(f"{env}: the estimate is over the tier's budget")


def _priced(project: Project, env: str, usage: dict | None = None, plan_json: Path | None = None) -> tuple:
    """(CostEstimate, BudgetVerdict) of one env of ``project``: from a plan JSON, or from its HCL."""
    from policy import cost as cost_mod
    from policy import hcl, plan, runner

    tier = project.tiers["tiers"][env]
    if plan_json is not None:
        resources = plan.resources_from_plan(runner.load_plan(plan_json), env)
    else:
        resources = hcl.load_env_root(project.env_dir(env), env, repo_root=project.terraform_dir.parent,
                                      inputs=operator_inputs.stand_ins(project, env))
    estimate = cost_mod.estimate(resources, tier, env=env, usage=usage)
    return estimate, cost_mod.budget_verdict(estimate, tier,
                                             production=env in project.tiers["policy"]["production_tiers"])


@click.command("cost-diff")
@click.option("--base", "base_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="The base branch's terraform/ tree (a second checkout), priced by this checkout's code.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the Markdown here (default: stdout).")
@pass_ctx
def cost_diff(ctx: CliContext, base_dir: Path, output: Path | None) -> None:
    """Every env's monthly cost against the base branch's, as Markdown for the pull-request comment.

    Both trees are priced by the same code and price table, so the change is the tree's alone. Exit 0
    whatever the figures (the gate holds each env to its budget); a base tree that cannot be read is
    said in the comment, and its column is empty.
    """
    from policy import cost_report

    head = ctx.project
    notes: list[str] = []
    unpriced: set[str] = set()
    base: Project | None = None
    try:
        base = Project(terraform_dir=base_dir.resolve(), state_dir=head.state_dir)
        base_envs = base.envs
    except InputError as exc:  # no tiers.yaml, or one that this checkout's schema no longer accepts
        notes.append(f"the base branch could not be priced: {exc}")
        base, base_envs, unpriced = None, [], set(head.envs)
    rows = []
    for env in [*head.envs, *(e for e in base_envs if e not in head.envs)]:
        priced_base = None
        if base is not None and env in base_envs:
            try:
                priced_base = _priced(base, env)
            except InputError as exc:
                notes.append(f"{env}: the base branch could not be priced: {exc}")
                unpriced.add(env)
        rows.append((env, priced_base, _priced(head, env) if env in head.envs else None))
    text = cost_report.render_diff_markdown(rows, notes, unpriced)
    if output is None:
        click.echo(text, nl=False)
    else:
        reading.write_text(output, text)
        ctx.progress.say(f"cost comparison: {output}")


@click.command()
@click.option("--write", "--write-readme", "write", is_flag=True,
              help="Rewrite the tier table in docs/TIERS.md in place.")
@click.option("--image-platforms", is_flag=True,
              help="Print only the image platforms every tier's tasks need (docker buildx --platform).")
@pass_ctx
def tiers(ctx: CliContext, write: bool, image_platforms: bool) -> None:
    """Print the tier table (Markdown) from terraform/tiers.yaml."""
    if image_platforms:
        click.echo(",".join(core_tiers.image_platforms(ctx.project.tiers)))
        return
    table = docs.tier_table(ctx.project.tiers)
    if not write:
        click.echo(table, nl=False)
        return
    page, text = docs.tiers_page(REPO_ROOT, ctx.project.tiers)
    page.write_text(text)
    click.echo(f"updated {page}")


@click.command("docs")
@click.option("--write", is_flag=True, help="Rewrite the generated blocks in place.")
@pass_ctx
def docs_cmd(ctx: CliContext, write: bool) -> None:
    """The generated blocks: the tier table (docs/TIERS.md), the policy rules (docs/POLICY.md), and
    each module README's inputs and outputs (from its variables.tf and outputs.tf)."""
    fresh = {**docs.generated_pages(REPO_ROOT, ctx.project.tiers), **docs.module_readmes(ctx.project.terraform_dir)}
    stale = [path for path, text in fresh.items() if path.read_text() != text]
    if write:
        for path in stale:
            path.write_text(fresh[path])
            click.echo(f"updated {path}")
    elif stale:
        raise CheckFailed(f"generated blocks are stale in {', '.join(map(str, stale))}; run `infra docs --write`")
    else:
        click.echo("generated blocks are up to date")



COMMANDS = (plan, inputs, gate, policy, cost, cost_diff, tiers, docs_cmd)
