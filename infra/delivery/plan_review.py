"""What a plan job may hand to later jobs, and how the apply job knows it applies what was reviewed.

A plan file (and `terraform show -json` of it) holds sensitive values in clear. So nothing of it leaves
the plan job but two files:

- the plan JSON with every sensitive value replaced (`redact`): what the policy reads and people see;
- a fingerprint of the planned changes (`fingerprint`): a SHA-256 over each change's address, actions
  and planned values as the redacted plan shows them (a hash of a sensitive value would let anyone
  holding the artifact test guesses of it), with the list of addresses and actions.

The apply job plans again with its own role and the state lock held, and applies its own plan file
only when that plan's fingerprint equals the reviewed one (`verify`). Another run's apply landing in
between, or drift, makes them differ: the apply stops and names what changed. A difference in a
sensitive value alone is not seen, by design: the reviewer never saw that value either.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

REDACTED = "(sensitive)"
_INDEX = re.compile(r"\[[^\]]*\]")


def _mask(value: Any, sensitive: Any) -> Any:
    """value with every part the provider's *_sensitive structure marks replaced."""
    if sensitive is True:
        return REDACTED if value is not None else None
    if isinstance(value, dict) and isinstance(sensitive, dict):
        return {k: _mask(v, sensitive.get(k)) for k, v in value.items()}
    if isinstance(value, list) and isinstance(sensitive, list):
        return [_mask(v, sensitive[i] if i < len(sensitive) else None) for i, v in enumerate(value)]
    return value


def _mask_module(module: dict[str, Any]) -> None:
    """planned_values / prior_state: each resource's values against its sensitive_values."""
    for resource in module.get("resources") or []:
        if isinstance(resource, dict) and "values" in resource:
            resource["values"] = _mask(resource["values"], resource.get("sensitive_values"))
    for child in module.get("child_modules") or []:
        if isinstance(child, dict):
            _mask_module(child)


def _sensitive_attributes(plan: dict[str, Any]) -> dict[str, set[str]]:
    """Unindexed resource address -> the top-level attributes any of its instances marks sensitive."""
    found: dict[str, set[str]] = {}
    for change in plan.get("resource_changes") or []:
        marks = change.get("change") or {}
        for key in ("before_sensitive", "after_sensitive"):
            if isinstance(marks.get(key), dict):
                found.setdefault(_INDEX.sub("", str(change.get("address"))), set()).update(
                    name for name, mark in marks[key].items() if mark not in (False, None, {}, []))
    return found


def _mask_constants(expression: Any) -> None:
    """Every literal in an expression tree (nested blocks are lists of expression maps)."""
    if isinstance(expression, dict):
        if "constant_value" in expression:
            expression["constant_value"] = REDACTED
        for value in expression.values():
            _mask_constants(value)
    elif isinstance(expression, list):
        for value in expression:
            _mask_constants(value)


def _mask_configuration(module: dict[str, Any], prefix: str, secret: dict[str, set[str]]) -> None:
    """Literal values written in the configuration for sensitive attributes and sensitive module inputs."""
    for resource in module.get("resources") or []:
        address = f"{prefix}{resource.get('address', '')}"
        for name, expression in (resource.get("expressions") or {}).items():
            if name in secret.get(address, set()):
                _mask_constants(expression)
    for call_name, call in (module.get("module_calls") or {}).items():
        child = call.get("module") or {}
        hidden = {n for n, v in (child.get("variables") or {}).items() if isinstance(v, dict) and v.get("sensitive")}
        for name, expression in (call.get("expressions") or {}).items():
            if name in hidden:
                _mask_constants(expression)
        _mask_configuration(child, f"{prefix}module.{call_name}.", secret)
    for variable in (module.get("variables") or {}).values():
        if isinstance(variable, dict) and variable.get("sensitive") and "default" in variable:
            variable["default"] = REDACTED


def redact(plan: dict[str, Any]) -> dict[str, Any]:
    """A copy of a `terraform show -json` plan with no sensitive value left in it."""
    plan = json.loads(json.dumps(plan))
    for change in [*(plan.get("resource_changes") or []), *(plan.get("resource_drift") or [])]:
        body = change.get("change") or {}
        for side in ("before", "after"):
            if side in body:
                body[side] = _mask(body[side], body.get(f"{side}_sensitive"))
    for output in (plan.get("output_changes") or {}).values():
        for side in ("before", "after"):
            if side in output:
                output[side] = _mask(output[side], output.get(f"{side}_sensitive"))
    for section in ("planned_values", "prior_state"):
        holder = plan.get(section) or {}
        values = holder.get("values", holder) if section == "prior_state" else holder
        if isinstance(values.get("root_module"), dict):
            _mask_module(values["root_module"])
        for output in (values.get("outputs") or {}).values():
            if isinstance(output, dict) and output.get("sensitive"):
                output["value"] = REDACTED
    configuration = (plan.get("configuration") or {}).get("root_module")
    declared = configuration.get("variables") if isinstance(configuration, dict) else None
    for name, variable in (plan.get("variables") or {}).items():
        if isinstance(declared, dict) and (declared.get(name) or {}).get("sensitive"):
            variable["value"] = REDACTED
    if isinstance(configuration, dict):
        _mask_configuration(configuration, "", _sensitive_attributes(plan))
    return plan


def changes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """The resource changes that do something, in address order, as the redacted plan shows them: what
    they will make (`after`), not what is there now (`before`, which autoscaling moves between two
    plans without any change being planned to it)."""
    found = []
    for change in redact(plan).get("resource_changes") or []:
        body = change.get("change") or {}
        actions = list(body.get("actions") or [])
        if actions and actions != ["no-op"]:
            found.append({"address": change.get("address"), "actions": actions, "after": body.get("after"),
                          "after_unknown": body.get("after_unknown")})
    return sorted(found, key=lambda c: str(c["address"]))


def fingerprint(plan: dict[str, Any]) -> dict[str, Any]:
    """{"sha256": ..., "changes": [[address, "create"], ...]}: shareable, holds no sensitive value."""
    planned = changes(plan)
    digest = hashlib.sha256(json.dumps(planned, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    return {"sha256": digest, "changes": [[c["address"], "+".join(c["actions"])] for c in planned]}


def differences(reviewed: dict[str, Any], planned: dict[str, Any]) -> list[str]:
    """Why a new plan is not the reviewed one; empty when they agree."""
    if reviewed.get("sha256") == planned.get("sha256"):
        return []
    old = {a: act for a, act in reviewed.get("changes") or []}
    new = {a: act for a, act in planned.get("changes") or []}
    lines = [f"{a}: reviewed {old.get(a, 'no change')}, now {new.get(a, 'no change')}"
             for a in sorted(set(old) | set(new)) if old.get(a) != new.get(a)]
    return lines or ["the same resources change, but with other values"]


def redact_outputs(outputs: dict[str, Any]) -> dict[str, Any]:
    """`terraform output -json` with the value of every sensitive output replaced."""
    return {name: ({**item, "value": REDACTED} if isinstance(item, dict) and item.get("sensitive") else item)
            for name, item in outputs.items()}
