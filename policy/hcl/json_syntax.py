"""`.tf.json` files (HCL's JSON syntax) read into the same blocks and expressions as `.tf` files.

What a JSON value means depends on where it stands, as in Terraform:
- block types nest their labels as object keys (`resource` -> type -> name -> body), and any level
  may be an array of objects; a `"//"` key is a comment;
- in a body, a key is a nested block when the provider's schema (`provider_blocks`) or Terraform's
  meta-arguments say so, an argument otherwise;
- strings are templates (`"${var.x}"`), except where Terraform reads an expression or a type
  (`type`, `depends_on`, `provider`, `providers`, `ignore_changes`, `replace_triggered_by`,
  `iterator`), and a variable's `default` is a literal value.

Positions (line and column) are kept for messages, which the standard `json` module does not give:
the scanner below uses its string decoder and number pattern, and adds only the positions.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from decimal import Decimal
from json.decoder import scanstring
from json.scanner import NUMBER_RE
from pathlib import Path
from typing import Any

from core import reading
from policy.hcl import provider_blocks
from policy.hcl.parse import (
    Attribute,
    Block,
    Body,
    Literal,
    Node,
    ObjectExpr,
    ParsedFile,
    TupleExpr,
    Where,
    input_error,
    parse_expression,
    parse_template,
)
from policy.hcl.values import EvalError, norm_number
from policy.model import PolicyInputError

_SPACE = re.compile(r"[ \t\n\r]*")


@dataclass(slots=True)
class J:
    """A JSON value and where it starts: `value` is a list of (key, key position, J) for an object,
    a list of J for an array, the scalar otherwise."""

    kind: str  # object | array | string | number | bool | null
    value: Any
    pos: int


class _Scanner:
    def __init__(self, text: str, shown: str) -> None:
        self.text = text
        self.shown = shown
        self.newlines = [m.start() for m in re.finditer("\n", text)]
        self.depth_limit = reading.Limits.current().depth

    def where(self, pos: int) -> Where:
        line = bisect.bisect_left(self.newlines, pos)
        start = self.newlines[line - 1] + 1 if line else 0
        return Where(self.shown, line + 1, pos - start + 1)

    def fail(self, pos: int, message: str) -> PolicyInputError:
        return input_error(self.where(pos), f"{message} (in a .tf.json file)")

    def skip(self, pos: int) -> int:
        return _SPACE.match(self.text, pos).end()

    def document(self) -> J:
        pos = self.skip(0)
        value, pos = self.value(pos, 0)
        pos = self.skip(pos)
        if pos != len(self.text):
            raise self.fail(pos, "extra data after the JSON document")
        return value

    def value(self, pos: int, depth: int) -> tuple[J, int]:
        if depth > self.depth_limit:
            raise self.fail(pos, f"nested deeper than {self.depth_limit} levels (INFRA_MAX_INPUT_DEPTH)")
        text = self.text
        char = text[pos : pos + 1]
        if char == '"':
            return self.string(pos)
        if char == "{":
            return self.object(pos, depth)
        if char == "[":
            return self.array(pos, depth)
        for word, constant in (("true", True), ("false", False), ("null", None)):
            if text.startswith(word, pos):
                return J("null" if constant is None else "bool", constant, pos), pos + len(word)
        match = NUMBER_RE.match(text, pos)
        if match and match.group(0):
            try:
                number = norm_number(Decimal(match.group(0)))
            except EvalError as exc:
                raise self.fail(pos, str(exc)) from None
            return J("number", number, pos), match.end()
        if not char:
            raise self.fail(pos, "unexpected end of file")
        raise self.fail(pos, f"expected a JSON value, found {char!r}")

    def string(self, pos: int) -> tuple[J, int]:
        try:
            text, end = scanstring(self.text, pos + 1, True)
        except ValueError as exc:
            raise self.fail(pos, str(exc).split(":")[0].lower()) from None
        if any("\ud800" <= c <= "\udfff" for c in text):
            raise self.fail(pos, "a string holds a lone surrogate escape")
        return J("string", text, pos), end

    def object(self, start: int, depth: int) -> tuple[J, int]:
        pairs: list[tuple[str, int, J]] = []
        pos = self.skip(start + 1)
        if self.text.startswith("}", pos):
            return J("object", pairs, start), pos + 1
        while True:
            if not self.text.startswith('"', pos):
                raise self.fail(pos, "expected a property name in double quotes")
            key, pos = self.string(pos)
            pos = self.skip(pos)
            if not self.text.startswith(":", pos):
                raise self.fail(pos, "expected ':' after a property name")
            value, pos = self.value(self.skip(pos + 1), depth + 1)
            pairs.append((key.value, key.pos, value))
            pos = self.skip(pos)
            if self.text.startswith("}", pos):
                return J("object", pairs, start), pos + 1
            if not self.text.startswith(",", pos):
                raise self.fail(pos, "expected ',' or '}'")
            pos = self.skip(pos + 1)

    def array(self, start: int, depth: int) -> tuple[J, int]:
        items: list[J] = []
        pos = self.skip(start + 1)
        if self.text.startswith("]", pos):
            return J("array", items, start), pos + 1
        while True:
            value, pos = self.value(pos, depth + 1)
            items.append(value)
            pos = self.skip(pos)
            if self.text.startswith("]", pos):
                return J("array", items, start), pos + 1
            if not self.text.startswith(",", pos):
                raise self.fail(pos, "expected ',' or ']'")
            pos = self.skip(pos + 1)


# --- what the keys mean --------------------------------------------------------------------------

# Top-level block types: how many labels each nests as object keys (Terraform's file schema).
_LABELS = {"resource": 2, "data": 2, "ephemeral": 2, "module": 1, "variable": 1, "output": 1, "provider": 1,
           "check": 1, "locals": 0, "terraform": 0, "moved": 0, "import": 0, "removed": 0}


@dataclass(frozen=True)
class _Kind:
    """How one kind of body reads its keys."""

    blocks: dict[str, tuple[int, _Kind | None]]  # nested block name -> (labels, its kind; None: from `shape`)
    expressions: frozenset[str] = frozenset()  # strings read as expressions, not templates
    literals: frozenset[str] = frozenset()  # values read as literal JSON (no templates)
    dynamic: bool = False  # `dynamic` blocks generate this body's nested blocks


_PLAIN = _Kind({})
_CONDITION = _Kind({})
_LIFECYCLE = _Kind({"precondition": (0, _CONDITION), "postcondition": (0, _CONDITION)},
                   frozenset({"ignore_changes", "replace_triggered_by"}))
_CONNECTION = _Kind({})
_PROVISIONER = _Kind({"connection": (0, _CONNECTION)})
_RESOURCE_META = {"lifecycle": (0, _LIFECYCLE), "connection": (0, _CONNECTION), "provisioner": (1, _PROVISIONER)}
_RESOURCE = _Kind(dict(_RESOURCE_META), frozenset({"depends_on", "provider"}), dynamic=True)
_NESTED = _Kind({}, dynamic=True)  # a schema block's body: its nested blocks come from the shape
_PROVIDER = _Kind({}, dynamic=True)
_TOP = {
    "variable": _Kind({"validation": (0, _CONDITION)}, frozenset({"type"}), frozenset({"default"})),
    "output": _Kind({"precondition": (0, _CONDITION)}, frozenset({"depends_on"})),
    "module": _Kind({}, frozenset({"depends_on", "providers"})),
    "locals": _PLAIN,
    "check": _Kind({"assert": (0, _CONDITION), "data": (2, _RESOURCE)}),
    "terraform": _Kind({"required_providers": (0, _PLAIN), "backend": (1, _PLAIN), "cloud": (0, _Kind(
        {"workspaces": (0, _PLAIN)})), "provider_meta": (1, _PLAIN)}),
    "moved": _Kind({}, frozenset({"from", "to"})),
    "import": _Kind({}, frozenset({"to", "provider"})),
    "removed": _Kind({"lifecycle": (0, _PLAIN)}, frozenset({"from"})),
}


class _Reader:
    def __init__(self, scanner: _Scanner, path: Path) -> None:
        self.scanner = scanner
        self.path = path

    def where(self, pos: int) -> Where:
        return self.scanner.where(pos)

    # blocks

    def labelled(self, btype: str, value: J, labels: int, at: int, make: Any) -> list[Block]:
        """The blocks under `"btype": value`, `labels` levels of object keys deep, each body given
        to `make(labels, body J)`."""
        out: list[Block] = []

        def walk(node: J, names: tuple[str, ...], pos: int) -> None:
            if node.kind == "array":
                for item in node.value:
                    walk(item, names, item.pos)
                return
            if node.kind != "object":
                raise input_error(self.where(node.pos), f'a "{btype}" block must be a JSON object, not {_a(node)}')
            if len(names) == labels:
                out.append(make(names, node, pos))
                return
            for key, key_pos, child in node.value:
                if key == "//":
                    continue
                walk(child, (*names, key), key_pos)

        walk(value, (), at)
        return out

    def block(self, btype: str, labels: tuple[str, ...], node: J, pos: int, kind: _Kind,
              shape: provider_blocks.Shape | None) -> Block:
        return Block(btype, labels, self.body(node, kind, shape), self.where(pos), self.path)

    def body(self, node: J, kind: _Kind, shape: provider_blocks.Shape | None) -> Body:
        body = Body()
        for key, pos, value in node.value:
            if key == "//":
                continue
            if key == "dynamic" and kind.dynamic:
                body.blocks += self.labelled(key, value, 1, pos, lambda names, n, at: self.dynamic(
                    names, n, at, shape or provider_blocks.NO_BLOCKS))
            elif key in kind.blocks:
                labels, inner = kind.blocks[key]
                body.blocks += self.labelled(key, value, labels, pos,
                                             lambda names, n, at, k=key, i=inner: self.block(k, names, n, at, i, None))
            elif shape is not None and key in shape:
                sub = shape[key]
                body.blocks += self.labelled(key, value, 0, pos,
                                             lambda names, n, at, k=key, s=sub: self.block(k, names, n, at, _NESTED, s))
            else:
                if key in body.attributes:
                    raise input_error(self.where(pos), f'attribute "{key}" is defined twice')
                mode = "expression" if key in kind.expressions else "literal" if key in kind.literals else "template"
                body.attributes[key] = Attribute(key, self.expr(value, mode), self.where(pos))
        return body

    def dynamic(self, names: tuple[str, ...], node: J, pos: int, shape: provider_blocks.Shape) -> Block:
        (target,) = names
        inner = shape.get(target, provider_blocks.NO_BLOCKS)
        kind = _Kind({}, frozenset({"iterator"}))
        body = self.body(_without(node, "content"), kind, None)
        for key, key_pos, value in node.value:
            if key == "content":
                body.blocks += self.labelled("content", value, 0, key_pos,
                                             lambda _n, n, at: self.block("content", (), n, at, _NESTED, inner))
        return Block("dynamic", names, body, self.where(pos), self.path)

    # expressions

    def expr(self, node: J, mode: str) -> Node:
        where = self.where(node.pos)
        if node.kind == "string":
            if mode == "expression":
                return parse_expression(node.value, where)
            if mode == "literal":
                return Literal(where, node.value)
            return parse_template(node.value, where)
        if node.kind == "array":
            return TupleExpr(where, tuple(self.expr(item, mode) for item in node.value))
        if node.kind == "object":
            items = []
            for key, pos, value in node.value:
                key_where = self.where(pos)
                key_node = (Literal(key_where, key) if mode == "literal" else
                            parse_expression(key, key_where) if mode == "expression" else
                            parse_template(key, key_where))
                items.append((key_node, self.expr(value, mode)))
            return ObjectExpr(where, tuple(items))
        return Literal(where, node.value)


def _a(node: J) -> str:
    return {"array": "an array", "object": "an object"}.get(node.kind, f"a {node.kind}")


def _without(node: J, key: str) -> J:
    return J(node.kind, [p for p in node.value if p[0] != key], node.pos)


def parse_json_file(path: Path, shown: str) -> ParsedFile:
    """A `.tf.json` file's top-level blocks, as `parse.parse_file` gives a `.tf` file's."""
    scanner = _Scanner(reading.read_text(path, "Terraform JSON file", name=shown), shown)
    root = scanner.document()
    if root.kind != "object":
        raise scanner.fail(root.pos, f"a .tf.json file must hold a JSON object, not {_a(root)}")
    reader = _Reader(scanner, path)
    blocks: list[Block] = []
    for btype, pos, value in root.value:
        if btype == "//":
            continue
        if btype not in _LABELS:
            raise input_error(scanner.where(pos), f'unsupported block type "{btype}"')
        labels = _LABELS[btype]

        def make(names: tuple[str, ...], node: J, at: int, btype: str = btype) -> Block:
            if btype in ("resource", "data", "ephemeral"):
                shape = provider_blocks.shape_of(btype, names[0])
                return reader.block(btype, names, node, at, _RESOURCE, shape)
            if btype == "provider":
                return reader.block(btype, names, node, at, _PROVIDER, provider_blocks.shape_of("provider", names[0]))
            return reader.block(btype, names, node, at, _TOP[btype], None)

        blocks += reader.labelled(btype, value, labels, pos, make)
    return ParsedFile(path, tuple(blocks), {})
