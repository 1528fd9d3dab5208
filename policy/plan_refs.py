"""What an unknown plan value refers to, from the plan's `configuration` section.

A plan marks `bucket = aws_s3_bucket.logs[0].id` as unknown and says nothing more in
`planned_values`; its `configuration` keeps each argument's references. This module follows
them (through module inputs `var.x` and module outputs `module.m.out`) to the resource they end
at, so a rule can tell which bucket a public access block belongs to, or that a kms_key_id is one
of the stack's own keys. The result is the same `Unknown.reason` the HCL evaluator gives:
an absolute address such as `module.platform.module.load_balancer.aws_s3_bucket.logs[0].id`.
"""

from __future__ import annotations

import re
from typing import Any

from policy.model import Resource, Unknown

_INDEX = re.compile(r"\[[^\]]*\]")
_MAX_DEPTH = 32  # module nesting and var/output hops; a cycle cannot occur in a valid plan


def _config_for(root: dict, address: str) -> tuple[dict, list[tuple[dict, str, str]], str] | None:
    """The configuration module of a resource address, its chain of (parent, call, prefix), and the
    resource's config key (type.name or data.type.name)."""
    parts = _INDEX.sub("", address).split(".")
    module, chain, prefix = root, [], ""
    while len(parts) > 2 and parts[0] == "module":
        call = parts[1]
        calls = module.get("module_calls") or {}
        if call not in calls:
            return None
        chain.append((module, call, prefix))
        prefix = f"{prefix}.module.{call}" if prefix else f"module.{call}"
        module = calls[call].get("module") or {}
        parts = parts[2:]
    return module, chain, ".".join(parts)


def _resolve(ref: str, module: dict, chain: list[tuple[dict, str, str]], prefix: str, depth: int = 0) -> str | None:
    """The absolute address a reference ends at, or None when it ends in a local, a literal, etc."""
    if depth > _MAX_DEPTH:
        return None
    head = ref.split(".", 1)[0]
    if head.startswith("aws_") or head == "data":
        return f"{prefix}.{ref}" if prefix else ref
    if head == "var" and chain:
        name = ref.split(".")[1].split("[")[0]
        parent, call, parent_prefix = chain[-1]
        expr = ((parent.get("module_calls") or {}).get(call, {}).get("expressions") or {}).get(name)
        for sub in _refs(expr):
            found = _resolve(sub, parent, chain[:-1], parent_prefix, depth + 1)
            if found:
                return found
        return None
    if head == "module":
        bits = ref.split(".")
        if len(bits) < 3:
            return None
        call, output = _INDEX.sub("", bits[1]), bits[2].split("[")[0]
        child = ((module.get("module_calls") or {}).get(call) or {}).get("module") or {}
        expr = ((child.get("outputs") or {}).get(output) or {}).get("expression")
        child_prefix = f"{prefix}.module.{call}" if prefix else f"module.{call}"
        for sub in _refs(expr):
            found = _resolve(sub, child, [*chain, (module, call, prefix)], child_prefix, depth + 1)
            if found:
                return found
    return None


def _refs(expr: Any) -> list[str]:
    if isinstance(expr, dict):
        refs = expr.get("references")
        return [r for r in refs if isinstance(r, str)] if isinstance(refs, list) else []
    return []


def _expression_at(expressions: Any, path: list[str]) -> Any:
    node = expressions
    for part in path:
        if isinstance(node, list):
            if not part.isdigit():
                return None
            node = node[int(part)] if int(part) < len(node) else (node[0] if node else None)
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            return None
    return node


def annotate(resources: list[Resource], plan_json: dict) -> None:
    """Replace the reasons of unknown values with the address they refer to, where the plan says."""
    root = ((plan_json.get("configuration") or {}).get("root_module")) or {}
    if not isinstance(root, dict):
        return
    for resource in resources:
        located = _config_for(root, resource.address)
        if located is None:
            continue
        module, chain, key = located
        prefix = ".".join(_INDEX.sub("", resource.address).split(".")[: -len(key.split("."))])
        config = next((r for r in module.get("resources") or [] if isinstance(r, dict) and r.get("address") == key),
                      None)
        if config is None:
            continue
        resource.values = _annotate(resource.values, config.get("expressions") or {}, [], module, chain, prefix,
                                    resource.address)


def _annotate(value: Any, expressions: Any, path: list[str], module: dict, chain: list, prefix: str,
              own: str) -> Any:
    if isinstance(value, Unknown):
        if value.reason and not value.reason.startswith(own):
            return value
        expr = _expression_at(expressions, path)
        for ref in _refs(expr):
            found = _resolve(ref, module, chain, prefix)
            if found:
                return Unknown(found, partial=value.partial)
        return value
    if isinstance(value, dict):
        return {k: _annotate(v, expressions, [*path, k], module, chain, prefix, own) for k, v in value.items()}
    if isinstance(value, list):
        return [_annotate(v, expressions, [*path, str(i)], module, chain, prefix, own) for i, v in enumerate(value)]
    return value
