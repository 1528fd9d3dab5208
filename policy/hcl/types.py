"""Variable type constraints (`type = list(object({...}))`) and the light conversion Terraform applies."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from policy.hcl.expr import evaluate_constant
from policy.hcl.parse import Call, Literal, Node, ObjectExpr, Traversal, TupleExpr, input_error
from policy.hcl.values import EvalError, LazyObject, SetValue, materialize, to_bool, to_number, to_string, type_name
from policy.model import Unknown

PRIMITIVES = ("string", "number", "bool", "any")
# Terraform 0.11's quoted types, still accepted.
_LEGACY: dict[Any, Any] = {"string": "string", "list": ("list", "string"), "map": ("map", "string")}


@dataclass(frozen=True)
class ObjectAttr:
    type: Any
    optional: bool
    default: Any  # already evaluated; None when there is none


# A type is "string" | "number" | "bool" | "any" | ("list"|"set"|"map", T) | ("tuple", [T...])
# | ("object", {name: ObjectAttr}).


def parse_type(node: Node) -> Any:
    if isinstance(node, Traversal) and not node.steps and node.root in PRIMITIVES:
        return node.root
    if isinstance(node, Literal) and node.value in _LEGACY:
        return _LEGACY[node.value]
    if isinstance(node, Call):
        if node.name in ("list", "set", "map") and len(node.args) == 1:
            return (node.name, parse_type(node.args[0]))
        if node.name == "tuple" and len(node.args) == 1 and isinstance(node.args[0], TupleExpr):
            return ("tuple", [parse_type(item) for item in node.args[0].items])
        if node.name == "object" and len(node.args) == 1 and isinstance(node.args[0], ObjectExpr):
            attrs: dict[str, ObjectAttr] = {}
            for key_node, value_node in node.args[0].items:
                if not isinstance(key_node, Literal) or not isinstance(key_node.value, str):
                    raise input_error(key_node.where, "object type attribute names must be plain names")
                attrs[key_node.value] = _object_attr(value_node)
            return ("object", attrs)
    raise input_error(node.where, "invalid type constraint")


def _object_attr(node: Node) -> ObjectAttr:
    if isinstance(node, Call) and node.name == "optional" and 1 <= len(node.args) <= 2:
        inner = parse_type(node.args[0])
        default = None
        if len(node.args) == 2:
            default = evaluate_constant(node.args[1], "an optional() default")
            with contextlib.suppress(EvalError):
                default = convert(default, inner)
        return ObjectAttr(inner, True, default)
    return ObjectAttr(parse_type(node), False, None)


def convert(value: Any, typ: Any) -> Any:
    """value converted to typ as Terraform would, or EvalError. Unknowns pass through."""
    if isinstance(value, Unknown) or value is None or typ == "any":
        return value
    if isinstance(value, LazyObject):
        value = materialize(value)
        if isinstance(value, Unknown):
            return value
    if typ == "string":
        if isinstance(value, list | dict):
            raise EvalError(f"a string is required, not {type_name(value)}")
        return to_string(value)
    if typ == "number":
        return to_number(value)
    if typ == "bool":
        return to_bool(value)
    kind, inner = typ
    if kind in ("list", "set"):
        if not isinstance(value, list):
            raise EvalError(f"a {kind} is required, not {type_name(value)}")
        items = [convert(v, inner) for v in value]
        if kind == "set":
            return value if any(isinstance(i, Unknown) for i in items) else SetValue.of(items)
        return items
    if kind == "tuple":
        if not isinstance(value, list) or len(value) != len(inner):
            raise EvalError(f"a tuple of {len(inner)} elements is required")
        return [convert(v, t) for v, t in zip(value, inner, strict=True)]
    if not isinstance(value, dict):
        raise EvalError(f"a {kind} is required, not {type_name(value)}")
    if kind == "map":
        return {k: convert(v, inner) for k, v in value.items()}
    out: dict[str, Any] = {}
    for name, attr in inner.items():
        if name in value and value[name] is not None:
            out[name] = convert(value[name], attr.type)
        elif attr.optional:
            out[name] = attr.default
        elif name in value:
            out[name] = None
        else:
            raise EvalError(f'attribute "{name}" is required')
    return out
