"""Resources from a plan JSON (`terraform show -json plan`), as the rules see them.

`planned_values.root_module` is walked through every `child_modules`; a resource's `values` are
its planned attributes, and each attribute its `resource_changes[].change.after_unknown` marks as
unknown becomes `Unknown("<address>.<attribute path>")` (Terraform leaves unknown attributes out
of `values`, or sets them to null). Data sources are included with mode "data": those deferred to
apply are in `planned_values`, those read during the plan are in `prior_state`.

A plan JSON that is not the shape Terraform writes is a `PolicyInputError` of one line; nothing
else is raised whatever the input.
"""

from __future__ import annotations

import contextlib
from typing import Any

from policy import plan_refs
from policy.model import PolicyInputError, Resource, Source, Unknown


def _bad(where: str, problem: str) -> PolicyInputError:
    return PolicyInputError(f"plan JSON: {where}: {problem}")


def _has_true(unknown: Any) -> bool:
    if unknown is True:
        return True
    if isinstance(unknown, dict):
        return any(_has_true(v) for v in unknown.values())
    if isinstance(unknown, list):
        return any(_has_true(v) for v in unknown)
    return False


def _merge_unknown(value: Any, unknown: Any, path: str) -> Any:
    """`value` with every part `unknown` marks true replaced by Unknown(path)."""
    if unknown is True:
        return Unknown(path)
    if not _has_true(unknown):
        return value
    if isinstance(unknown, dict):
        merged = dict(value) if isinstance(value, dict) else {}
        for key, sub in unknown.items():
            if _has_true(sub):
                merged[key] = _merge_unknown(merged.get(key), sub, f"{path}.{key}")
        return merged
    if isinstance(unknown, list):
        merged_list = list(value) if isinstance(value, list) else []
        while len(merged_list) < len(unknown):
            merged_list.append(None)
        for index, sub in enumerate(unknown):
            if _has_true(sub):
                merged_list[index] = _merge_unknown(merged_list[index], sub, f"{path}.{index}")
        return merged_list
    return value


def _walk(module: Any, where: str, out: list[tuple[dict, str]]) -> None:
    if not isinstance(module, dict):
        raise _bad(where, f"expected an object, got {type(module).__name__}")
    resources = module.get("resources", [])
    if not isinstance(resources, list):
        raise _bad(f"{where}.resources", "expected a list")
    for index, resource in enumerate(resources):
        out.append((resource, f"{where}.resources[{index}]"))
    children = module.get("child_modules", [])
    if not isinstance(children, list):
        raise _bad(f"{where}.child_modules", "expected a list")
    for index, child in enumerate(children):
        _walk(child, f"{where}.child_modules[{index}]", out)


def _unknowns(plan_json: dict) -> dict[str, Any]:
    changes = plan_json.get("resource_changes", [])
    if changes is None:
        return {}
    if not isinstance(changes, list):
        raise _bad("resource_changes", "expected a list")
    found: dict[str, Any] = {}
    for index, change in enumerate(changes):
        where = f"resource_changes[{index}]"
        if not isinstance(change, dict):
            raise _bad(where, "expected an object")
        address = change.get("address")
        if not isinstance(address, str):
            raise _bad(f"{where}.address", "expected a string")
        body = change.get("change", {})
        if not isinstance(body, dict):
            raise _bad(f"{where}.change", "expected an object")
        unknown = body.get("after_unknown", {})
        if unknown is None:
            unknown = {}
        if not isinstance(unknown, dict):
            raise _bad(f"{where}.change.after_unknown", "expected an object")
        found[address] = unknown
    return found


