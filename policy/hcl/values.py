"""Terraform values in Python, with Terraform's semantics where Python's differ.

Numbers are `int` or `decimal.Decimal` (never float) while evaluating, so `0.1 + 0.2 == 0.3` as in
Terraform, whose numbers are big decimals; `finalize` turns them into plain JSON-like numbers for
`Resource.values`. Sets are `SetValue` (a sorted, de-duplicated list). Anything not known before
the plan is a `policy.model.Unknown`; collections may hold unknown elements.
"""

from __future__ import annotations

import decimal
import math
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from policy.model import Unknown

DECIMAL = decimal.Context(prec=60, rounding=decimal.ROUND_HALF_EVEN, Emax=999999, Emin=-999999)
Number = int | Decimal


class EvalError(Exception):
    """An expression Terraform would reject at plan (type error, bad index...): becomes an Unknown."""


class SetValue(list):
    """A Terraform set: elements sorted as Terraform lists them (strings and numbers in order)."""

    __slots__ = ()

    @classmethod
    def of(cls, items: list[Any]) -> SetValue:
        unique: list[Any] = []
        for item in items:
            if not any(tf_equal_known(item, seen) for seen in unique):
                unique.append(item)
        return cls(_set_order(unique))


def _set_order(items: list[Any]) -> list[Any]:
    if items and all(isinstance(i, str) for i in items):
        return sorted(items)
    if items and all(is_number(i) for i in items):
        return sorted(items)
    if items and all(isinstance(i, bool) for i in items):
        return sorted(items)
    return items


class LazyObject:
    """A resource instance or module instance whose attributes are evaluated on demand."""

    def get_attr(self, name: str, where: str) -> Any:
        raise NotImplementedError

    def materialize(self) -> Any:
        raise NotImplementedError


def is_number(value: Any) -> bool:
    return isinstance(value, int | Decimal) and not isinstance(value, bool)


MAX_DIGITS = 400  # no configuration needs more; Python refuses int strings past 4,300 digits


def norm_number(value: Number | float) -> Number:
    """Integral numbers as int (Terraform prints 2/2 as 1), others as Decimal."""
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise EvalError("number is not finite")
        value = Decimal(repr(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise EvalError("number is not finite")
        if value.adjusted() > MAX_DIGITS:
            # int(Decimal("1e999999999")) would build a billion-digit integer: a hang, not a number.
            raise EvalError(f"number larger than {MAX_DIGITS} digits")
        if value == value.to_integral_value():
            return int(value)
        return +value if value.adjusted() > -1000 else value
    return value


def first_unknown(value: Any) -> Unknown | None:
    """The first Unknown inside value (depth first), to give results a meaningful reason."""
    if isinstance(value, Unknown):
        return value
    if isinstance(value, dict):
        for item in value.values():
            found = first_unknown(item)
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for item in value:
            found = first_unknown(item)
            if found is not None:
                return found
    return None


def unknown_like(*values: Any, reason: str | None = None, partial: Any = None) -> Unknown:
    """An Unknown carrying the reason of the first unknown among values."""
    for value in values:
        found = first_unknown(value)
        if found is not None:
            return Unknown(reason or found.reason, partial)
    return Unknown(reason or "", partial)


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if is_number(value):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, SetValue):
        return "set"
    if isinstance(value, list):
        return "tuple"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, Unknown):
        return "unknown"
    if isinstance(value, LazyObject):
        return "object"
    return type(value).__name__


