"""What every report format shares: how findings are classified, ordered, counted and shown.

A finding falls in exactly one category:

- blocking: it fails the gate (`Finding.blocking`): a hard-mandatory failure, or a soft-mandatory
  one without an override;
- overridden: a soft-mandatory failure waived by an override or suppression with a reason;
- advisory: any other failure that does not block (advisory level, suppressed advisories included);
- unknown: the rule could not decide yet (`status == "unknown"`, e.g. a value unknown until plan).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from enum import Enum
from typing import Any

from policy.model import EnvResult, Finding, jsonable

CATEGORIES = ("blocking", "overridden", "advisory", "unknown")
SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}
_CATEGORY_ORDER = {name: i for i, name in enumerate(CATEGORIES)}


def category(finding: Finding) -> str:
    if finding.status != "fail":
        return "unknown"
    if finding.blocking:
        return "blocking"
    if (finding.suppressed or finding.overridden) and str(finding.level) != "advisory":
        return "overridden"
    return "advisory"


def waiver(finding: Finding) -> tuple[str, str] | None:
    """Why a finding does not block although it failed: ("suppressed", reason) for an entry of the
    suppressions file, ("overridden", reason) for a run-time --override; None otherwise."""
    if finding.blocking:
        return None  # a run-time override of a hard-mandatory rule waives nothing
    if finding.suppressed:
        return "suppressed", str(finding.suppressed)
    if finding.overridden:
        return "overridden", str(finding.overridden)
    return None


def plain(value: Any) -> Any:
    """Any value as strict JSON data: Unknowns and enums spelled out, NaN and odd objects as strings."""
    value = jsonable(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, Enum):
        return plain(value.value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, str | bool | int | float):
        return value
    return str(value)


def finding_json(finding: Finding) -> dict[str, Any]:
    return plain(finding.to_json())


def sort_key(finding: Finding) -> tuple:
    """Blocking first, then by severity, rule, resource, place and text: a total, stable order."""
    return (
        _CATEGORY_ORDER[category(finding)],
        SEVERITY_ORDER.get(str(finding.severity), 9),
        str(finding.rule),
        str(finding.resource),
        finding.file or "",
        finding.line or 0,
        str(finding.message),
        json.dumps(finding_json(finding), sort_keys=True, ensure_ascii=False),
    )


def ordered(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=sort_key)


def counts(result: EnvResult) -> dict[str, int]:
    tally = dict.fromkeys(CATEGORIES, 0)
    for finding in result.findings:
        tally[category(finding)] += 1
    return tally


def failed_steps(result: EnvResult) -> list[tuple[str, str]]:
    return [(name, status) for name, status in (result.steps or {}).items() if str(status).startswith("failed")]


def verdict(result: EnvResult) -> str:
    return "pass" if result.passed else "fail"


def overall_verdict(results: Sequence[EnvResult]) -> str:
    return "pass" if all(r.passed for r in results) else "fail"


def plan_counts(plan: Mapping[str, int] | None) -> tuple[int, int, int] | None:
    if plan is None:
        return None
    return int(plan.get("add", 0)), int(plan.get("change", 0)), int(plan.get("destroy", 0))


def plan_short(plan: Mapping[str, int] | None) -> str:
    """"+3 ~1 -0", or "not planned" when no plan ran."""
    numbers = plan_counts(plan)
    if numbers is None:
        return "not planned"
    add, change, destroy = numbers
    return f"+{add} ~{change} -{destroy}"


def plan_long(plan: Mapping[str, int] | None) -> str:
    numbers = plan_counts(plan)
    if numbers is None:
        return "no plan (checked from HCL)"
    add, change, destroy = numbers
    return f"{add} to add, {change} to change, {destroy} to destroy"


def show(value: Any) -> str:
    """A value as compact JSON text, for "actual: … expected: …" lines."""
    return json.dumps(plain(value), ensure_ascii=False, sort_keys=True)


def where(finding: Finding) -> str | None:
    """"file:line", "file" or None."""
    if not finding.file:
        return None
    return f"{finding.file}:{finding.line}" if finding.line else finding.file


_SLUG_STOPWORDS = frozenset({
    "a", "an", "the", "is", "are", "be", "it", "its", "has", "have", "that", "with", "and", "of", "for", "to", "in",
    "on", "by", "from",
})


def slugify(text: str, max_words: int = 8) -> str:
    """A readable lowercase-dashed slug: "Aurora storage is encrypted" -> "aurora-storage-encrypted"."""
    words = re.findall(r"[a-z0-9]+", re.sub(r"['\u2019]s\b", "", str(text).lower()))
    kept = [w for w in words if w not in _SLUG_STOPWORDS] or words
    kept = [w for i, w in enumerate(kept) if i == 0 or w != kept[i - 1]]
    return "-".join(kept[:max_words])


def rule_slug(rule_id: str, title: str | None = None, rule: Any = None) -> str:
    """The rule's `slug` attribute if it has one, else one made from its title, else from its id."""
    explicit = getattr(rule, "slug", None) if rule is not None else None
    if isinstance(explicit, str) and explicit:
        return explicit
    return slugify(title or "") or slugify(rule_id, max_words=20) or "rule"


def default_uri(env: str) -> str:
    """Where a finding without a file points: the env root's main.tf."""
    return "terraform/bootstrap/main.tf" if env == "bootstrap" else f"terraform/envs/{env}/main.tf"


def rules_for(rules: Sequence[Any] | Mapping[str, Sequence[Any]] | None, env: str) -> list[Any]:
    """The rule classes that ran for an env: one sequence for every env, or a mapping env -> sequence."""
    if rules is None:
        return []
    if isinstance(rules, Mapping):
        return list(rules.get(env, ()))
    return list(rules)


def clip(text: str, limit: int) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"
