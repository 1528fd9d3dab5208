"""SARIF 2.1.0 for GitHub code scanning: one run of the "rupaya-policy" tool over every env checked.

Levels (SARIF `level`, per result):

- "error": the finding blocks the gate (`Finding.blocking`): a hard-mandatory failure, or a
  soft-mandatory one without an override. A hard-mandatory finding with a suppression stays an
  error: the suppression does not apply and is reported in `properties.suppressionIgnored`.
- "warning": a soft-mandatory failure waived by an override; the result also carries a
  `suppressions` entry (kind "external", the reason as justification), so code scanning shows it
  as dismissed.
- "note": everything that never blocks: advisory failures (a suppressed advisory gets a
  suppression too) and checks that cannot decide yet ("unknown until plan", `properties.status`
  "unknown").

Each rule's `defaultConfiguration.level` is the level of a plain failure of that rule: "error"
for hard- and soft-mandatory rules, "note" for advisory ones.

Every result has a location, as code scanning requires one: the finding's file and line, or, when
the file is not known, the env root's main.tf (terraform/envs/<env>/main.tf, or
terraform/bootstrap/main.tf) at line 1. The resource address is the logical location.
`partialFingerprints["rupayaFinding/v1"]` hashes (rule, env, resource), so an alert keeps its
identity when lines move; a second finding of the same rule on the same resource gets "#2" and so on.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from core.project import REPO_ROOT
from policy.model import EnvResult, Finding
from policy.reports.common import (
    category,
    default_uri,
    failed_steps,
    ordered,
    plain,
    rule_slug,
    rules_for,
    show,
    waiver,
)

TOOL_NAME = "rupaya-policy"
SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schemas" / "sarif-schema-2.1.0.json"
FINGERPRINT = "rupayaFinding/v1"

_LEVEL = {"blocking": "error", "overridden": "warning", "advisory": "note", "unknown": "note"}
# GitHub ranks security alerts by properties["security-severity"] (a CVSS-like score as text).
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}


def render(
    results: Sequence[EnvResult], rules: Sequence[Any] | Mapping[str, Sequence[Any]] | None = None
) -> str:
    return json.dumps(document(results, rules), indent=2, ensure_ascii=False) + "\n"


def document(
    results: Sequence[EnvResult], rules: Sequence[Any] | Mapping[str, Sequence[Any]] | None = None
) -> dict[str, Any]:
    descriptors = _descriptors(results, rules)
    index = {d["id"]: i for i, d in enumerate(descriptors)}
    seen: dict[str, int] = {}
    sarif_results = [
        _result(finding, result.env, index, seen) for result in results for finding in ordered(result.findings)
    ]
    notifications = [
        {
            "level": "error",
            "message": {"text": f"{result.env}: step {name} {status}"},
            "properties": {"env": result.env, "step": name},
        }
        for result in results
        for name, status in failed_steps(result)
    ]
    invocation: dict[str, Any] = {"executionSuccessful": not notifications}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    return {
        "$schema": SARIF_SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": TOOL_NAME, "rules": descriptors}},
                "invocations": [invocation],
                "columnKind": "unicodeCodePoints",
                "results": sarif_results,
                "properties": {"envs": [r.env for r in results]},
            }
        ],
    }


def _descriptors(
    results: Sequence[EnvResult], rules: Sequence[Any] | Mapping[str, Sequence[Any]] | None
) -> list[dict[str, Any]]:
    """One reportingDescriptor per rule id: from the rule classes given, else built from a finding."""
    by_id: dict[str, dict[str, Any]] = {}
    for result in results:
        for rule in rules_for(rules, result.env):
            by_id.setdefault(str(rule.id), _rule_descriptor(rule))
    for result in results:
        for finding in ordered(result.findings):
            by_id.setdefault(str(finding.rule), _finding_descriptor(finding))
    return [by_id[key] for key in sorted(by_id)]


def _rule_descriptor(rule: Any) -> dict[str, Any]:
    title = str(getattr(rule, "title", "") or rule.id)
    family = str(getattr(rule, "family", "") or "")
    severity = str(getattr(rule, "severity", "") or "")
    level = str(getattr(rule, "level", "") or "")
    return _descriptor(
        rule_id=str(rule.id),
        name=getattr(rule, "__name__", None) or rule_slug(str(rule.id), title, rule),
        title=title,
        rationale=str(getattr(rule, "rationale", "") or ""),
        remediation=str(getattr(rule, "remediation", "") or ""),
        family=family, severity=severity, level=level,
    )


def _finding_descriptor(finding: Finding) -> dict[str, Any]:
    title = str(finding.title or finding.rule)
    return _descriptor(
        rule_id=str(finding.rule), name=_pascal(title) or str(finding.rule), title=title, rationale="",
        remediation=str(finding.remediation or ""), family=str(finding.family),
        severity=str(finding.severity), level=str(finding.level),
    )


def _descriptor(
    *, rule_id: str, name: str, title: str, rationale: str, remediation: str, family: str, severity: str, level: str
) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "family": family,
        "level": level,
        "severity": severity,
        "tags": sorted({t for t in ("rupaya-policy", family, "terraform") if t}),
    }
    if family == "security" and severity in _SECURITY_SEVERITY:
        properties["security-severity"] = _SECURITY_SEVERITY[severity]
    return {
        "id": rule_id,
        "name": name,
        "shortDescription": {"text": title},
        "fullDescription": {"text": rationale or title},
        "help": {"text": remediation or title},
        "defaultConfiguration": {"level": "note" if level == "advisory" else "error"},
        "properties": properties,
    }


def _result(finding: Finding, env: str, index: Mapping[str, int], seen: dict[str, int]) -> dict[str, Any]:
    cat = category(finding)
    rule_id = str(finding.rule)
    text = str(finding.message) or str(finding.title) or rule_id
    if finding.remediation:
        text += f"\nFix: {finding.remediation}"
    if cat == "unknown":
        text = f"(unknown until plan) {text}"
    identity = "\x00".join((rule_id, str(finding.env or env), str(finding.resource)))
    fingerprint = hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()
    seen[fingerprint] = seen.get(fingerprint, 0) + 1
    if seen[fingerprint] > 1:
        fingerprint += f"#{seen[fingerprint]}"
    properties: dict[str, Any] = {
        "env": str(finding.env or env),
        "family": str(finding.family),
        "severity": str(finding.severity),
        "enforcement": str(finding.level),
        "status": str(finding.status),
        "blocking": finding.blocking,
        "source": str(finding.source),
        "actual": plain(finding.actual),
        "expected": plain(finding.expected),
    }
    if finding.actual is not None or finding.expected is not None:
        properties["comparison"] = f"actual: {show(finding.actual)} expected: {show(finding.expected)}"
    out: dict[str, Any] = {
        "ruleId": rule_id,
        "ruleIndex": index[rule_id],
        "level": _LEVEL[cat],
        "message": {"text": text},
        "locations": [_location(finding, env)],
        "partialFingerprints": {FINGERPRINT: fingerprint},
        "properties": properties,
    }
    if why := waiver(finding):
        justification = why[1] if why[0] == "suppressed" else f"{why[0]}: {why[1]}"
        out["suppressions"] = [{"kind": "external", "status": "accepted", "justification": justification}]
    return out


def _location(finding: Finding, env: str) -> dict[str, Any]:
    line = finding.line if isinstance(finding.line, int) and finding.line >= 1 else 1
    uri = _uri(finding.file) if finding.file else None
    if not uri:
        uri, line = _quote(default_uri(str(finding.env or env))), 1
    location: dict[str, Any] = {
        "physicalLocation": {
            "artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": line},
        },
    }
    if finding.resource:
        location["logicalLocations"] = [{"fullyQualifiedName": str(finding.resource), "kind": "resource"}]
    return location


def _uri(file: str) -> str:
    """A repository-relative URI with forward slashes, percent-encoded where needed."""
    path = str(file).replace("\\", "/")
    candidate = Path(path)
    if candidate.is_absolute():
        try:
            path = candidate.resolve().relative_to(REPO_ROOT).as_posix()
        except (ValueError, OSError):
            return candidate.as_uri()
    parts = [p for p in PurePosixPath(path).parts if p not in ("", ".")]
    return _quote("/".join(parts))


def _quote(path: str) -> str:
    return quote(path.encode("utf-8", "surrogatepass"), safe="/")


def _pascal(text: str) -> str:
    return "".join(w.capitalize() for w in re.findall(r"[A-Za-z0-9]+", text))