def format_number(value: Number) -> str:
    if isinstance(value, int):
        return str(value)
    text = format(value.normalize(DECIMAL), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def parse_number(text: str) -> Number:
    """A decimal number as tonumber() accepts it: no spaces, hex or special values."""
    import re

    if not re.fullmatch(r"-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?", text):
        raise EvalError(f"cannot convert {text!r} to number; given string must be a decimal representation")
    return norm_number(Decimal(text))


def to_string(value: Any) -> str:
    """Conversion to string as templates and tostring() do it."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if is_number(value):
        return format_number(value)
    if value is None:
        raise EvalError("the value is null; a string is required")
    raise EvalError(f"cannot convert {type_name(value)} to string")


def to_number(value: Any) -> Number:
    if is_number(value):
        return value
    if isinstance(value, str):
        return parse_number(value)
    if value is None:
        raise EvalError("the value is null; a number is required")
    raise EvalError(f"a number is required, not {type_name(value)}")


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value == "true":
        return True
    if value == "false":
        return False
    if value is None:
        raise EvalError("the value is null; a bool is required")
    raise EvalError(f"a bool is required, not {type_name(value)}")


def tf_equal_known(a: Any, b: Any) -> bool:
    """Terraform's == on known values: a number never equals a string or a bool."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if is_number(a) or is_number(b):
        return is_number(a) and is_number(b) and a == b
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str) and a == b
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(tf_equal_known(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(tf_equal_known(x, y) for x, y in zip(a, b, strict=True))
    return False


def tf_equal(a: Any, b: Any) -> bool | Unknown:
    """== with unknowns, as cty does it: a known map holding unknowns still differs from null."""
    if isinstance(a, Unknown) or isinstance(b, Unknown):
        return unknown_like(a, b)
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return False
        pairs = [(a[k], b[k]) for k in a]
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return False
        pairs = list(zip(a, b, strict=True))
    elif isinstance(a, dict | list) or isinstance(b, dict | list):
        return False
    else:
        return tf_equal_known(a, b)
    unknown: Unknown | None = None
    for x, y in pairs:
        same = tf_equal(x, y)
        if isinstance(same, Unknown):
            unknown = unknown if unknown is not None else same
        elif not same:
            return False
    return unknown if unknown is not None else True


def unify_primitives(items: list[Any]) -> list[Any]:
    """Elements of a list made one type as Terraform does: strings win over numbers and bools."""
    kinds = {type_name(i) for i in items if i is not None and not isinstance(i, Unknown)}
    if "string" in kinds and kinds <= {"string", "number", "bool"} and len(kinds) > 1:
        return [to_string(i) if i is not None and not isinstance(i, Unknown) else i for i in items]
    return items


def iterate(value: Any) -> Iterator[tuple[Any, Any]]:
    """(key, value) pairs as for-expressions and dynamic blocks see them; maps in key order."""
    if isinstance(value, LazyObject):
        value = value.materialize()
    if isinstance(value, dict):
        for key in sorted(value):
            yield key, value[key]
    elif isinstance(value, SetValue):
        for item in value:
            yield item, item
    elif isinstance(value, list):
        yield from enumerate(value)
    elif value is None:
        raise EvalError("cannot iterate over a null value")
    else:
        raise EvalError(f"cannot iterate over a {type_name(value)} value")


def materialize(value: Any) -> Any:
    """Lazy resource/module objects replaced, deeply, by what is known of them."""
    if isinstance(value, LazyObject):
        return materialize(value.materialize())
    if isinstance(value, SetValue):
        return SetValue(materialize(v) for v in value)
    if isinstance(value, list):
        return [materialize(v) for v in value]
    if isinstance(value, dict):
        return {k: materialize(v) for k, v in value.items()}
    return value


def finalize(value: Any) -> Any:
    """A value as Resource.values holds it: plain lists, dicts, str, int/float, bool, None, Unknown."""
    if isinstance(value, LazyObject):
        return finalize(value.materialize())
    if isinstance(value, Unknown):
        if value.partial is None:
            return value
        return Unknown(value.reason, finalize(value.partial))
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list):
        return [finalize(v) for v in value]
    if isinstance(value, dict):
        return {k: finalize(v) for k, v in value.items()}
    return value


# --- JSON as Go's encoding/json writes it (Terraform's jsonencode, the provider's policy JSON) ----


def _go_escape(text: str) -> str:
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif code < 0x20 or ch in "<>&\u2028\u2029":
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def json_encode(value: Any, indent: str | None = None, sort_keys: bool = True, _level: int = 0) -> str:
    """Compact (or indented) JSON with Go's escaping (<, > and & as \\u003c...) and key order."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal | float):
        return format_number(norm_number(value) if isinstance(value, float) else value)
    if isinstance(value, str):
        return _go_escape(value)
    if isinstance(value, LazyObject):
        return json_encode(value.materialize(), indent, sort_keys, _level)
    if isinstance(value, Unknown):
        raise EvalError("cannot encode an unknown value")
    nl = "\n" + indent * (_level + 1) if indent is not None else ""
    end = "\n" + indent * _level if indent is not None else ""
    if isinstance(value, list):
        if not value:
            return "[]"
        items = [json_encode(v, indent, sort_keys, _level + 1) for v in value]
        return "[" + nl + ("," + nl).join(items) + end + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        keys = sorted(value) if sort_keys else list(value)
        sep = ": " if indent is not None else ":"
        items = [_go_escape(str(k)) + sep + json_encode(value[k], indent, sort_keys, _level + 1) for k in keys]
        return "{" + nl + ("," + nl).join(items) + end + "}"
    raise EvalError(f"cannot encode a {type_name(value)} value as JSON")


def json_decode(text: str) -> Any:
    import json

    def number(s: str) -> Number:
        return norm_number(Decimal(s))

    try:
        return json.loads(text, parse_float=number, parse_int=int, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise EvalError(f"invalid JSON: {str(exc).splitlines()[0]}") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")