def _resource(raw: Any, where: str, env: str, unknowns: dict[str, Any]) -> Resource:
    if not isinstance(raw, dict):
        raise _bad(where, f"expected an object, got {type(raw).__name__}")
    address, rtype = raw.get("address"), raw.get("type")
    if not isinstance(address, str) or not address:
        raise _bad(f"{where}.address", "expected a non-empty string")
    if not isinstance(rtype, str) or not rtype:
        raise _bad(f"{where}.type", f"expected a non-empty string ({address})")
    mode = raw.get("mode", "managed")
    if mode not in ("managed", "data"):
        raise _bad(f"{where}.mode", f"expected managed or data, got {mode!r} ({address})")
    values = raw.get("values", {})
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise _bad(f"{where}.values", f"expected an object ({address})")
    merged = _merge_unknown(values, unknowns.get(address, {}), address)
    return Resource(address=address, type=rtype, values=merged, env=env, source=Source.PLAN, mode=mode)


def resources_from_plan(plan_json: Any, env: str) -> list[Resource]:
    """Every resource instance and data source a plan JSON plans or read, in plan order."""
    if not isinstance(plan_json, dict):
        raise _bad("(top level)", f"expected an object, got {type(plan_json).__name__}")
    if not isinstance(env, str) or not env:
        raise PolicyInputError("plan JSON: env must be a non-empty string")
    planned = plan_json.get("planned_values")
    if not isinstance(planned, dict):
        raise _bad("planned_values", "missing or not an object (is this `terraform show -json` of a plan?)")
    if "root_module" not in planned:
        raise _bad("planned_values.root_module", "missing")
    unknowns = _unknowns(plan_json)

    raw: list[tuple[dict, str]] = []
    _walk(planned["root_module"], "planned_values.root_module", raw)
    prior = plan_json.get("prior_state")
    if prior is not None:
        if not isinstance(prior, dict):
            raise _bad("prior_state", "expected an object")
        prior_values = prior.get("values")
        if prior_values is not None:
            if not isinstance(prior_values, dict):
                raise _bad("prior_state.values", "expected an object")
            if prior_values.get("root_module") is not None:
                prior_raw: list[tuple[dict, str]] = []
                _walk(prior_values["root_module"], "prior_state.values.root_module", prior_raw)
                # Only data sources: managed resources in the prior state are what exists, not what is planned.
                raw.extend(
                    (r, w) for r, w in prior_raw if isinstance(r, dict) and r.get("mode") == "data"
                )

    if not raw and not plan_json.get("resource_changes"):
        raise PolicyInputError("plan JSON: the plan has no resources and changes none: was it made from this root "
                               "(`terraform show -json` of its plan)?")
    resources: list[Resource] = []
    seen: set[str] = set()
    for item, where in raw:
        resource = _resource(item, where, env, unknowns)
        if resource.address in seen:
            continue
        seen.add(resource.address)
        resources.append(resource)
    # An odd configuration section only costs the references, never the policy run.
    with contextlib.suppress(AttributeError, TypeError, ValueError, IndexError, KeyError):
        plan_refs.annotate(resources, plan_json)
    return resources


def summary(plan_json: Any) -> dict[str, int]:
    """What the plan does to managed resources, counted as Terraform does: {"add", "change", "destroy"}
    (a replacement counts as one add and one destroy; reads and no-ops are not counted)."""
    if not isinstance(plan_json, dict):
        raise _bad("(top level)", f"expected an object, got {type(plan_json).__name__}")
    changes = plan_json.get("resource_changes")
    changes = [] if changes is None else changes
    if not isinstance(changes, list):
        raise _bad("resource_changes", "expected a list")
    counts = {"add": 0, "change": 0, "destroy": 0}
    for index, change in enumerate(changes):
        where = f"resource_changes[{index}]"
        if not isinstance(change, dict):
            raise _bad(where, "expected an object")
        if change.get("mode", "managed") != "managed":
            continue
        body = change.get("change")
        actions = body.get("actions") if isinstance(body, dict) else None
        if not isinstance(actions, list) or not all(isinstance(a, str) for a in actions):
            raise _bad(f"{where}.change.actions", "expected a list of actions")
        if "create" in actions:
            counts["add"] += 1
        if "delete" in actions:
            counts["destroy"] += 1
        if actions == ["update"]:
            counts["change"] += 1
    return counts


__all__ = ["resources_from_plan", "summary"]
