"""Evaluation of compiled HCL expressions with Terraform's semantics, unknowns included.

An expression either gives a value (which may be or hold `Unknown`), raises `EvalError` for what
Terraform would reject at plan (callers turn it into an Unknown with the reason), or raises
`PolicyInputError` for what is wrong in the configuration itself (a reference to something not
declared).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from policy.hcl.parse import (
    BinaryOp,
    Call,
    Conditional,
    ForDirective,
    ForExpr,
    GetAttr,
    IfDirective,
    Index,
    Interp,
    Literal,
    Node,
    ObjectExpr,
    Splat,
    Template,
    Traversal,
    TupleExpr,
    UnaryOp,
    Where,
    input_error,
)
from policy.hcl.values import (
    DECIMAL,
    EvalError,
    LazyObject,
    SetValue,
    is_number,
    iterate,
    norm_number,
    tf_equal,
    to_bool,
    to_number,
    to_string,
    type_name,
    unknown_like,
)
from policy.model import Shape, Unknown, has_unknown


class Namespace(Protocol):
    """What the names of a scope resolve against: a module instance, or nothing (tfvars, defaults)."""

    cwd: Path | None
    allow_functions: bool

    def lookup(self, node: Traversal, scope: Scope) -> tuple[Any, int]:
        """The value of node.root and the steps it used, e.g. 1 for var.x, 2 for data.t.n."""
        ...


class Constants:
    """No references at all: tfvars files, variable defaults, module sources."""

    def __init__(self, what: str, allow_functions: bool = False, cwd: Path | None = None) -> None:
        self.what = what
        self.allow_functions = allow_functions
        self.cwd = cwd

    def lookup(self, node: Traversal, scope: Scope) -> tuple[Any, int]:
        raise input_error(node.where, f'variables are not allowed in {self.what} (found "{node.root}")')


class TemplateVars:
    """The names a templatefile() template sees: only its vars map."""

    allow_functions = True

    def __init__(self, cwd: Path | None) -> None:
        self.cwd = cwd

    def lookup(self, node: Traversal, scope: Scope) -> tuple[Any, int]:
        raise EvalError(f'vars map does not contain key "{node.root}"')


class Scope:
    __slots__ = ("namespace", "symbols")

    def __init__(self, namespace: Namespace, symbols: dict[str, Any] | None = None) -> None:
        self.namespace = namespace
        self.symbols = symbols or {}

    def child(self, symbols: dict[str, Any]) -> Scope:
        return Scope(self.namespace, {**self.symbols, **symbols})


# --- attribute and index access ----------------------------------------------------------------


def get_attr(value: Any, name: str, where: Where) -> Any:
    if isinstance(value, Unknown):
        return Unknown(value.reason)
    if isinstance(value, LazyObject):
        return value.get_attr(name, str(where))
    if isinstance(value, dict):
        if name in value:
            return value[name]
        raise EvalError(f'this object does not have an attribute named "{name}"')
    if value is None:
        raise EvalError(f'attempt to get attribute "{name}" from a null value')
    if isinstance(value, list) and not isinstance(value, SetValue) and name.isdigit():
        return get_index(value, int(name), where)
    raise EvalError(f'cannot get attribute "{name}" of a {type_name(value)} value')


def get_index(value: Any, key: Any, where: Where) -> Any:
    if isinstance(value, Unknown):
        return Unknown(value.reason)
    if isinstance(key, Unknown):
        return Unknown(key.reason)
    if isinstance(value, LazyObject):
        if isinstance(key, str):
            return value.get_attr(key, str(where))
        value = value.materialize()
        if isinstance(value, Unknown):
            return Unknown(value.reason)
    if value is None:
        raise EvalError("cannot index a null value")
    if isinstance(value, SetValue):
        raise EvalError("elements of a set are identified only by their value and have no index")
    if isinstance(value, list):
        try:
            number = to_number(key)
        except EvalError:
            raise EvalError(f"a list index must be a number, not {type_name(key)}") from None
        if number != int(number):
            raise EvalError("a list index must be a whole number")
        index = int(number)
        if index < 0 or index >= len(value):
            raise EvalError(f"index {index} out of range for a list of {len(value)} elements")
        return value[index]
    if isinstance(value, dict):
        if key is None:
            raise EvalError("a map key must not be null")
        text = to_string(key)
        if text not in value:
            raise EvalError(f'no element with key "{text}"')
        return value[text]
    raise EvalError(f"cannot index a {type_name(value)} value")


def apply_steps(value: Any, steps: tuple[tuple[str, Any], ...], scope: Scope, where: Where) -> Any:
    for kind, arg in steps:
        value = get_attr(value, arg, where) if kind == "attr" else get_index(value, evaluate(arg, scope), where)
    return value


# --- the evaluator -----------------------------------------------------------------------------

Handler = Callable[[Any, Scope], Any]


def evaluate(node: Node, scope: Scope) -> Any:
    return _HANDLERS[type(node)](node, scope)


def _literal(node: Literal, scope: Scope) -> Any:
    return node.value


def _template(node: Template, scope: Scope) -> Any:
    parts = node.parts
    if len(parts) == 1 and isinstance(parts[0], Interp):
        # "${x}" alone is x itself, not its string form.
        return evaluate(parts[0].expr, scope)
    out: list[str] = []
    unknown = _render(parts, scope, out)
    if unknown is not None:
        # What is known of the string stays: an ARN whose account is not known yet still names a role.
        return Unknown(unknown.reason, partial=Shape("".join(out))) if unknown.partial is None else unknown
    return "".join(out)


def _render(parts: tuple[Any, ...], scope: Scope, out: list[str]) -> Unknown | None:
    unknown: Unknown | None = None
    for part in parts:
        if isinstance(part, str):
            out.append(part)
        elif isinstance(part, Interp):
            value = evaluate(part.expr, scope)
            if has_unknown(value):
                unknown = unknown if unknown is not None else unknown_like(value)
                shape = value.partial if isinstance(value, Unknown) and isinstance(value.partial, Shape) else None
                out.append(shape if shape is not None else Shape.PART)
            elif value is None:
                raise EvalError("a template interpolation value is null")
            elif isinstance(value, list | dict | LazyObject):
                raise EvalError(f"cannot include a {type_name(value)} value in a string template")
            else:
                out.append(to_string(value))
        elif isinstance(part, IfDirective):
            cond = evaluate(part.cond, scope)
            if isinstance(cond, Unknown):
                return Unknown(cond.reason, partial=Shape(Shape.PART))  # nothing of the string is known
            branch = part.then if to_bool(cond) else part.otherwise
            inner = _render(branch, scope, out)
            unknown = unknown if unknown is not None else inner
        elif isinstance(part, ForDirective):
            coll = evaluate(part.collection, scope)
            if isinstance(coll, Unknown):
                return Unknown(coll.reason, partial=Shape(Shape.PART))
            for key, value in iterate(coll):
                symbols = {part.value_var: value}
                if part.key_var:
                    symbols[part.key_var] = key
                inner = _render(part.body, scope.child(symbols), out)
                unknown = unknown if unknown is not None else inner
    return unknown


def _tuple(node: TupleExpr, scope: Scope) -> Any:
    return [evaluate(item, scope) for item in node.items]


def _object(node: ObjectExpr, scope: Scope) -> Any:
    out: dict[str, Any] = {}
    unknown_key: Unknown | None = None
    for key_node, value_node in node.items:
        key = evaluate(key_node, scope)
        if isinstance(key, Unknown):
            unknown_key = unknown_key if unknown_key is not None else key
            continue
        if key is None:
            raise EvalError("an object key must not be null")
        if isinstance(key, list | dict | LazyObject):
            raise EvalError(f"an object key must be a string, not {type_name(key)}")
        text = to_string(key)
        if text in out:
            raise EvalError(f'duplicate object key "{text}"')
        out[text] = evaluate(value_node, scope)
    if unknown_key is not None:
        return Unknown(unknown_key.reason)
    return out


def _traversal(node: Traversal, scope: Scope) -> Any:
    if node.root in scope.symbols:
        value, used = scope.symbols[node.root], 0
    else:
        value, used = scope.namespace.lookup(node, scope)
    return apply_steps(value, node.steps[used:], scope, node.where)


def _get_attr(node: GetAttr, scope: Scope) -> Any:
    return get_attr(evaluate(node.obj, scope), node.name, node.where)


def _index(node: Index, scope: Scope) -> Any:
    return get_index(evaluate(node.obj, scope), evaluate(node.key, scope), node.where)


def _splat(node: Splat, scope: Scope) -> Any:
    source = evaluate(node.source, scope)
    if isinstance(source, Unknown):
        return Unknown(source.reason)
    if source is None:
        return []
    items = source if isinstance(source, list) else [source]
    return [apply_steps(item, node.steps, scope, node.where) for item in items]


def _conditional(node: Conditional, scope: Scope) -> Any:
    cond = evaluate(node.cond, scope)
    if isinstance(cond, Unknown):
        # Both branches equal and known: the result does not depend on the condition.
        try:
            then, otherwise = evaluate(node.then, scope), evaluate(node.otherwise, scope)
        except EvalError:
            return Unknown(cond.reason)
        same = tf_equal(then, otherwise)
        return then if same is True else Unknown(cond.reason)
    chosen, other = (node.then, node.otherwise) if to_bool(cond) else (node.otherwise, node.then)
    result = evaluate(chosen, scope)
    if isinstance(result, bool) or is_number(result):
        # Terraform unifies both branch types: true ? 1 : "a" is "1".
        try:
            alternative = evaluate(other, scope)
        except EvalError:
            return result
        if isinstance(alternative, str):
            return to_string(result)
    return result


def _arith(op: str, a: Any, b: Any) -> Any:
    x, y = to_number(a), to_number(b)
    if op in "/%" and y == 0:
        raise EvalError("division by zero")
    if isinstance(x, int) and isinstance(y, int) and op in "+-*":
        return x + y if op == "+" else x - y if op == "-" else x * y
    dx, dy = Decimal(x), Decimal(y)
    if op == "+":
        return norm_number(DECIMAL.add(dx, dy))
    if op == "-":
        return norm_number(DECIMAL.subtract(dx, dy))
    if op == "*":
        return norm_number(DECIMAL.multiply(dx, dy))
    if op == "/":
        return norm_number(DECIMAL.divide(dx, dy))
    # Terraform's % keeps the sign of the dividend, as Decimal's remainder does.
    return norm_number(DECIMAL.remainder(dx, dy))


def _binary(node: BinaryOp, scope: Scope) -> Any:
    op = node.op
    left = evaluate(node.left, scope)
    if op in ("&&", "||"):
        decisive = op == "||"
        if not isinstance(left, Unknown) and to_bool(left) is decisive:
            return decisive  # short-circuit, as Terraform does since 1.9
        right = evaluate(node.right, scope)
        if isinstance(right, Unknown):
            return Unknown(right.reason)
        if to_bool(right) is decisive:
            return decisive
        if isinstance(left, Unknown):
            return Unknown(left.reason)
        return not decisive
    right = evaluate(node.right, scope)
    if op == "==":
        return tf_equal(left, right)
    if op == "!=":
        same = tf_equal(left, right)
        return same if isinstance(same, Unknown) else not same
    if isinstance(left, Unknown) or isinstance(right, Unknown):
        return unknown_like(left, right)
    if op in ("<", ">", "<=", ">="):
        x, y = to_number(left), to_number(right)
        return {"<": x < y, ">": x > y, "<=": x <= y, ">=": x >= y}[op]
    return _arith(op, left, right)


def _unary(node: UnaryOp, scope: Scope) -> Any:
    value = evaluate(node.operand, scope)
    if isinstance(value, Unknown):
        return Unknown(value.reason)
    if node.op == "!":
        return not to_bool(value)
    return -to_number(value)


def _for(node: ForExpr, scope: Scope) -> Any:
    coll = evaluate(node.collection, scope)
    if isinstance(coll, Unknown):
        return Unknown(coll.reason)
    items: list[Any] = []
    mapping: dict[str, Any] = {}
    for key, value in iterate(coll):
        symbols = {node.value_var: value}
        if node.key_var:
            symbols[node.key_var] = key
        inner = scope.child(symbols)
        if node.cond is not None:
            keep = evaluate(node.cond, inner)
            if isinstance(keep, Unknown):
                return Unknown(keep.reason)
            if not to_bool(keep):
                continue
        if node.key is None:
            items.append(evaluate(node.value, inner))
            continue
        out_key = evaluate(node.key, inner)
        if isinstance(out_key, Unknown):
            return Unknown(out_key.reason)
        if out_key is None or isinstance(out_key, list | dict):
            raise EvalError("a for expression's key must be a string")
        text = to_string(out_key)
        out_value = evaluate(node.value, inner)
        if node.group:
            mapping.setdefault(text, []).append(out_value)
        elif text in mapping:
            raise EvalError(f'duplicate key "{text}" in a for expression (use ... to group)')
        else:
            mapping[text] = out_value
    return items if node.key is None else mapping


def _call(node: Call, scope: Scope) -> Any:
    from policy.hcl.functions import call_function

    if not scope.namespace.allow_functions:
        raise input_error(node.where, f"functions may not be called here ({node.name})")
    return call_function(node, scope)


_HANDLERS: dict[type, Handler] = {
    Literal: _literal,
    Template: _template,
    TupleExpr: _tuple,
    ObjectExpr: _object,
    Traversal: _traversal,
    GetAttr: _get_attr,
    Index: _index,
    Splat: _splat,
    Conditional: _conditional,
    BinaryOp: _binary,
    UnaryOp: _unary,
    ForExpr: _for,
    Call: _call,
}


def evaluate_constant(node: Node, what: str) -> Any:
    """A value that may use no references nor functions (tfvars, defaults)."""
    return evaluate(node, Scope(Constants(what)))
