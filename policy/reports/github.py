"""GitHub Actions workflow commands: one annotation per finding, in the run log and on the diff.

This works in every repository, where SARIF needs code scanning (GitHub Advanced Security on a
private one). The syntax and escaping are GitHub's ("Workflow commands for GitHub Actions", and
`@actions/core`'s command.ts that implements them):

    ::error file=terraform/envs/dev/main.tf,line=12,title=RPY-SEC-001 ...::message

- message (data): `%` -> `%25`, CR -> `%0D`, LF -> `%0A`;
- properties (file, title): the same, and `:` -> `%3A`, `,` -> `%2C`.

Levels: a blocking finding is an `error`, a soft-mandatory one waived at run time (`--override`) a
`warning`, an advisory one a `notice`. A finding the suppressions file covers was reviewed like
code and is not annotated again; a check that cannot decide yet neither. GitHub shows at most 10
annotations of each level for a step (more are dropped), so each level prints at most
ANNOTATIONS_PER_LEVEL, the last one saying how many more there are; every finding past that is
still printed as a plain log line, so nothing is lost from the log.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from core.project import REPO_ROOT
from policy.model import EnvResult, Finding
from policy.reports.common import category, default_uri, failed_steps, ordered

ANNOTATIONS_PER_LEVEL = 10  # GitHub: "up to 10 warning annotations and 10 error annotations per step"
LEVELS = {"blocking": "error", "overridden": "warning", "advisory": "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(level: str, message: str, **properties: str | int | None) -> str:
    """One workflow command line; properties with no value are left out."""
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items() if value is not None)
    return f"::{level}{' ' + props if props else ''}::{escape_data(message)}"


def _file(finding: Finding, env: str) -> str:
    """The finding's file relative to the repository (GitHub resolves it from the workspace), or the
    env root's main.tf when the finding has none or it lies outside the repository."""
    if finding.file:
        path = Path(finding.file)
        if not path.is_absolute():
            return path.as_posix()
        try:
            return path.resolve().relative_to(REPO_ROOT).as_posix()
        except ValueError:
            pass
    return default_uri(env)


def _annotated(finding: Finding) -> str | None:
    """The level a finding is annotated at, or None (suppressed, or not decided yet)."""
    if finding.suppressed and not finding.blocking:
        return None
    return LEVELS.get(category(finding))


def _message(finding: Finding, env: str) -> str:
    text = f"{env}: {finding.resource}: {finding.message}"
    return f"{text}\nFix: {finding.remediation}" if finding.remediation else text


def render(results: Sequence[EnvResult], limit: int = ANNOTATIONS_PER_LEVEL) -> str:
    # Per level: (message, properties, the plain log line used past the limit). A failed step first.
    entries: dict[str, list[tuple[str, dict, str]]] = {level: [] for level in LEVELS.values()}
    for result in results:
        for name, status in failed_steps(result):
            text = f"{result.env}: step {name} {status}"
            entries["error"].append((text, {"title": f"{result.env}: {name}"}, escape_data(f"error: {text}")))
    quiet = 0
    for result in results:
        for finding in ordered(result.findings):
            level = _annotated(finding)
            if level is None:
                quiet += 1
                continue
            file, line = _file(finding, result.env), finding.line or 1
            title = f"{finding.rule} {finding.title}".strip()
            # A plain log line, escaped too: a message must not start a workflow command of its own.
            plain = escape_data(f"{level}: {file}:{line}: {finding.rule} {result.env}: {finding.resource}: "
                                f"{finding.message}")
            entries[level].append((_message(finding, result.env), {"file": file, "line": line, "title": title}, plain))
    lines: list[str] = []
    overflow: list[str] = []
    for level, found in entries.items():
        shown = found if len(found) <= limit else found[:limit - 1]
        lines += [command(level, message, **props) for message, props, _ in shown]
        rest = found[len(shown):]
        if rest:
            lines.append(command(level, f"{len(rest)} more ({level}) not annotated: GitHub shows {limit} a step; "
                                        "each is in the log below and in the report",
                                 title=f"{len(rest)} more {level} annotation(s)"))
            overflow += [plain for _, _, plain in rest]
    lines += overflow
    verdict = "pass" if all(r.passed for r in results) else "fail"
    lines.append(f"policy {verdict} in {', '.join(r.env for r in results)}: {len(entries['error'])} error(s), "
                 f"{len(entries['warning'])} warning(s), {len(entries['notice'])} notice(s); {quiet} finding(s) "
                 "suppressed or undecided, not annotated")
    return "\n".join(lines) + "\n"
