"""Terraform's built-in functions, with Terraform's results (checked against `terraform console`).

Each function says how unknown arguments behave: "deep" (any unknown anywhere: the result is
unknown), "shallow" (only a wholly unknown argument makes it unknown; elements may be unknown, as in
length() or concat()) or "self" (the function decides, like jsonencode() keeping a partial value).
A name Terraform has but this module does not gives Unknown("function f()"), never an error.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import math
import re
import urllib.parse
import uuid as uuidlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from core import reading
from core.errors import InputError
from policy.hcl.expr import Scope, TemplateVars, evaluate
from policy.hcl.parse import Call, Where, parse_template
from policy.hcl.values import (
    DECIMAL,
    MAX_DIGITS,
    EvalError,
    SetValue,
    first_unknown,
    format_number,
    is_number,
    json_decode,
    json_encode,
    materialize,
    norm_number,
    tf_equal_known,
    to_bool,
    to_number,
    to_string,
    type_name,
    unify_primitives,
    unknown_like,
)
from policy.model import Shape, Unknown, has_unknown


@dataclass(frozen=True)
class Function:
    impl: Callable[..., Any]
    unknowns: str  # deep | shallow | self
    min_args: int
    max_args: int | None  # None: variadic


FUNCTIONS: dict[str, Function] = {}
MAX_COLLECTION = 100_000  # range() and friends: a fuzzed input must not exhaust memory


def fn(name: str, unknowns: str = "deep", min_args: int | None = None, max_args: int | None = -1):
    def register(impl: Callable[..., Any]) -> Callable[..., Any]:
        import inspect

        params = list(inspect.signature(impl).parameters.values())[1:]  # after ctx
        required = sum(1 for p in params if p.default is p.empty and p.kind is p.POSITIONAL_OR_KEYWORD)
        variadic = any(p.kind is p.VAR_POSITIONAL for p in params)
        most = None if variadic else len(params)
        FUNCTIONS[name] = Function(impl, unknowns, required if min_args is None else min_args,
                                   most if max_args == -1 else max_args)
        return impl

    return register


class Ctx:
    """What a function may need beyond its arguments: the working directory, the evaluator."""

    def __init__(self, scope: Scope, where: Where) -> None:
        self.scope = scope
        self.where = where

    def path(self, name: str) -> Path:
        path = Path(name)
        if not path.is_absolute():
            cwd = self.scope.namespace.cwd
            if cwd is None:
                raise EvalError("no working directory to resolve a relative path")
            path = cwd / path
        return path


def call_function(node: Call, scope: Scope) -> Any:
    name = node.name
    if name in ("try", "can"):
        return _try(node, scope) if name == "try" else _can(node, scope)
    func = FUNCTIONS.get(name)
    if func is None:
        # Arguments still evaluated: an undeclared reference inside is an input error all the same.
        for arg in node.args:
            evaluate(arg, scope)
        return Unknown(f"function {name}()")
    args = [materialize(evaluate(arg, scope)) for arg in node.args]
    if node.expand_last:
        if not args:
            raise EvalError("... needs an argument to expand")
        last = args.pop()
        if isinstance(last, Unknown):
            return Unknown(last.reason)
        if not isinstance(last, list):
            raise EvalError(f"cannot expand a {type_name(last)} value as function arguments")
        args.extend(last)
    if len(args) < func.min_args or (func.max_args is not None and len(args) > func.max_args):
        raise EvalError(f"{name}() takes {_arity(func)} arguments, {len(args)} given")
    if func.unknowns == "deep" and any(has_unknown(a) for a in args):
        return unknown_like(*args)
    if func.unknowns == "shallow" and any(isinstance(a, Unknown) for a in args):
        return unknown_like(*[a for a in args if isinstance(a, Unknown)])
    try:
        return func.impl(Ctx(scope, node.where), *args)
    except EvalError as exc:
        raise EvalError(f"{name}(): {exc}") from None
    except (ValueError, TypeError, ArithmeticError, IndexError, KeyError, OverflowError) as exc:
        raise EvalError(f"{name}(): {exc}") from None


def _arity(func: Function) -> str:
    if func.max_args is None:
        return f"at least {func.min_args}"
    if func.max_args == func.min_args:
        return str(func.min_args)
    return f"{func.min_args} to {func.max_args}"


def _try(node: Call, scope: Scope) -> Any:
    if not node.args:
        raise EvalError("try() needs at least one argument")
    last_error = "no argument evaluated without an error"
    for arg in node.args:
        try:
            value = evaluate(arg, scope)
        except EvalError as exc:
            last_error = str(exc)
            continue
        if has_unknown(value):
            # Whether it would fail cannot be known before the plan.
            return unknown_like(value)
        return value
    raise EvalError(f"try(): {last_error}")


def _can(node: Call, scope: Scope) -> Any:
    if len(node.args) != 1:
        raise EvalError("can() takes 1 argument")
    try:
        value = evaluate(node.args[0], scope)
    except EvalError:
        return False
    if has_unknown(value):
        return unknown_like(value)
    return True


# --- helpers -----------------------------------------------------------------------------------


def _list(value: Any, what: str = "a list") -> list[Any]:
    if isinstance(value, list):
        return value
    if value is None:
        raise EvalError(f"{what} is required, got null")
    raise EvalError(f"{what} is required, got {type_name(value)}")


def _map(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    raise EvalError(f"a map is required, got {type_name(value)}")


def _str(value: Any) -> str:
    if isinstance(value, list | dict):
        raise EvalError(f"a string is required, got {type_name(value)}")
    return to_string(value)


def _int(value: Any) -> int:
    number = to_number(value)
    if number != int(number):
        raise EvalError(f"a whole number is required, got {format_number(number)}")
    return int(number)


def _strings(value: Any) -> list[str]:
    return [_str(v) for v in _list(value)]


# --- numbers -----------------------------------------------------------------------------------


@fn("abs")
def _abs(ctx: Ctx, n: Any) -> Any:
    return abs(to_number(n))


@fn("ceil")
def _ceil(ctx: Ctx, n: Any) -> Any:
    return math.ceil(to_number(n))


@fn("floor")
def _floor(ctx: Ctx, n: Any) -> Any:
    return math.floor(to_number(n))


@fn("max", min_args=1)
def _max(ctx: Ctx, *nums: Any) -> Any:
    return max(to_number(n) for n in nums)


@fn("min", min_args=1)
def _min(ctx: Ctx, *nums: Any) -> Any:
    return min(to_number(n) for n in nums)


@fn("pow")
def _pow(ctx: Ctx, a: Any, b: Any) -> Any:
    # Terraform computes pow() in float64, as here (pow(2, 70) is not exact there either).
    return norm_number(math.pow(float(to_number(a)), float(to_number(b))))


@fn("log")
def _log(ctx: Ctx, n: Any, base: Any) -> Any:
    return norm_number(math.log(float(to_number(n)), float(to_number(base))))


@fn("signum")
def _signum(ctx: Ctx, n: Any) -> Any:
    x = to_number(n)
    return (x > 0) - (x < 0)


_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


@fn("parseint")
def _parseint(ctx: Ctx, text: Any, base: Any) -> Any:
    s, b = _str(text), _int(base)
    if not 2 <= b <= 62:
        raise EvalError("base must be a whole number between 2 and 62")
    sign, digits = (-1, s[1:]) if s.startswith("-") else (1, s.removeprefix("+"))
    if not digits or len(digits) > MAX_DIGITS:
        raise EvalError(f"cannot parse {s[:40]!r} as a base {b} integer (at most {MAX_DIGITS} digits)")
    value = 0
    for ch in digits:
        d = _DIGITS.find(ch.lower() if b <= 36 else ch)
        if d < 0 or d >= b:
            raise EvalError(f"cannot parse {s!r} as a base {b} integer")
        value = value * b + d
    return sign * value


# --- strings -----------------------------------------------------------------------------------


@fn("chomp")
def _chomp(ctx: Ctx, s: Any) -> Any:
    return re.sub(r"(?:\r\n|\r|\n)+\Z", "", _str(s))


@fn("indent")
def _indent(ctx: Ctx, n: Any, s: Any) -> Any:
    return _str(s).replace("\n", "\n" + " " * _int(n))


@fn("join", min_args=2, max_args=None)
def _join(ctx: Ctx, sep: Any, *lists: Any) -> Any:
    items: list[str] = []
    for lst in lists:
        for item in _list(lst):
            if item is None:
                raise EvalError("element is null")
            items.append(_str(item))
    return _str(sep).join(items)


def _case(text: str, upper: bool) -> str:
    # Go maps one rune to one rune: "ß" stays "ß" where Python would write "SS".
    out = []
    for ch in text:
        mapped = ch.upper() if upper else ch.lower()
        out.append(mapped if len(mapped) == 1 else ch)
    return "".join(out)


@fn("lower")
def _lower(ctx: Ctx, s: Any) -> Any:
    return _case(_str(s), upper=False)


@fn("upper")
def _upper(ctx: Ctx, s: Any) -> Any:
    return _case(_str(s), upper=True)


def _go_separator(ch: str) -> bool:
    # Go's strings.Title: ASCII letters, digits and _ join a word; other ASCII separates;
    # beyond ASCII, letters and digits join and only spaces separate.
    if ord(ch) <= 0x7F:
        return not (ch.isalnum() or ch == "_")
    if ch.isalpha() or ch.isdigit():
        return False
    return ch.isspace()


@fn("title")
def _title(ctx: Ctx, s: Any) -> Any:
    out, prev = [], " "
    for ch in _str(s):
        out.append(_case(ch, upper=True) if _go_separator(prev) else ch)
        prev = ch
    return "".join(out)


def go_regex(pattern: str) -> re.Pattern[str]:
    """An RE2 pattern in Python's dialect (named groups, \\z and POSIX classes)."""
    classes = {
        "[:alpha:]": "a-zA-Z", "[:digit:]": "0-9", "[:alnum:]": "a-zA-Z0-9", "[:upper:]": "A-Z",
        "[:lower:]": "a-z", "[:space:]": r" \t\r\n\v\f", "[:xdigit:]": "0-9A-Fa-f",
        "[:punct:]": r"!-/:-@\[-`{-~", "[:word:]": r"\w",
    }
    for posix, python in classes.items():
        pattern = pattern.replace(posix, python)
    pattern = pattern.replace(r"\z", r"\Z")
    try:
        return re.compile(pattern)
    except (re.error, RecursionError, OverflowError) as exc:
        raise EvalError(f"invalid regular expression: {exc}") from None


