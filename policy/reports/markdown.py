"""The PR comment: a summary table, then one collapsible section per env (open when it fails).

It starts with MARKER, a hidden HTML comment a workflow can look for to update its comment in
place. It stays under GitHub's comment limit (65,536 characters): past `limit`, findings are left
out with a note pointing at the SARIF/JSON artifact. Text from findings is escaped so that it can
neither break the table (`|`) nor open code spans, links or HTML.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from policy.model import EnvResult, Finding
from policy.reports.common import (
    category,
    clip,
    counts,
    failed_steps,
    ordered,
    overall_verdict,
    plan_long,
    plan_short,
    show,
    waiver,
    where,
)

MARKER = "<!-- rupaya-policy-report -->"
GITHUB_LIMIT = 65_536
DEFAULT_LIMIT = 60_000  # room to spare for a workflow that adds a line or two
_FIELD = 1_500  # longest message, fix or value shown for one finding
_RESERVE = 2_000  # kept free for closing tags and the truncation note

_SPECIAL = re.compile(r"([\\`*_\[\]<>|&~#])")


def escape(text: object) -> str:
    """Inline text that renders as itself: markdown and HTML specials escaped, one line."""
    out = _SPECIAL.sub(r"\\\1", " ".join(str(text).split()))
    # What would start a list, a heading underline or a thematic break at the start of a line.
    if out[:1] in ("-", "+", "="):
        return "\\" + out
    number = re.match(r"\d+(?=[.)])", out)
    return f"{out[: number.end()]}\\{out[number.end():]}" if number else out


def cell(text: object, limit: int = 200) -> str:
    return escape(clip(" ".join(str(text).split()), limit)) or " "


def code(text: object, limit: int = 300) -> str:
    """An inline code span whose fence is longer than any run of backticks inside it."""
    body = clip(" ".join(str(text).split()), limit)
    if not body:
        return "` `"
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if body.startswith("`") or body.endswith("`") or longest else ""
    return f"{fence}{pad}{body}{pad}{fence}"


def render(results: Sequence[EnvResult], limit: int = DEFAULT_LIMIT) -> str:
    out = _Budget(limit)
    blocking = sum(len(r.blocking) for r in results)
    if overall_verdict(results) == "pass":
        title = "## ✅ Policy gate passed"
    elif blocking:
        title = f"## ❌ Policy gate failed: {blocking} blocking finding{'s' if blocking != 1 else ''}"
    else:
        title = "## ❌ Policy gate failed"
    out.fixed(f"{MARKER}\n{title}\n\n")
    out.fixed("| env | verdict | plan | blocking | advisory | cost |\n| --- | --- | --- | ---: | ---: | --- |\n")
    for result in results:
        tally = counts(result)
        verdict = "✅ pass" if result.passed else "❌ fail"
        out.fixed(
            f"| {cell(result.env)} | {verdict} | {plan_short(result.plan)} | {tally['blocking']} "
            f"| {tally['advisory']} | {cell(result.cost_total or '—')} |\n"
        )
    for result in results:
        _section(out, result)
    if out.omitted:
        out.note(f"\n> … {out.omitted} more finding{'s' if out.omitted != 1 else ''}, see the SARIF/JSON artifact.\n")
    return out.text()


class _Budget:
    """Collects the comment, leaving out items (counted in `omitted`) once `limit` draws near."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.parts: list[str] = []
        self.size = 0
        self.omitted = 0

    def fixed(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)

    def item(self, text: str) -> bool:
        if self.omitted or self.size + len(text) + _RESERVE > self.limit:
            self.omitted += 1
            return False
        self.fixed(text)
        return True

    def note(self, text: str) -> None:
        self.fixed(text)

    def text(self) -> str:
        body = "".join(self.parts)
        if len(body) <= self.limit:
            return body
        # Only pathological input gets here (huge env names): cut hard, keep the note.
        note = "\n\n> … truncated, see the SARIF/JSON artifact.\n"
        return body[: self.limit - len(note)] + note


def _section(out: _Budget, result: EnvResult) -> None:
    tally = counts(result)
    icon = "✅" if result.passed else "❌"
    summary = (
        f"{icon} {tally['blocking']} blocking, {tally['overridden']} overridden, "
        f"{tally['advisory']} advisory, {tally['unknown']} unknown"
    )
    out.fixed(f"\n<details{'' if result.passed else ' open'}>\n"
              f"<summary><b>{cell(result.env)}</b>: {summary}</summary>\n\n")
    out.fixed(f"**Plan:** {escape(plan_long(result.plan))}")
    if result.cost_total:
        out.fixed(f" · **Cost:** {cell(result.cost_total)}")
    out.fixed("\n")
    for name, status in failed_steps(result):
        out.fixed(f"\n⚠️ step {code(name, 100)} {cell(status, 300)}\n")

    findings = ordered(result.findings)
    groups = [
        ("Blocking", [f for f in findings if category(f) == "blocking"], _blocking_item),
        ("Overridden", [f for f in findings if category(f) == "overridden"], _suppressed_item),
        ("Advisory", [f for f in findings if category(f) == "advisory"], _advisory_item),
    ]
    for heading, group, show_item in groups:
        if group:
            out.fixed(f"\n**{heading} ({len(group)})**\n\n")
            for finding in group:
                out.item(show_item(finding))
    unknown = [f for f in findings if category(f) == "unknown"]
    if unknown:
        rules = sorted({str(f.rule) for f in unknown})
        shown = ", ".join(code(r, 60) for r in rules[:20]) + (", …" if len(rules) > 20 else "")
        out.fixed(f"\n**Unknown until plan:** {len(unknown)} check{'s' if len(unknown) != 1 else ''} "
                  f"cannot decide yet ({shown})\n")
    if not findings:
        out.fixed("\nNo findings.\n")
    out.fixed("\n</details>\n")


def _head(finding: Finding) -> str:
    head = f"- **{cell(finding.rule, 80)}** {cell(finding.title, 200)} · {cell(finding.severity, 20)}"
    head += f", {cell(finding.level, 30)} · {code(finding.resource)}"
    if place := where(finding):
        head += f" ({code(place)})"
    return head


def _blocking_item(finding: Finding) -> str:
    lines = [_head(finding), f"  {escape(clip(finding.message, _FIELD))}"]
    if finding.actual is not None or finding.expected is not None:
        lines.append(f"  actual: {code(show(finding.actual), _FIELD)} expected: {code(show(finding.expected), _FIELD)}")
    if finding.remediation:
        lines.append(f"  **Fix:** {escape(clip(finding.remediation, _FIELD))}")
    return "\n".join(lines) + "\n"


def _suppressed_item(finding: Finding) -> str:
    kind, reason = waiver(finding) or ("suppressed", "")
    return (f"{_head(finding)}\n  {escape(clip(finding.message, _FIELD))}\n"
            f"  _{kind.capitalize()}:_ {escape(clip(reason, _FIELD))}\n")


def _advisory_item(finding: Finding) -> str:
    text = f"{_head(finding)}\n  {escape(clip(finding.message, _FIELD))}\n"
    if why := waiver(finding):
        text += f"  _{why[0].capitalize()}:_ {escape(clip(why[1], _FIELD))}\n"
    return text
