"""What a terminal (or a pipe) gets: --version, colour only where it belongs, tables within 100 columns
with no figure cut, and click's shell completion."""

from __future__ import annotations

import re
import subprocess
from importlib import metadata

import pytest
from cli_run import infra  # tests/cli_run.py
from rich.console import Console

from core.project import REPO_ROOT
from infra.cli.context import CliContext
from infra.gate import OK, RootResult, StepResult, summary_table
from infra.terraform import PlanSummary
from policy.model import EnvResult

ANSI = re.compile(r"\x1b\[")


def test_version_names_infra_terraform_the_provider_and_the_scanners():
    proc = infra("--version")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == f"infra {metadata.version('rupaya-infra')}"
    terraform = re.search(r"Terraform v(\S+)", subprocess.run(["terraform", "version"], capture_output=True,
                                                               text=True, check=True).stdout).group(1)
    assert lines[1].startswith(f"terraform {terraform} (")
    locked = re.search(r'hashicorp/aws" \{\s*version\s*=\s*"([^"]+)"',
                       (REPO_ROOT / "terraform/envs/dev/.terraform.lock.hcl").read_text()).group(1)
    assert lines[2].startswith(f"hashicorp/aws {locked} (locked in bootstrap, envs/dev, envs/prod, envs/staging")
    assert re.match(r"checkov \d+\.\d+\.\d+ \(", lines[3]) and re.match(r"trivy \d+\.\d+\.\d+ \(", lines[4])


def test_version_says_what_is_missing_instead_of_failing(tmp_path):
    proc = infra("--version", env={"INFRA_CHECKOV": str(tmp_path / "no-checkov")})
    assert proc.returncode == 0, proc.stderr
    assert f"checkov: INFRA_CHECKOV={tmp_path / 'no-checkov'}: not an executable file" in proc.stdout


@pytest.mark.parametrize(("tty", "no_color_env", "flag", "colour"), [
    (True, None, False, True),
    (True, "1", False, False),  # NO_COLOR, whatever its value
    (True, "anything", False, False),
    (True, None, True, False),  # --no-color
    (False, None, False, False),  # a pipe or a file
])
def test_colour_only_on_a_terminal_without_no_color(monkeypatch, tty, no_color_env, flag, colour):
    monkeypatch.setattr("sys.stdout.isatty", lambda: tty)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    if no_color_env is not None:
        monkeypatch.setenv("NO_COLOR", no_color_env)
    console = CliContext(None, quiet=True, no_color=flag).console
    if tty:
        console = Console(force_terminal=True, no_color=console.no_color or None)  # a real terminal's stand-in
    with console.capture() as captured:
        console.print("[red]FAIL[/]")
    assert bool(ANSI.search(captured.get())) is colour


def test_off_a_terminal_tables_get_100_columns_whatever_columns_says(monkeypatch):
    monkeypatch.setattr("sys.stdout.isatty", lambda: False)
    for columns in ("", "80", "abc"):
        monkeypatch.setenv("COLUMNS", columns)
        assert CliContext(None, quiet=True).console.width == 100
    monkeypatch.setenv("COLUMNS", "160")
    assert CliContext(None, quiet=True).console.width == 160


def _root(name: str, cost: str, plan: PlanSummary | None) -> RootResult:
    policy = EnvResult(env=name, findings=[], cost_total=f"{cost}/month")
    return RootResult(root=name, steps=[StepResult("plan", OK, seconds=1.0)], plan=plan, policy=policy)


@pytest.mark.parametrize("width", [80, 100])
def test_the_gate_table_never_cuts_a_figure(width):
    results = [_root("dev", "$62.50-$70.49", PlanSummary(92, 0, 0, 0)),
               _root("prod", "$1,764.74-$1,966.59", PlanSummary(124, 10, 3, 1))]
    console = Console(width=width, record=True, color_system=None)
    console.print(summary_table(results))
    text = console.export_text()
    assert max(len(line) for line in text.splitlines()) <= width
    for figure in ("$62.50-$70.49", "$1,764.74-$1,966.59", str(results[1].plan)):
        assert figure in text, f"{figure} cut at {width} columns:\n{text}"
    assert "…" not in text


def test_shell_completion_is_clicks_own():
    proc = infra(env={"_INFRA_COMPLETE": "bash_complete", "COMP_WORDS": "infra cost", "COMP_CWORD": "1"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["plain,cost", "plain,cost-diff"]
    script = infra(env={"_INFRA_COMPLETE": "bash_source"})
    assert "complete -o nosort -F _infra_completion infra" in script.stdout
