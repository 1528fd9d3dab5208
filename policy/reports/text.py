"""The plain-text report: one block per env, for a terminal or a CI log. No colour, no fixed width."""

from __future__ import annotations

from collections.abc import Sequence

from policy.model import EnvResult, Finding
from policy.reports.common import (
    category,
    counts,
    failed_steps,
    ordered,
    overall_verdict,
    plan_short,
    show,
    verdict,
    waiver,
    where,
)

_HEADINGS = {
    "blocking": "Blocking",
    "overridden": "Overridden (soft-mandatory, waived with a reason)",
    "advisory": "Advisory",
}


def render(results: Sequence[EnvResult]) -> str:
    blocks = [_env_block(result) for result in results]
    total = sum(len(r.blocking) for r in results)
    if overall_verdict(results) == "pass":
        summary = f"policy: PASS ({len(results)} env{'s' if len(results) != 1 else ''})"
    else:
        failing = [r.env for r in results if not r.passed]
        summary = f"policy: FAIL: {total} blocking finding{'s' if total != 1 else ''} in {', '.join(failing)}"
    return "\n\n".join([*blocks, summary]) + "\n"


def _env_block(result: EnvResult) -> str:
    tally = counts(result)
    head = (
        f"{result.env}: {verdict(result).upper()}: {tally['blocking']} blocking, "
        f"{tally['overridden']} soft-overridden, {tally['advisory']} advisory, {tally['unknown']} unknown"
        f"; {'no plan' if result.plan is None else 'plan ' + plan_short(result.plan)}"
    )
    if result.cost_total:
        head += f"; cost {result.cost_total}"
    lines = [head]
    for name, status in failed_steps(result):
        lines.append(f"  step {name}: {status}")
    findings = ordered(result.findings)
    for cat, heading in _HEADINGS.items():
        group = [f for f in findings if category(f) == cat]
        if group:
            lines.append(f"  {heading}:")
            for finding in group:
                lines.extend(_finding_lines(finding))
    unknown = [f for f in findings if category(f) == "unknown"]
    if unknown:
        lines.append("  Unknown until plan (not decidable yet):")
        for finding in unknown:
            lines.append(f"    {finding.rule} {finding.resource}: {_one_line(finding.message)}")
    return "\n".join(lines)


def _finding_lines(finding: Finding) -> list[str]:
    place = where(finding)
    head = f"    {finding.rule} {finding.severity} {finding.level} {finding.resource}"
    if place:
        head += f" ({place})"
    lines = [head, *_indented(finding.message)]
    if finding.actual is not None or finding.expected is not None:
        lines.append(f"      actual: {show(finding.actual)} expected: {show(finding.expected)}")
    if finding.remediation:
        lines.extend(_indented(finding.remediation, "fix: "))
    if why := waiver(finding):
        lines.extend(_indented(why[1], f"{why[0]}: "))
    return lines


def _indented(text: str, prefix: str = "", indent: str = "      ") -> list[str]:
    parts = str(text).splitlines() or [""]
    return [f"{indent}{prefix}{parts[0]}", *(f"{indent}  {p}" for p in parts[1:])]


def _one_line(text: str) -> str:
    return " ".join(str(text).split())
