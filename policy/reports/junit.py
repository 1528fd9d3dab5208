"""JUnit XML, so a CI summary shows e.g. "prod / security / aurora-storage-encrypted-customer-kms-key FAILED".

One <testsuite> per env. In it, one <testcase> per step the gate ran (classname "<env>.steps"),
then one per rule that ran (classname "<env>.<family>", name "<env> / <family> / <rule-slug>"):
the rules given, in their order, then every other rule or scanner id with a finding, by id.

- a blocking finding makes the testcase fail: <failure type="<level>"> with every finding of
  that rule in that env in its text;
- a rule whose only findings are unknown (undecidable until plan) is <skipped>;
- overridden, suppressed and advisory findings leave it passing, with a note in <system-out>.

The slug is the rule class's `slug` attribute when it has one, else made from its title
(lowercase, dashes, filler words dropped), else from its id; made unique within an env.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from typing import Any

from policy.model import EnvResult, Finding
from policy.reports.common import (
    category,
    clip,
    ordered,
    plan_short,
    rule_slug,
    rules_for,
    show,
    waiver,
    where,
)

# Characters XML 1.0 cannot carry at all, even escaped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: Any) -> str:
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", str(value))


def render(
    results: Sequence[EnvResult], rules: Sequence[Any] | Mapping[str, Sequence[Any]] | None = None
) -> str:
    root = ET.Element("testsuites", name="rupaya-policy")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for result in results:
        suite = _suite(result, rules_for(rules, result.env))
        root.append(suite)
        for key in totals:
            totals[key] += int(suite.get(key, "0"))
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _suite(result: EnvResult, rules: list[Any]) -> ET.Element:
    env = str(result.env)
    suite = ET.Element("testsuite", name=xml_text(env))
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", name="plan", value=plan_short(result.plan))
    if result.cost_total:
        ET.SubElement(props, "property", name="cost_total", value=xml_text(result.cost_total))

    tally = {"tests": 0, "failures": 0, "skipped": 0}
    timings = result.timings or {}
    for name, status in (result.steps or {}).items():
        case = _case(suite, f"{env}.steps", f"{env} / steps / {name}")
        if name in timings:
            case.set("time", f"{float(timings[name]):.3f}")
        status = str(status)
        if status.startswith("failed"):
            ET.SubElement(case, "failure", message=xml_text(clip(status, 1000)), type="step").text = xml_text(status)
            tally["failures"] += 1
        elif status.startswith("skipped"):
            ET.SubElement(case, "skipped", message=xml_text(status))
            tally["skipped"] += 1
        tally["tests"] += 1

    by_rule: dict[str, list[Finding]] = {}
    for finding in ordered(result.findings):
        by_rule.setdefault(str(finding.rule), []).append(finding)
    entries: list[tuple[str, str, str, Any]] = []  # rule id, family, title, rule class or None
    for rule in rules:
        if str(rule.id) not in {e[0] for e in entries}:
            entries.append((str(rule.id), str(getattr(rule, "family", "")), str(getattr(rule, "title", "")), rule))
    known = {e[0] for e in entries}
    for rule_id in sorted(set(by_rule) - known):
        first = by_rule[rule_id][0]
        entries.append((rule_id, str(first.family), str(first.title), None))

    slugs: set[str] = set()
    for rule_id, family, title, rule in entries:
        # A scanner's check is named by its id (ckv-aws-16), one of ours by its slug.
        slug = rule_slug(rule_id, title if rule is not None or rule_id.startswith("RPY-") else None, rule)
        if slug in slugs:
            slug = f"{slug}-{rule_slug(rule_id)}"
        slugs.add(slug)
        case = _case(suite, f"{env}.{family}", f"{env} / {family} / {slug}")
        findings = by_rule.get(rule_id, [])
        blocking = [f for f in findings if category(f) == "blocking"]
        tally["tests"] += 1
        if blocking:
            first = blocking[0]
            message = f"{rule_id}: {first.message}" + (f" (+{len(blocking) - 1} more)" if len(blocking) > 1 else "")
            failure = ET.SubElement(case, "failure", message=xml_text(clip(message, 1000)), type=str(first.level))
            failure.text = xml_text("\n\n".join(_details(f) for f in findings))
            tally["failures"] += 1
        elif findings and all(category(f) == "unknown" for f in findings):
            skipped = ET.SubElement(case, "skipped", message=xml_text(clip(
                f"unknown until plan: {len(findings)} check(s) cannot decide yet ({findings[0].message})", 1000)))
            skipped.text = xml_text("\n\n".join(_details(f) for f in findings))
            tally["skipped"] += 1
        elif findings:
            ET.SubElement(case, "system-out").text = xml_text("\n\n".join(_details(f) for f in findings))

    suite.set("tests", str(tally["tests"]))
    suite.set("failures", str(tally["failures"]))
    suite.set("errors", "0")
    suite.set("skipped", str(tally["skipped"]))
    return suite


def _case(suite: ET.Element, classname: str, name: str) -> ET.Element:
    return ET.SubElement(suite, "testcase", classname=xml_text(classname), name=xml_text(name))


def _details(finding: Finding) -> str:
    cat = category(finding)
    lines = [f"[{cat}] {finding.rule} {finding.severity} {finding.level} {finding.resource}"]
    if place := where(finding):
        lines.append(f"at {place}")
    lines.append(str(finding.message))
    if finding.actual is not None or finding.expected is not None:
        lines.append(f"actual: {show(finding.actual)} expected: {show(finding.expected)}")
    if finding.remediation:
        lines.append(f"fix: {finding.remediation}")
    if why := waiver(finding):
        lines.append(f"{why[0]}: {why[1]}")
    return "\n".join(lines)
