"""The workflow subcommands of `infra`: detect-env, workflows which and docs, pr-comment."""

from __future__ import annotations

from pathlib import Path

import click

from core.errors import InfraError
from infra.cli.context import CliContext, pass_ctx
from infra.workflows.detect import detect


def _inputs(values: tuple[str, ...]) -> dict[str, str]:
    inputs = {}
    for value in values:
        key, sep, val = value.partition("=")
        if not sep or not key.strip():
            raise InfraError(f"--input '{value}' is not NAME=VALUE")
        inputs[key.strip()] = val.strip()
    return inputs


@click.command("detect-env")
@click.option("--event", required=True, help="github.event_name: push, pull_request, workflow_dispatch, ...")
@click.option("--ref", required=True, help="github.ref: refs/heads/BRANCH or refs/tags/TAG.")
@click.option("--base-ref", help="github.base_ref of a pull_request: the branch it merges into.")
@click.option("--input", "inputs", multiple=True, metavar="NAME=VALUE", help="A workflow_dispatch input.")
@pass_ctx
def detect_env(ctx: CliContext, event: str, ref: str, base_ref: str | None, inputs: tuple[str, ...]) -> None:
    """Print the env a deployment for this event targets: dev, staging, prod or none (the reason on stderr)."""
    decision = detect(event, ref, ctx.project.delivery, _inputs(inputs), base_ref)
    click.echo(decision.environment)
    ctx.progress.say(f"{decision.environment}: {decision.reason}")


@click.group()
def workflows() -> None:
    """The GitHub Actions workflows: which run for an event (simulated from the YAML), and their docs."""


@workflows.command("which")
@click.option("--event", required=True, type=click.Choice(["push", "pull_request", "workflow_dispatch", "create"]))
@click.option("--ref", required=True, help="refs/heads/BRANCH or refs/tags/TAG (a pull request: its head branch).")
@click.option("--base", help="The branch a pull request merges into.")
@click.option(
    "--changed", multiple=True, metavar="PATH", help="A changed file (repeatable); without it, path filters match."
)
@click.option("--input", "inputs", multiple=True, metavar="NAME=VALUE", help="A workflow_dispatch input.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_ctx
def workflows_which(
    ctx: CliContext, event: str, ref: str, base: str | None, changed: tuple[str, ...], inputs: tuple[str, ...], fmt: str
) -> None:
    """Which workflows and jobs an event runs, and the env the deployment targets."""
    import json

    from infra.workflows.simulate import Event, which

    project = ctx.project
    result = which(
        project.terraform_dir.parent, Event(event, ref, base, list(changed) or None, _inputs(inputs)), project.delivery
    )
    if fmt == "json":
        click.echo(json.dumps(result, indent=2))
        return
    click.echo(f"{event} {ref}" + (f" into {base}" if base else "") + f" -> environment: {result['environment']}")
    for note in result.get("assumed", []):
        click.echo(f"({note})")
    for workflow in result["workflows"]:
        click.echo(f"{workflow['name']}  [{workflow['file']}]")
        for job in workflow["jobs"]:
            held = workflow["credentials"].get(job)
            shown = [f"environment {held['environment']}"] if held and "environment" in held else []
            shown += [f"OIDC: {', '.join(held['oidc'])}"] if held and "oidc" in held else []
            shown += [f"secrets: {', '.join(held['secrets'])}"] if held and "secrets" in held else []
            click.echo(f"  {job}" + (f"  [{'; '.join(shown)}]" if shown else ""))


@workflows.command("check")
@click.option("--dir", "github_dir", type=click.Path(path_type=Path), default=None,
              help="The .github folder to check (default: the repository's).")
@pass_ctx
def workflows_check(ctx: CliContext, github_dir: Path | None) -> None:
    """actionlint, yamllint, shellcheck, zizmor (auditor) and the CI trust rules; exit 1 on any finding
    that is neither mended nor suppressed in policy/suppressions.yaml."""
    from core.errors import CheckFailed
    from infra.workflows.check import run

    project = ctx.project
    github_dir = github_dir if github_dir is not None else project.terraform_dir.parent / ".github"
    if str(github_dir).strip() in ("", "."):
        raise InfraError("--dir must name a .github folder")
    result = run(github_dir, project.delivery)
    for name, lines in result.linters.items():
        click.echo(f"{name}: {'clean' if not lines else f'{len(lines)} finding(s)'}")
        for line in lines:
            click.echo(f"  {line}")
    for finding in sorted(result.findings, key=lambda f: (f.resource, f.rule)):
        state = "suppressed" if finding.suppressed else ("advisory" if not finding.blocking else "FAIL")
        click.echo(f"{state} {finding.resource}: {finding.rule} {finding.message}"
                   + (f" (suppressed: {finding.suppressed})" if finding.suppressed else ""))
    blocking = len(result.blocking) + sum(len(v) for v in result.linters.values())
    if blocking:
        raise CheckFailed(f"{blocking} workflow finding(s) to mend or suppress")
    click.echo(f"workflows: clean ({sum(1 for f in result.findings if f.suppressed)} suppressed)")


@workflows.command("docs")
@click.option("--check", is_flag=True, help="Only say whether the committed documents are current (exit 1 if not).")
@pass_ctx
def workflows_docs(ctx: CliContext, check: bool) -> None:
    """Write docs/WORKFLOWS_*.md and docs/UNIFIED_DEPLOYMENT_ARCHITECTURE.md from the workflow files."""
    from core.errors import CheckFailed
    from infra.workflows import docs

    repo = ctx.project.terraform_dir.parent
    if check:
        stale = docs.stale(repo, ctx.project.delivery)
        if stale:
            names = ", ".join(str(p.relative_to(repo)) for p in stale)
            raise CheckFailed(f"stale workflow docs: {names}; run `infra workflows docs`")
        click.echo("workflow docs are current")
        return
    for path, text in docs.render(repo, ctx.project.delivery).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        changed = not path.exists() or path.read_text() != text
        path.write_text(text)
        click.echo(f"{'wrote' if changed else 'unchanged'} {path.relative_to(repo)}")


@click.command("pr-comment")
@click.option("--marker", required=True, help="What identifies the comment (e.g. gate, plan-prod).")
@click.option("--body-file", required=True, type=click.Path(path_type=Path), help="Markdown to post.")
def pr_comment(marker: str, body_file: Path) -> None:
    """Post a Markdown file as the pull request's comment for MARKER, editing it if it exists (in a job)."""
    from infra.workflows.pr_comment import from_environment

    posted = from_environment(marker, body_file)
    click.echo(f"{posted.action} {posted.url}")


COMMANDS = (detect_env, workflows, pr_comment)
