"""GitHub Actions expressions (`${{ ... }}` and `if:`), evaluated as GitHub does, for the simulator.

Literals (strings in single quotes, numbers, true, false, null), context paths (`github.ref`,
`needs.build.outputs.digest`, `inputs['x']`), `!`, `==`, `!=`, `<`, `<=`, `>`, `>=`, `&&`, `||`
(which return an operand, not a boolean), parentheses, and the functions contains, startsWith,
endsWith, format, join, toJSON, fromJSON and the status functions, which the caller supplies.
String comparisons ignore case, as GitHub's do. A missing property is null.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from core.errors import InfraError

TOKEN = re.compile(r"""
    \s*(?:
      (?P<string>'(?:[^']|'')*')
    | (?P<number>-?\d+(?:\.\d+)?)
    | (?P<op>==|!=|<=|>=|&&|\|\||[!<>()\[\],.*])
    | (?P<name>[A-Za-z_][A-Za-z0-9_\-]*)
    )""", re.VERBOSE)
STATUS = ("success", "failure", "always", "cancelled")


def tokens(text: str) -> list[tuple[str, str]]:
    out, pos, text = [], 0, text.strip()
    while pos < len(text):
        match = TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise InfraError(f"expression '{text}': cannot read it from '{text[pos:]}'")
        kind = match.lastgroup
        out.append((kind, match.group(kind)))
        pos = match.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


def unwrap(text: str) -> str:
    text = str(text).strip()
    if text.startswith("${{") and text.endswith("}}"):
        return text[3:-2]
    return text


def truthy(value: Any) -> bool:
    return value not in (None, False, 0, "") and value == value


def _coerce(value: Any) -> Any:
    """GitHub compares values of different types as numbers."""
    if value is None:
        return 0
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, str):
        try:
            return float(value) if value.strip() else 0
        except ValueError:
            return float("nan")
    return value


def equal(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()
    if type(a) is type(b) or (isinstance(a, (int, float)) and isinstance(b, (int, float))):
        return a == b
    return _coerce(a) == _coerce(b)


class Evaluator:
    def __init__(self, contexts: dict[str, Any], functions: dict[str, Callable[..., Any]] | None = None):
        self.contexts = contexts
        self.functions = {
            "contains": self._contains,
            "startswith": lambda a, b: str(a or "").lower().startswith(str(b or "").lower()),
            "endswith": lambda a, b: str(a or "").lower().endswith(str(b or "").lower()),
            "format": self._format,
            "join": lambda a, sep=",": sep.join(map(str, a)) if isinstance(a, list) else str(a),
            "tojson": lambda a: json.dumps(a, indent=2),
            "fromjson": lambda a: json.loads(a),
            **{k.lower(): v for k, v in (functions or {}).items()},
        }

    @staticmethod
    def _contains(haystack: Any, needle: Any) -> bool:
        if isinstance(haystack, list):
            return any(equal(item, needle) for item in haystack)
        return str("" if needle is None else needle).lower() in str("" if haystack is None else haystack).lower()

    @staticmethod
    def _format(template: str, *args: Any) -> str:
        return re.sub(r"\{(\d+)\}", lambda m: str(args[int(m.group(1))]), template.replace("{{", "\0").replace(
            "}}", "\1")).replace("\0", "{").replace("\1", "}")

    def evaluate(self, text: str) -> Any:
        self.toks, self.i, self.text = tokens(unwrap(text)), 0, text
        if not self.toks:
            raise InfraError(f"expression '{text}' is empty")
        value = self._or()
        if self.i != len(self.toks):
            raise InfraError(f"expression '{text}': unexpected '{self.toks[self.i][1]}'")
        return value

    # --- the grammar, loosest binding first --------------------------------------------------------

    def _peek(self, value: str | None = None) -> bool:
        return self.i < len(self.toks) and (value is None or self.toks[self.i] == ("op", value))

    def _take(self, value: str) -> None:
        if not self._peek(value):
            got = self.toks[self.i][1] if self.i < len(self.toks) else "the end"
            raise InfraError(f"expression '{self.text}': expected '{value}', found {got}")
        self.i += 1

    def _or(self) -> Any:
        value = self._and()
        while self._peek("||"):
            self.i += 1
            right = self._and()
            value = value if truthy(value) else right
        return value

    def _and(self) -> Any:
        value = self._not()
        while self._peek("&&"):
            self.i += 1
            right = self._not()
            value = right if truthy(value) else value
        return value

    def _not(self) -> Any:
        if self._peek("!"):
            self.i += 1
            return not truthy(self._not())
        return self._compare()

    def _compare(self) -> Any:
        left = self._primary()
        for op in ("==", "!=", "<=", ">=", "<", ">"):
            if self._peek(op):
                self.i += 1
                right = self._primary()
                if op == "==":
                    return equal(left, right)
                if op == "!=":
                    return not equal(left, right)
                a, b = _coerce(left), _coerce(right)
                return {"<=": a <= b, ">=": a >= b, "<": a < b, ">": a > b}[op]
        return left

    def _primary(self) -> Any:
        if self.i >= len(self.toks):
            raise InfraError(f"expression '{self.text}' ends too early")
        kind, value = self.toks[self.i]
        self.i += 1
        if kind == "string":
            return value[1:-1].replace("''", "'")
        if kind == "number":
            return float(value) if "." in value else int(value)
        if kind == "op" and value == "(":
            inner = self._or()
            self._take(")")
            return inner
        if kind != "name":
            raise InfraError(f"expression '{self.text}': unexpected '{value}'")
        if value in ("true", "false"):
            return value == "true"
        if value == "null":
            return None
        if self._peek("("):
            return self._call(value)
        return self._path(self.contexts.get(value))

    def _call(self, name: str) -> Any:
        self._take("(")
        args = []
        while not self._peek(")"):
            args.append(self._or())
            if not self._peek(")"):
                self._take(",")
        self._take(")")
        func = self.functions.get(name.lower())
        if func is None:
            raise InfraError(f"expression '{self.text}': unknown function {name}()")
        return func(*args)

    def _path(self, value: Any) -> Any:
        while self._peek(".") or self._peek("["):
            if self._peek("."):
                self.i += 1
                key = self.toks[self.i][1]
                self.i += 1
                if key == "*":
                    value = list(value.values()) if isinstance(value, dict) else value
                    continue
                value = value.get(key) if isinstance(value, dict) else None
            else:
                self.i += 1
                key = self._or()
                self._take("]")
                value = value.get(key) if isinstance(value, dict) else (
                    value[key] if isinstance(value, list) and isinstance(key, int) and key < len(value) else None)
        return value


EMBEDDED = re.compile(r"\$\{\{(.*?)\}\}", re.S)


def interpolate(evaluator: Evaluator, value: Any) -> Any:
    """A workflow value: `${{ x }}` alone gives x's value; text with several is a string; other text is itself."""
    if not isinstance(value, str):
        return value
    found = list(EMBEDDED.finditer(value.strip()))
    if len(found) == 1 and found[0].span() == (0, len(value.strip())):  # not "${{ a }}-${{ b }}"
        return evaluator.evaluate(found[0].group(1))
    return EMBEDDED.sub(lambda m: _text(evaluator.evaluate(m.group(1))), value)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def uses_status_function(text: str) -> bool:
    return any(kind == "name" and value.lower() in STATUS for kind, value in tokens(unwrap(text)))
