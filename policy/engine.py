"""Run the rules over one env's resources, from HCL, a plan JSON or the live emulator."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from policy.model import Finding, Resource, Source, Unknown
from policy.rules import ALL_RULES, Context, Rule


def evaluate(
    resources: list[Resource],
    env: str,
    tiers_doc: dict[str, Any],
    source: Source,
    *,
    workflow_environments: set[str] | None = None,
    rules: Sequence[type[Rule]] = ALL_RULES,
) -> list[Finding]:
    """Every finding of every rule for one env. `tiers_doc` is the whole tiers.yaml.

    An env that is not a tier (bootstrap) gets the security rules only: sizing and cost
    have nothing to compare against.
    """
    tier = tiers_doc["tiers"].get(env, {})
    ctx = Context(
        env=env, tier=tier, policy=tiers_doc.get("policy", {}), source=source, resources=resources,
        all_tiers=tiers_doc["tiers"], workflow_environments=workflow_environments,
    )
    findings: list[Finding] = []
    for rule_cls in rules:
        if rule_cls.family in ("sizing", "cost") and not tier:
            continue
        findings.extend(rule_cls().run(ctx))
    return sorted(findings, key=_order)


def locate(findings: Iterable[Finding], hcl_resources: Iterable[Resource]) -> None:
    """Give plan and live findings the file and line of the HCL block that declares the resource."""
    where: dict[str, tuple[str | None, int | None]] = {}
    for res in hcl_resources:
        where[res.address] = (res.file, res.line)
        where.setdefault(_unindexed(res.address), (res.file, res.line))
    for finding in findings:
        if finding.file is None:
            finding.file, finding.line = where.get(finding.resource) or where.get(
                _unindexed(finding.resource), (None, None))


def fill_partials(plan_resources: Iterable[Resource], hcl_resources: Iterable[Resource]) -> None:
    """Give a plan value that is unknown what the HCL knows of it, as its `partial`.

    A policy built by `jsonencode` or `aws_iam_policy_document` from ARNs that do not exist yet is
    wholly unknown in the plan, but its actions and effects are known from the HCL; the rules can
    still check those, and say "unknown" only about the parts that really are.
    """
    by_address = {r.address: r for r in hcl_resources}
    for resource in plan_resources:
        twin = by_address.get(resource.address)
        if twin is None:
            continue
        for key, value in list(resource.values.items()):
            if not isinstance(value, Unknown) or value.partial is not None:
                continue
            known = twin.values.get(key)
            if isinstance(known, Unknown):
                known = known.partial
            if isinstance(known, dict | list | str):
                resource.values[key] = Unknown(value.reason, partial=known)


def _unindexed(address: str) -> str:
    return address[: address.rfind("[")] if address.endswith("]") else address


_SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}


def _order(f: Finding) -> tuple:
    return (not f.blocking, f.status != "fail", _SEVERITY_ORDER.get(str(f.severity), 9), f.rule, f.resource)
