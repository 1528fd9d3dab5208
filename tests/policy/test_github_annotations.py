"""`--format github`: one workflow command per finding, in GitHub's documented syntax and escaping,
capped at what GitHub shows for a step, chosen by itself on GitHub Actions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cli_run import infra  # tests/cli_run.py

from policy.model import EnvResult, Finding, Level, Severity
from policy.reports import github

# GitHub's syntax: ::LEVEL[ key=value[,key=value...]]::message, with the keys GitHub documents; a value
# holds no raw "," ":" or newline (escaped), a message no raw newline.
COMMAND = re.compile(r"^::(error|warning|notice)(?: ((?:file|line|endLine|col|endColumn|title)=[^,:\r\n]*"
                     r"(?:,(?:file|line|endLine|col|endColumn|title)=[^,:\r\n]*)*))?::([^\r\n]*)$")


def unescape(text: str) -> str:
    return text.replace("%0A", "\n").replace("%0D", "\r").replace("%3A", ":").replace("%2C", ",").replace("%25", "%")


def parse(line: str) -> tuple[str, dict[str, str], str]:
    match = COMMAND.match(line)
    assert match, f"not a workflow command GitHub accepts: {line!r}"
    level, props, message = match.groups()
    pairs = dict(p.split("=", 1) for p in props.split(",")) if props else {}
    return level, {k: unescape(v) for k, v in pairs.items()}, unescape(message)


def test_escaping_follows_githubs_rules():
    assert github.escape_data("50% done\r\nnext: a,b") == "50%25 done%0D%0Anext: a,b"
    assert github.escape_property("RPY-1: a,b%\n") == "RPY-1%3A a%2Cb%25%0A"
    line = github.command("error", "two\nlines: 100%", file="a,b.tf", line=3, title="T: x", col=None)
    assert line == "::error file=a%2Cb.tf,line=3,title=T%3A x::two%0Alines: 100%25"
    assert parse(line) == ("error", {"file": "a,b.tf", "line": "3", "title": "T: x"}, "two\nlines: 100%")


@pytest.mark.terraform
def test_a_violation_is_an_error_annotation_on_its_file_and_line(terraform_copy):
    tiers = terraform_copy / "tiers.yaml"
    tiers.write_text(tiers.read_text().replace("max_acu: 2,", "max_acu: 16,", 1))  # dev's database as large as prod's
    proc = infra("--terraform-dir", str(terraform_copy), "policy", "--env", "dev", "--no-scanners",
                 "--format", "github")
    assert proc.returncode == 1, proc.stderr
    *commands, summary = proc.stdout.splitlines()
    (level, props, message), = [parse(line) for line in commands]
    assert level == "error" and props["title"].startswith("RPY-SIZ-010 ")
    assert (terraform_copy.parent / props["file"]).is_file(), "relative to the checkout, as GitHub resolves it"
    assert int(props["line"]) >= 1
    assert message.startswith("dev: module.platform.module.database.aws_rds_cluster_instance.this[0]: ")
    assert "\nFix: " in message
    assert summary.startswith("policy fail in dev: 1 error(s)")
    # On GitHub Actions, with no --format, the same annotations.
    auto = infra("--terraform-dir", str(terraform_copy), "policy", "--env", "dev", "--no-scanners",
                 env={"GITHUB_ACTIONS": "true"})
    assert auto.stdout == proc.stdout


def test_a_clean_tree_prints_only_the_summary():
    proc = infra("policy", "--env", "prod", "--no-scanners", "--format", "github")
    assert proc.returncode == 0, proc.stderr
    assert not [line for line in proc.stdout.splitlines() if line.startswith("::error")]
    assert proc.stdout.splitlines()[-1].startswith("policy pass in prod: 0 error(s)")


def _finding(n: int, level: Level = Level.HARD, **extra) -> Finding:
    return Finding(rule=f"RPY-T-{n:03}", title="t", family="security", severity=Severity.HIGH, level=level,
                   env="dev", resource=f"aws_s3_bucket.b{n}", message=f"bad {n}", remediation="", file="x.tf",
                   line=n, **extra)


def test_at_most_ten_annotations_a_level_and_every_finding_still_in_the_log():
    findings = [_finding(n) for n in range(1, 26)] + [_finding(99, Level.ADVISORY)]
    findings.append(_finding(98, suppressed="reviewed: see policy/suppressions.yaml"))
    text = github.render([EnvResult(env="dev", findings=findings, steps={"checkov": "failed: exit 2"})])
    lines = text.splitlines()
    errors = [parse(line) for line in lines if line.startswith("::error")]
    assert len(errors) == github.ANNOTATIONS_PER_LEVEL
    assert errors[0][2] == "dev: step checkov failed: exit 2", "a failed step comes first"
    assert errors[-1][1]["title"] == "17 more error annotation(s)"  # 1 step + 25 findings, 9 shown
    plain = [line for line in lines if line.startswith("error: ")]
    assert len(plain) == 17 and plain[-1] == "error: x.tf:25: RPY-T-025 dev: aws_s3_bucket.b25: bad 25"
    assert [parse(line)[0] for line in lines if line.startswith("::notice")] == ["notice"]
    assert not [line for line in lines if "b98" in line], "a reviewed suppression is not annotated again"
    assert lines[-1].endswith("1 finding(s) suppressed or undecided, not annotated")


def test_files_outside_the_checkout_point_at_the_envs_root():
    finding = _finding(1)
    finding.file = str(Path("/elsewhere/x.tf"))
    (_, props, _), *_ = [parse(line) for line in github.render([EnvResult(env="dev", findings=[finding])])
                         .splitlines() if line.startswith("::")]
    assert props["file"] == "terraform/envs/dev/main.tf" and props["line"] == "1"