def _go_replacement(template: str, match: re.Match[str]) -> str:
    def group(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name = m.group(1) or m.group(2)
        try:
            value = match.group(int(name)) if name.isdigit() else match.group(name)
        except (IndexError, re.error):
            return ""
        return value or ""

    return re.sub(r"\$\$|\$\{(\w+)\}|\$(\w+)", group, template)


@fn("replace")
def _replace(ctx: Ctx, s: Any, substr: Any, replacement: Any) -> Any:
    text, old, new = _str(s), _str(substr), _str(replacement)
    if len(old) > 1 and old.startswith("/") and old.endswith("/"):
        pattern = go_regex(old[1:-1])
        return pattern.sub(lambda m: _go_replacement(new, m), text)
    return text.replace(old, new)


@fn("split")
def _split(ctx: Ctx, sep: Any, s: Any) -> Any:
    text, separator = _str(s), _str(sep)
    if separator == "":
        return list(text)
    return text.split(separator)


@fn("strrev")
def _strrev(ctx: Ctx, s: Any) -> Any:
    return _str(s)[::-1]


@fn("substr")
def _substr(ctx: Ctx, s: Any, offset: Any, length: Any) -> Any:
    text, start, count = _str(s), _int(offset), _int(length)
    if start < 0:
        start = max(len(text) + start, 0)
    if start > len(text):
        return ""
    if count < 0:
        return text[start:] if count == -1 else text[start : len(text) + count + 1]
    return text[start : start + count]


@fn("trim")
def _trim(ctx: Ctx, s: Any, cutset: Any) -> Any:
    return _str(s).strip(_str(cutset))


@fn("trimprefix")
def _trimprefix(ctx: Ctx, s: Any, prefix: Any) -> Any:
    return _str(s).removeprefix(_str(prefix))


@fn("trimsuffix")
def _trimsuffix(ctx: Ctx, s: Any, suffix: Any) -> Any:
    return _str(s).removesuffix(_str(suffix))


@fn("trimspace")
def _trimspace(ctx: Ctx, s: Any) -> Any:
    return _str(s).strip()


@fn("startswith")
def _startswith(ctx: Ctx, s: Any, prefix: Any) -> Any:
    return _str(s).startswith(_str(prefix))


@fn("endswith")
def _endswith(ctx: Ctx, s: Any, suffix: Any) -> Any:
    return _str(s).endswith(_str(suffix))


@fn("strcontains")
def _strcontains(ctx: Ctx, s: Any, substr: Any) -> Any:
    return _str(substr) in _str(s)


def _match_value(pattern: re.Pattern[str], match: re.Match[str]) -> Any:
    if pattern.groups == 0:
        return match.group(0)
    if pattern.groupindex:
        return {name: match.group(name) for name in pattern.groupindex}
    return list(match.groups())


@fn("regex")
def _regex(ctx: Ctx, pattern: Any, s: Any) -> Any:
    compiled = go_regex(_str(pattern))
    match = compiled.search(_str(s))
    if match is None:
        raise EvalError("pattern did not match any part of the given string")
    return _match_value(compiled, match)


@fn("regexall")
def _regexall(ctx: Ctx, pattern: Any, s: Any) -> Any:
    compiled = go_regex(_str(pattern))
    return [_match_value(compiled, m) for m in compiled.finditer(_str(s))]


# format() and formatlist(): Go's fmt verbs as Terraform exposes them.
_VERB = re.compile(r"%(?:\[(\d+)\])?([-+# 0]*)(\d+)?(?:\.(\d*))?(?:\[(\d+)\])?([a-zA-Z%])")


def _go_float(value: float, verb: str, precision: int | None) -> str:
    """value (not negative) as Go's %e, %f or %g writes it."""
    if verb in "eE":
        text = f"{value:.{6 if precision is None else precision}e}"
    elif verb in "fF":
        text = f"{value:.{6 if precision is None else precision}f}"
    elif precision is not None:
        text = f"{value:.{precision}g}"
    elif value == 0:
        text = "0"
    else:
        # Shortest digits that read back the same; %e form when the exponent is < -4 or >= 6.
        _, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
        assert isinstance(exponent, int)
        nd = len(digits)
        point = nd + exponent
        if point - 1 < -4 or point - 1 >= 6:
            mantissa = str(digits[0]) + ("." + "".join(map(str, digits[1:])) if nd > 1 else "")
            text = f"{mantissa}e{point - 1:+03d}"
        else:
            text = format(Decimal(repr(value)).normalize(), "f")
    text = re.sub(r"e([+-])(\d)$", r"e\g<1>0\2", text)  # Go writes at least two exponent digits
    return text.upper() if verb in "EG" else text


def _format_one(verb: str, flags: str, width: int | None, precision: int | None, value: Any) -> str:
    if verb == "v" and "#" in flags:
        body = json_encode(value)
    elif verb == "v":
        if isinstance(value, list | dict):
            body = json_encode(value)
        elif value is None:
            body = "null"
        else:
            body = to_string(value)
    elif verb == "s":
        body = _str(value)
        if precision is not None:
            body = body[:precision]
    elif verb == "q":
        body = json_encode(_str(value)).replace("\\u003c", "<").replace("\\u003e", ">").replace("\\u0026", "&")
    elif verb == "t":
        body = "true" if to_bool(value) else "false"
    elif verb in "bdoxX":
        if not is_number(value):
            raise EvalError(f'unsupported value for "%{verb}": a number is required')
        number = _int(value)
        spec = {"b": "b", "d": "d", "o": "o", "x": "x", "X": "X"}[verb]
        body = format(abs(number), spec)
        sign = "-" if number < 0 else "+" if "+" in flags else " " if " " in flags else ""
        if "#" in flags and verb in "xXo":
            body = {"x": "0x", "X": "0X", "o": "0"}[verb] + body
        if "0" in flags and "-" not in flags and width is not None:
            body = body.rjust(width - len(sign), "0")
        body = sign + body
    elif verb in "eEfFgG":
        if not is_number(value):
            raise EvalError(f'unsupported value for "%{verb}": a number is required')
        number = float(to_number(value))
        body = _go_float(abs(number), verb, precision)
        sign = "-" if number < 0 else "+" if "+" in flags else " " if " " in flags else ""
        if "0" in flags and "-" not in flags and width is not None:
            body = body.rjust(width - len(sign), "0")
        body = sign + body
    else:
        raise EvalError(f'unsupported format verb "%{verb}"')
    if width is not None and len(body) < width:
        body = body.ljust(width) if "-" in flags else body.rjust(width)
    return body


def _format(spec: str, args: list[Any]) -> str:
    out: list[str] = []
    pos = 0
    next_arg = 0
    for match in _VERB.finditer(spec):
        out.append(spec[pos : match.start()])
        pos = match.end()
        index1, flags, width, precision, index2, verb = match.groups()
        if verb == "%":
            out.append("%")
            continue
        index = index1 or index2
        if index is not None:
            next_arg = int(index) - 1
        if next_arg < 0 or next_arg >= len(args):
            raise EvalError(f"not enough arguments for the format string (verb %{verb})")
        value = args[next_arg]
        next_arg += 1
        prec = None if precision is None else int(precision or 0)
        if int(width or 0) > MAX_COLLECTION or (prec or 0) > MAX_COLLECTION:
            raise EvalError(f"format: a width or precision above {MAX_COLLECTION}")
        out.append(_format_one(verb, flags, int(width) if width else None, prec, value))
    rest = spec[pos:]
    if "%" in rest:
        raise EvalError("unrecognized format verb")
    out.append(rest)
    return "".join(out)


@fn("format", min_args=1, max_args=None)
def _format_fn(ctx: Ctx, spec: Any, *args: Any) -> Any:
    return _format(_str(spec), list(args))


@fn("formatlist", min_args=1, max_args=None)
def _formatlist(ctx: Ctx, spec: Any, *args: Any) -> Any:
    lengths = {len(a) for a in args if isinstance(a, list)}
    if len(lengths) > 1:
        raise EvalError("all list arguments must have the same length")
    count = lengths.pop() if lengths else 1
    return [_format(_str(spec), [a[i] if isinstance(a, list) else a for a in args]) for i in range(count)]


# --- collections -------------------------------------------------------------------------------


@fn("alltrue")
def _alltrue(ctx: Ctx, items: Any) -> Any:
    return all(to_bool(v) for v in _list(items))


@fn("anytrue")
def _anytrue(ctx: Ctx, items: Any) -> Any:
    return any(to_bool(v) for v in _list(items))


@fn("chunklist", unknowns="shallow")
def _chunklist(ctx: Ctx, items: Any, size: Any) -> Any:
    lst, n = _list(items), _int(size)
    if n < 0:
        raise EvalError("the chunk size must not be negative")
    if n == 0:
        return [list(lst)] if lst else []
    return [lst[i : i + n] for i in range(0, len(lst), n)]


@fn("coalesce", unknowns="self", min_args=1, max_args=None)
def _coalesce(ctx: Ctx, *args: Any) -> Any:
    known = [a for a in args if a is not None and not isinstance(a, Unknown)]
    want_string = any(isinstance(a, str) for a in known)
    for arg in args:
        if isinstance(arg, Unknown):
            return Unknown(arg.reason)
        if arg is None or arg == "":
            continue
        if want_string and (isinstance(arg, bool) or is_number(arg)):
            return to_string(arg)
        return arg
    raise EvalError("no non-null, non-empty-string arguments")


@fn("coalescelist", unknowns="shallow", min_args=1, max_args=None)
def _coalescelist(ctx: Ctx, *args: Any) -> Any:
    for arg in args:
        if arg is not None and _list(arg):
            return arg
    raise EvalError("no non-null, non-empty list arguments")


@fn("compact")
def _compact(ctx: Ctx, items: Any) -> Any:
    return [_str(v) for v in _list(items) if v is not None and v != ""]


@fn("concat", unknowns="shallow", min_args=1, max_args=None)
def _concat(ctx: Ctx, *lists: Any) -> Any:
    out: list[Any] = []
    for lst in lists:
        out.extend(_list(lst))
    return out


@fn("contains")
def _contains(ctx: Ctx, items: Any, value: Any) -> Any:
    return any(tf_equal_known(v, value) for v in _list(items))


@fn("distinct")
def _distinct(ctx: Ctx, items: Any) -> Any:
    out: list[Any] = []
    for item in unify_primitives(list(_list(items))):
        if not any(tf_equal_known(item, seen) for seen in out):
            out.append(item)
    return out


@fn("element", unknowns="shallow")
def _element(ctx: Ctx, items: Any, index: Any) -> Any:
    lst = _list(items)
    if isinstance(index, Unknown):
        return Unknown(index.reason)
    i = _int(index)
    if not lst:
        raise EvalError("cannot use element() with an empty list")
    if i < 0:
        raise EvalError("the index must not be negative")
    return lst[i % len(lst)]


def _flatten_into(items: list[Any], out: list[Any]) -> Unknown | None:
    for item in items:
        if isinstance(item, Unknown) and isinstance(item.partial, Shape):
            out.append(item)  # a string not known yet (a template): an element, not a list to flatten
        elif isinstance(item, Unknown):
            return item
        if isinstance(item, list):
            found = _flatten_into(item, out)
            if found is not None:
                return found
        else:
            out.append(item)
    return None


@fn("flatten", unknowns="shallow")
def _flatten(ctx: Ctx, items: Any) -> Any:
    out: list[Any] = []
    found = _flatten_into(_list(items), out)
    return Unknown(found.reason) if found is not None else out


@fn("index")
def _index(ctx: Ctx, items: Any, value: Any) -> Any:
    for i, item in enumerate(_list(items)):
        if tf_equal_known(item, value):
            return i
    raise EvalError("item not found")


@fn("keys", unknowns="shallow")
def _keys(ctx: Ctx, mapping: Any) -> Any:
    return sorted(_map(mapping))


@fn("length", unknowns="shallow")
def _length(ctx: Ctx, value: Any) -> Any:
    if isinstance(value, str | list | dict):
        return len(value)
    if value is None:
        raise EvalError("argument must not be null")
    raise EvalError(f"cannot take the length of a {type_name(value)} value")


@fn("lookup", unknowns="shallow", min_args=2, max_args=3)
def _lookup(ctx: Ctx, mapping: Any, key: Any, *default: Any) -> Any:
    m = _map(mapping)
    if isinstance(key, Unknown):
        return Unknown(key.reason)
    k = _str(key)
    if k in m:
        return m[k]
    if default:
        return default[0]
    raise EvalError(f'the given key "{k}" does not identify an element in this collection value')


@fn("matchkeys")
def _matchkeys(ctx: Ctx, values: Any, keys: Any, searchset: Any) -> Any:
    vals, ks, search = _list(values), _list(keys), _list(searchset)
    if len(vals) != len(ks):
        raise EvalError("length of keys and values should be equal")
    return [v for v, k in zip(vals, ks, strict=True) if any(tf_equal_known(k, s) for s in search)]


@fn("merge", unknowns="shallow", min_args=0, max_args=None)
def _merge(ctx: Ctx, *maps: Any) -> Any:
    out: dict[str, Any] = {}
    for m in maps:
        if m is None:
            continue
        out.update(_map(m))
    return out


@fn("one", unknowns="shallow")
def _one(ctx: Ctx, items: Any) -> Any:
    if items is None:
        return None
    lst = _list(items)
    if len(lst) > 1:
        raise EvalError(f"must be a list, set or tuple of zero or one elements, not {len(lst)}")
    return lst[0] if lst else None


@fn("range", min_args=1, max_args=3)
def _range(ctx: Ctx, *args: Any) -> Any:
    nums = [to_number(a) for a in args]
    start, stop, step = (0, nums[0], 1) if len(nums) == 1 else (nums[0], nums[1], nums[2] if len(nums) == 3 else 1)
    if len(nums) < 3 and stop < start:
        step = -1
    if step == 0:
        raise EvalError("step must not be zero")
    if (step > 0 and start > stop) or (step < 0 and start < stop):
        raise EvalError("the step direction does not match the start and limit")
    out: list[Any] = []
    current: Any = start
    while (step > 0 and current < stop) or (step < 0 and current > stop):
        out.append(norm_number(Decimal(current)) if not isinstance(current, int) else current)
        if len(out) > 1024:
            raise EvalError("more than 1024 elements")
        current = DECIMAL.add(Decimal(current), Decimal(step)) if not isinstance(current + step, int) \
            else current + step
    return out


@fn("reverse", unknowns="shallow")
def _reverse(ctx: Ctx, items: Any) -> Any:
    return list(reversed(_list(items)))


def _as_set(value: Any) -> list[Any]:
    return SetValue.of(unify_primitives(list(_list(value, "a set"))))


@fn("setintersection", min_args=1, max_args=None)
def _setintersection(ctx: Ctx, first: Any, *others: Any) -> Any:
    result = _as_set(first)
    for other in others:
        items = _as_set(other)
        result = [v for v in result if any(tf_equal_known(v, o) for o in items)]
    return SetValue.of(result)


@fn("setsubtract")
def _setsubtract(ctx: Ctx, a: Any, b: Any) -> Any:
    remove = _as_set(b)
    return SetValue.of([v for v in _as_set(a) if not any(tf_equal_known(v, r) for r in remove)])


@fn("setunion", min_args=1, max_args=None)
def _setunion(ctx: Ctx, *sets: Any) -> Any:
    out: list[Any] = []
    for s in sets:
        out.extend(_as_set(s))
    return SetValue.of(unify_primitives(out))


@fn("setproduct", min_args=1, max_args=None)
def _setproduct(ctx: Ctx, *sets: Any) -> Any:
    import itertools

    lists = [list(_list(s)) for s in sets]
    total = math.prod(len(lst) for lst in lists)
    if total > MAX_COLLECTION:
        raise EvalError("the product is too large")
    return [list(combo) for combo in itertools.product(*lists)]


@fn("slice", unknowns="shallow")
def _slice(ctx: Ctx, items: Any, start: Any, end: Any) -> Any:
    lst = _list(items)
    if isinstance(start, Unknown) or isinstance(end, Unknown):
        return unknown_like(start, end)
    s, e = _int(start), _int(end)
    if s < 0 or e > len(lst) or s > e:
        raise EvalError(f"invalid slice [{s}:{e}] of a list of {len(lst)} elements")
    return lst[s:e]


@fn("sort")
def _sort(ctx: Ctx, items: Any) -> Any:
    return sorted(_strings(items))


@fn("sum")
def _sum(ctx: Ctx, items: Any) -> Any:
    lst = _list(items)
    if not lst:
        raise EvalError("cannot sum an empty list")
    total: Any = 0
    for item in lst:
        number = to_number(item)
        total = total + number if isinstance(total, int) and isinstance(number, int) \
            else DECIMAL.add(Decimal(total), Decimal(number))
    return norm_number(total) if isinstance(total, Decimal) else total


@fn("transpose")
def _transpose(ctx: Ctx, mapping: Any) -> Any:
    out: dict[str, list[str]] = {}
    for key in sorted(_map(mapping)):
        for value in _strings(mapping[key]):
            out.setdefault(value, []).append(key)
    return {k: out[k] for k in sorted(out)}


@fn("values", unknowns="shallow")
def _values(ctx: Ctx, mapping: Any) -> Any:
    m = _map(mapping)
    return [m[k] for k in sorted(m)]


@fn("zipmap", unknowns="shallow")
def _zipmap(ctx: Ctx, keys: Any, values: Any) -> Any:
    ks, vs = _list(keys), _list(values)
    if has_unknown(ks):
        return unknown_like(ks)
    if len(ks) != len(vs):
        raise EvalError("the keys and values lists must have the same length")
    return {_str(k): v for k, v in zip(ks, vs, strict=True)}


# --- encoding ----------------------------------------------------------------------------------


@fn("base64encode")
def _base64encode(ctx: Ctx, s: Any) -> Any:
    return base64.b64encode(_str(s).encode()).decode()


@fn("base64decode")
def _base64decode(ctx: Ctx, s: Any) -> Any:
    try:
        return base64.b64decode(_str(s), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        raise EvalError("the string is not valid base64 of UTF-8 text") from None


@fn("jsonencode", unknowns="self")
def _jsonencode(ctx: Ctx, value: Any) -> Any:
    if has_unknown(value):
        inner = first_unknown(value)
        reason = f"jsonencode: {inner.reason}" if inner is not None and inner.reason else "jsonencode"
        return Unknown(reason, partial=value)
    return json_encode(value)


@fn("jsondecode", unknowns="self")
def _jsondecode(ctx: Ctx, text: Any) -> Any:
    if isinstance(text, Unknown):
        # jsondecode(jsonencode(x)) keeps what is known of x.
        return Unknown(text.reason, partial=text.partial)
    return json_decode(_str(text))


def _yaml_scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if is_number(value):
        return format_number(value)
    return json_encode(value).replace("\\u003c", "<").replace("\\u003e", ">").replace("\\u0026", "&")


def _yaml_block(value: Any, indent: int) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key in sorted(value):
            item = value[key]
            head = f"{pad}{_yaml_scalar(str(key))}:"
            lines.extend(_yaml_entry(head, item, indent, in_map=True))
    else:
        for item in value:
            lines.extend(_yaml_entry(f"{pad}-", item, indent, in_map=False))
    return lines


def _yaml_entry(head: str, item: Any, indent: int, in_map: bool) -> list[str]:
    if isinstance(item, dict | list) and item:
        if in_map and isinstance(item, dict):
            return [head, *_yaml_block(item, indent + 2)]
        if in_map:
            return [head, *_yaml_block(item, indent)]
        inner = _yaml_block(item, indent + 2)
        return [head + " " + inner[0].lstrip(), *inner[1:]]
    if isinstance(item, dict):
        return [head + " {}"]
    if isinstance(item, list):
        return [head + " []"]
    if isinstance(item, str) and "\n" in item.rstrip("\n") and not item.startswith(" "):
        chomp = "" if item.endswith("\n") else "-"
        body = item[:-1] if item.endswith("\n") else item
        child = " " * (indent + 2)
        return [f"{head} |{chomp}", *[(child + ln) if ln else "" for ln in body.split("\n")]]
    return [f"{head} {_yaml_scalar(item)}"]


@fn("yamlencode", unknowns="self")
def _yamlencode(ctx: Ctx, value: Any) -> Any:
    if has_unknown(value):
        inner = first_unknown(value)
        reason = f"yamlencode: {inner.reason}" if inner is not None and inner.reason else "yamlencode"
        return Unknown(reason, partial=value)
    if isinstance(value, dict | list) and value:
        return "\n".join(_yaml_block(value, 0)) + "\n"
    if isinstance(value, dict):
        return "{}\n"
    if isinstance(value, list):
        return "[]\n"
    if isinstance(value, str):
        return _yaml_scalar(value) + "\n"
    return _yaml_scalar(value) + "\n...\n"


@fn("yamldecode")
def _yamldecode(ctx: Ctx, text: Any) -> Any:
    from policy.hcl.yamlload import yaml_decode

    return yaml_decode(_str(text))


@fn("csvdecode")
def _csvdecode(ctx: Ctx, text: Any) -> Any:
    import csv
    import io

    rows = list(csv.reader(io.StringIO(_str(text))))
    if not rows:
        return []
    header, *body = rows
    for row in body:
        if len(row) != len(header):
            raise EvalError("the number of fields differs from the header")
    return [dict(zip(header, row, strict=True)) for row in body]


@fn("urlencode")
def _urlencode(ctx: Ctx, s: Any) -> Any:
    return urllib.parse.quote_plus(_str(s), safe="-_.~")


@fn("textencodebase64")
def _textencodebase64(ctx: Ctx, s: Any, encoding: Any) -> Any:
    try:
        return base64.b64encode(_str(s).encode(_str(encoding))).decode()
    except LookupError:
        raise EvalError(f"unsupported encoding {encoding!r}") from None


# --- type conversion ---------------------------------------------------------------------------


@fn("tobool", unknowns="shallow")
def _tobool(ctx: Ctx, value: Any) -> Any:
    return None if value is None else to_bool(value)


@fn("tonumber", unknowns="shallow")
def _tonumber(ctx: Ctx, value: Any) -> Any:
    return None if value is None else to_number(value)


@fn("tostring", unknowns="pass")
def _tostring(ctx: Ctx, value: Any) -> Any:
    if isinstance(value, Unknown):
        return value  # the same string once known: what is known of it already (a policy's partial) stays
    return None if value is None else _str(value)


@fn("tolist", unknowns="shallow")
def _tolist(ctx: Ctx, value: Any) -> Any:
    return None if value is None else unify_primitives(list(_list(value)))


@fn("toset", unknowns="deep")
def _toset(ctx: Ctx, value: Any) -> Any:
    return None if value is None else _as_set(value)


@fn("tomap", unknowns="shallow")
def _tomap(ctx: Ctx, value: Any) -> Any:
    if value is None:
        return None
    m = _map(value)
    keys = list(m)
    return dict(zip(keys, unify_primitives([m[k] for k in keys]), strict=True))


@fn("type", unknowns="shallow")
def _type(ctx: Ctx, value: Any) -> Any:
    return type_name(value)


@fn("sensitive", unknowns="shallow")
def _sensitive(ctx: Ctx, value: Any) -> Any:
    return value


@fn("nonsensitive", unknowns="shallow")
def _nonsensitive(ctx: Ctx, value: Any) -> Any:
    return value


@fn("issensitive", unknowns="shallow")
def _issensitive(ctx: Ctx, value: Any) -> Any:
    return False


@fn("ephemeralasnull", unknowns="shallow")
def _ephemeralasnull(ctx: Ctx, value: Any) -> Any:
    return value


# --- network -----------------------------------------------------------------------------------


def _network(prefix: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(_str(prefix), strict=False)
    except ValueError:
        raise EvalError(f"invalid CIDR address {prefix!r}") from None


@fn("cidrhost")
def _cidrhost(ctx: Ctx, prefix: Any, hostnum: Any) -> Any:
    net, n = _network(prefix), _int(hostnum)
    size = net.num_addresses
    if n < 0:
        n += size
    if not 0 <= n < size:
        raise EvalError(f"prefix {net} has no host number {hostnum}")
    return str(net.network_address + n)


@fn("cidrnetmask")
def _cidrnetmask(ctx: Ctx, prefix: Any) -> Any:
    net = _network(prefix)
    if net.version != 4:
        raise EvalError("only IPv4 networks have a netmask")
    return str(net.netmask)


def _subnet(net: Any, newbits: int, netnum: int) -> Any:
    new_prefix = net.prefixlen + newbits
    if newbits < 0 or new_prefix > net.max_prefixlen:
        raise EvalError(f"insufficient address space to extend prefix of {net.prefixlen} by {newbits}")
    if netnum < 0 or netnum >= 1 << newbits:
        raise EvalError(f"prefix extension of {newbits} does not accommodate a subnet numbered {netnum}")
    base = int(net.network_address) + (netnum << (net.max_prefixlen - new_prefix))
    return ipaddress.ip_network((base, new_prefix))


@fn("cidrsubnet")
def _cidrsubnet(ctx: Ctx, prefix: Any, newbits: Any, netnum: Any) -> Any:
    return str(_subnet(_network(prefix), _int(newbits), _int(netnum)))


@fn("cidrsubnets", min_args=1, max_args=None)
def _cidrsubnets(ctx: Ctx, prefix: Any, *newbits: Any) -> Any:
    # go-cidr's NextSubnet walk, as Terraform does: each subnet starts after the previous one,
    # aligned up to its own size.
    net = _network(prefix)
    bits = [_int(b) for b in newbits]
    out: list[str] = []
    width = net.max_prefixlen
    cursor = int(net.network_address)  # first free address
    end = int(net.broadcast_address)
    for b in bits:
        length = net.prefixlen + b
        if b < 1 or length > width:
            raise EvalError(f"would extend prefix to {length} bits, which is too long for this address")
        size = 1 << (width - length)
        start = -(-cursor // size) * size
        if start + size - 1 > end:
            raise EvalError(f"not enough remaining address space for a subnet with a prefix of {length} bits")
        out.append(str(ipaddress.ip_network((start, length))))
        cursor = start + size
    return out


# --- files -------------------------------------------------------------------------------------


def _read(ctx: Ctx, name: Any) -> str:
    path = ctx.path(_str(name))
    if not path.exists():
        raise EvalError(f"no file exists at {name!r}")
    try:
        return reading.read_bytes(path, "file").decode("utf-8")
    except InputError as exc:
        raise EvalError(str(exc)) from None
    except UnicodeDecodeError:
        raise EvalError(f"contents of {name!r} are not valid UTF-8") from None


@fn("file")
def _file(ctx: Ctx, name: Any) -> Any:
    return _read(ctx, name)


@fn("filebase64")
def _filebase64(ctx: Ctx, name: Any) -> Any:
    try:
        return base64.b64encode(ctx.path(_str(name)).read_bytes()).decode()
    except OSError as exc:
        raise EvalError(f"cannot read {name!r}: {exc.strerror or exc}") from None


@fn("fileexists")
def _fileexists(ctx: Ctx, name: Any) -> Any:
    path = ctx.path(_str(name))
    if path.is_dir():
        raise EvalError(f"{name!r} is a directory, not a file")
    return path.is_file()


@fn("templatefile")
def _templatefile(ctx: Ctx, name: Any, variables: Any) -> Any:
    text = _read(ctx, name)
    symbols = _map(variables)
    node = parse_template(text, Where(str(name), 1, 1))
    namespace = TemplateVars(ctx.scope.namespace.cwd)
    return evaluate(node, Scope(namespace, dict(symbols)))


@fn("basename")
def _basename(ctx: Ctx, path: Any) -> Any:
    return Path(_str(path)).name


@fn("dirname")
def _dirname(ctx: Ctx, path: Any) -> Any:
    parent = str(Path(_str(path)).parent)
    return parent


@fn("abspath")
def _abspath(ctx: Ctx, path: Any) -> Any:
    return str(ctx.path(_str(path)).absolute())


# --- hashes and unknowable values --------------------------------------------------------------


def _hash(name: str) -> Callable[[Ctx, Any], Any]:
    def digest(ctx: Ctx, s: Any) -> Any:
        return hashlib.new(name, _str(s).encode()).hexdigest()

    return digest


for _name in ("md5", "sha1", "sha256", "sha512"):
    fn(_name)(_hash(_name))


@fn("base64sha256")
def _base64sha256(ctx: Ctx, s: Any) -> Any:
    return base64.b64encode(hashlib.sha256(_str(s).encode()).digest()).decode()


@fn("base64sha512")
def _base64sha512(ctx: Ctx, s: Any) -> Any:
    return base64.b64encode(hashlib.sha512(_str(s).encode()).digest()).decode()


@fn("uuidv5")
def _uuidv5(ctx: Ctx, namespace: Any, name: Any) -> Any:
    spaces = {"dns": uuidlib.NAMESPACE_DNS, "url": uuidlib.NAMESPACE_URL, "oid": uuidlib.NAMESPACE_OID,
              "x500": uuidlib.NAMESPACE_X500}
    ns = _str(namespace)
    try:
        space = spaces.get(ns) or uuidlib.UUID(ns)
    except ValueError:
        raise EvalError(f"invalid namespace {ns!r}") from None
    return str(uuidlib.uuid5(space, _str(name)))


def _unknowable(name: str) -> Callable[..., Any]:
    def impl(ctx: Ctx, *args: Any) -> Any:
        return Unknown(f"{name}() is only known at apply")

    return impl


for _name in ("uuid", "timestamp", "bcrypt", "plantimestamp"):
    FUNCTIONS[_name] = Function(_unknowable(_name), "self", 0, None)

