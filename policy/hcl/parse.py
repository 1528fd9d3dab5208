"""HCL files to blocks and compiled expressions, with file:line:col kept for every node.

python-hcl2's Lark grammar parses the text (`hcl2.parses_to_tree`); its concrete syntax tree is
compiled once into the small immutable node classes below, which the evaluator walks. Parsed files
are cached by (path, mtime, size), so the three env roots, which share every module, parse each
module file once per process.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import hcl2
from lark import Token, Tree
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from core import reading
from policy.hcl.values import EvalError, norm_number
from policy.model import PolicyInputError

# --- positions ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Where:
    file: str  # as shown in messages (relative to the repository when known)
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


def input_error(where: Where | str, message: str) -> PolicyInputError:
    return PolicyInputError(f"{where}: {message}")


# --- expression nodes --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Node:
    where: Where


@dataclass(frozen=True, slots=True)
class Literal(Node):
    value: Any


@dataclass(frozen=True, slots=True)
class Interp(Node):
    expr: Node


@dataclass(frozen=True, slots=True)
class IfDirective(Node):
    cond: Node
    then: tuple[Any, ...]  # template parts
    otherwise: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class ForDirective(Node):
    key_var: str | None
    value_var: str
    collection: Node
    body: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Template(Node):
    parts: tuple[Any, ...]  # str | Interp | IfDirective | ForDirective


@dataclass(frozen=True, slots=True)
class TupleExpr(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class ObjectExpr(Node):
    items: tuple[tuple[Node, Node], ...]  # key node (a Literal for bare names), value node


@dataclass(frozen=True, slots=True)
class Traversal(Node):
    """A root name and static steps: var.x, aws_s3_bucket.b[0].arn, each.value.port."""

    root: str
    steps: tuple[tuple[str, Any], ...]  # ("attr", name) | ("index", Node)


@dataclass(frozen=True, slots=True)
class GetAttr(Node):
    obj: Node
    name: str


@dataclass(frozen=True, slots=True)
class Index(Node):
    obj: Node
    key: Node


@dataclass(frozen=True, slots=True)
class Splat(Node):
    source: Node
    steps: tuple[tuple[str, Any], ...]  # applied to every element


@dataclass(frozen=True, slots=True)
class Call(Node):
    name: str
    args: tuple[Node, ...]
    expand_last: bool


@dataclass(frozen=True, slots=True)
class Conditional(Node):
    cond: Node
    then: Node
    otherwise: Node


@dataclass(frozen=True, slots=True)
class BinaryOp(Node):
    op: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class UnaryOp(Node):
    op: str
    operand: Node


@dataclass(frozen=True, slots=True)
class ForExpr(Node):
    key_var: str | None
    value_var: str
    collection: Node
    key: Node | None  # None for a tuple result
    value: Node
    cond: Node | None
    group: bool


# --- bodies ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Attribute:
    name: str
    expr: Node
    where: Where


@dataclass(slots=True)
class Body:
    attributes: dict[str, Attribute] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)


@dataclass(slots=True)
class Block:
    type: str
    labels: tuple[str, ...]
    body: Body
    where: Where
    path: Path  # the file it was read from


@dataclass(frozen=True, slots=True)
class ParsedFile:
    path: Path
    blocks: tuple[Block, ...]
    attributes: dict[str, Attribute]


# --- compiling Lark trees ----------------------------------------------------------------------

_BINARY_OPS = {
    "DOUBLE_EQ": "==", "NEQ": "!=", "LT": "<", "GT": ">", "LEQ": "<=", "GEQ": ">=", "MINUS": "-",
    "ASTERISK": "*", "SLASH": "/", "PERCENT": "%", "DOUBLE_AMP": "&&", "DOUBLE_PIPE": "||", "PLUS": "+",
}
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
_ESCAPE_RE = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)", re.DOTALL)


def _children(tree: Tree) -> list[Any]:
    """Children without punctuation tokens and newline/comment trees."""
    return [c for c in tree.children if isinstance(c, Tree) and c.data != "new_line_or_comment"]


def _tokens(tree: Tree) -> list[Token]:
    return [c for c in tree.children if isinstance(c, Token)]


class Compiler:
    """Lark trees of one file (or one expression inside a heredoc) to nodes; line_offset maps lines back."""

    def __init__(self, file: str, line_offset: int = 0) -> None:
        self.file = file
        self.line_offset = line_offset

    def where(self, item: Tree | Token, fallback: Where | None = None) -> Where:
        if isinstance(item, Token):
            line, col = item.line, item.column
        else:
            meta = item.meta
            line = getattr(meta, "line", None) if not meta.empty else None
            col = getattr(meta, "column", None) if not meta.empty else None
        if line is None:
            return fallback or Where(self.file, self.line_offset + 1, 1)
        return Where(self.file, line + self.line_offset, col or 1)

    # bodies

    def body(self, tree: Tree) -> Body:
        body = Body()
        for child in _children(tree):
            if child.data == "attribute":
                attr = self.attribute(child)
                if attr.name in body.attributes:
                    raise input_error(attr.where, f'attribute "{attr.name}" is defined twice')
                body.attributes[attr.name] = attr
            elif child.data == "block":
                body.blocks.append(self.block(child))
        return body

    def name_of(self, tree: Tree) -> str:
        if tree.data in ("identifier", "keyword", "literal_value"):
            return str(tree.children[0])
        raise input_error(self.where(tree), "expected a name")

    def attribute(self, tree: Tree) -> Attribute:
        name_tree, expr_tree = _children(tree)[0], _children(tree)[-1]
        return Attribute(self.name_of(name_tree), self.expr(expr_tree), self.where(tree))

    def block(self, tree: Tree) -> Block:
        parts = _children(tree)
        type_tree, *labels, body_tree = parts
        names: list[str] = []
        for label in labels:
            if label.data == "string":
                node = self.string(label)
                if not isinstance(node, Literal) or not isinstance(node.value, str):
                    raise input_error(self.where(label), "a block label must be a plain string")
                names.append(node.value)
            else:
                names.append(self.name_of(label))
        where = self.where(tree)
        return Block(self.name_of(type_tree), tuple(names), self.body(body_tree), where, Path(self.file))

    # expressions

    def expr(self, tree: Tree | Token) -> Node:
        if isinstance(tree, Token):
            raise input_error(self.where(tree), f"unexpected token {str(tree)!r}")
        method = getattr(self, "x_" + tree.data, None)
        if method is None:
            raise input_error(self.where(tree), f"unsupported syntax ({tree.data})")
        return method(tree)

    def x_expr_term(self, tree: Tree) -> Node:
        kids = _children(tree)
        if len(kids) != 1:
            raise input_error(self.where(tree), "malformed expression")
        return self.expr(kids[0])

    def x_int_lit(self, tree: Tree) -> Node:
        return self.number(tree)

    def x_float_lit(self, tree: Tree) -> Node:
        return self.number(tree)

    def number(self, tree: Tree) -> Node:
        try:
            return Literal(self.where(tree), norm_number(Decimal(str(tree.children[0]))))
        except EvalError as exc:
            raise input_error(self.where(tree), str(exc)) from None

    def x_literal_value(self, tree: Tree) -> Node:
        text = str(tree.children[0])
        return Literal(self.where(tree), {"true": True, "false": False, "null": None}[text])

    def x_identifier(self, tree: Tree) -> Node:
        return Traversal(self.where(tree), str(tree.children[0]), ())

    def x_string(self, tree: Tree) -> Node:
        return self.string(tree)

    def x_template_string(self, tree: Tree) -> Node:
        text = str(tree.children[0])[2:-2]
        return Literal(self.where(tree), self.unescape(text, self.where(tree)))

    def x_heredoc_template(self, tree: Tree) -> Node:
        return self.heredoc(tree, trim=False)

    def x_heredoc_template_trim(self, tree: Tree) -> Node:
        return self.heredoc(tree, trim=True)

    def x_tuple(self, tree: Tree) -> Node:
        return TupleExpr(self.where(tree), tuple(self.expr(c) for c in _children(tree)))

    def x_object(self, tree: Tree) -> Node:
        items = []
        for elem in _children(tree):
            key_tree, value_tree = _children(elem)[0], _children(elem)[-1]
            items.append((self.object_key(key_tree), self.expr(value_tree)))
        return ObjectExpr(self.where(tree), tuple(items))

    def object_key(self, tree: Tree) -> Node:
        # A bare name is a literal key; (expr) or a string is evaluated.
        inner = _children(tree)[0] if _children(tree) else tree.children[0]
        if isinstance(inner, Token):
            return Literal(self.where(inner), str(inner))
        if inner.data == "keyword":
            return Literal(self.where(inner), str(inner.children[0]))
        if inner.data == "expr_term" and not any(isinstance(c, Token) and c.type == "LPAR" for c in inner.children):
            kids = _children(inner)
            if len(kids) == 1 and kids[0].data in ("identifier", "literal_value"):
                return Literal(self.where(inner), str(kids[0].children[0]))
        return self.expr(inner)

    def x_function_call(self, tree: Tree) -> Node:
        idents = [str(c.children[0]) for c in _children(tree) if c.data == "identifier"]
        args_tree = next((c for c in _children(tree) if c.data == "arguments"), None)
        args: tuple[Node, ...] = ()
        expand = False
        if args_tree is not None:
            args = tuple(self.expr(c) for c in _children(args_tree))
            expand = any(isinstance(c, Token) and c.type == "ELLIPSIS" for c in args_tree.children)
        return Call(self.where(tree), "::".join(idents), args, expand)

    def step(self, tree: Tree) -> tuple[str, Any]:
        if tree.data == "get_attr":
            return ("attr", self.name_of(_children(tree)[0]))
        if tree.data == "braces_index":
            return ("index", self.expr(_children(tree)[0]))
        if tree.data == "short_index":
            token = next(c for c in tree.children if isinstance(c, Token) and c.type == "INT_LITERAL")
            return ("index", Literal(self.where(token), int(str(token))))
        raise input_error(self.where(tree), f"unsupported traversal ({tree.data})")

    def with_step(self, obj: Node, step: tuple[str, Any], where: Where) -> Node:
        # Steps after a root name stay one traversal: the scope resolves var.x, aws_x.y[0] and so on.
        if isinstance(obj, Traversal):
            return Traversal(obj.where, obj.root, (*obj.steps, step))
        if step[0] == "attr":
            return GetAttr(where, obj, step[1])
        return Index(where, obj, step[1])

    def x_index_expr_term(self, tree: Tree) -> Node:
        obj_tree, index_tree = _children(tree)
        obj = self.expr(obj_tree)
        return self.with_step(obj, self.step(index_tree), self.where(tree))

    def x_get_attr_expr_term(self, tree: Tree) -> Node:
        obj_tree, attr_tree = _children(tree)
        return self.with_step(self.expr(obj_tree), self.step(attr_tree), self.where(tree))

    def x_full_splat_expr_term(self, tree: Tree) -> Node:
        obj_tree, splat_tree = _children(tree)
        steps = tuple(self.step(s) for s in _children(splat_tree))
        return Splat(self.where(tree), self.expr(obj_tree), steps)

    def x_attr_splat_expr_term(self, tree: Tree) -> Node:
        # `.*` applies only the attribute steps that follow it; a later index applies to the result.
        obj_tree, splat_tree = _children(tree)
        steps = [self.step(s) for s in _children(splat_tree)]
        cut = next((i for i, s in enumerate(steps) if s[0] == "index"), len(steps))
        node: Node = Splat(self.where(tree), self.expr(obj_tree), tuple(steps[:cut]))
        for step in steps[cut:]:
            node = GetAttr(node.where, node, step[1]) if step[0] == "attr" else Index(node.where, node, step[1])
        return node

    def x_conditional(self, tree: Tree) -> Node:
        cond, then, otherwise = _children(tree)
        return Conditional(self.where(tree), self.expr(cond), self.expr(then), self.expr(otherwise))

    def x_binary_op(self, tree: Tree) -> Node:
        left, term = _children(tree)[:2]
        op_tree, right = _children(term)
        token = next(c for c in op_tree.children if isinstance(c, Token))
        return BinaryOp(self.where(tree), _BINARY_OPS[token.type], self.expr(left), self.expr(right))

    def x_unary_op(self, tree: Tree) -> Node:
        token = _tokens(tree)[0]
        operand = self.expr(_children(tree)[0])
        op = "-" if token.type == "MINUS" else "!"
        return UnaryOp(self.where(tree), op, operand)

    def for_intro(self, tree: Tree) -> tuple[str | None, str, Node]:
        *name_trees, coll = _children(tree)
        names = [str(k.children[0]) for k in name_trees]
        if len(names) == 2:
            return names[0], names[1], self.expr(coll)
        return None, names[0], self.expr(coll)

    def x_for_tuple_expr(self, tree: Tree) -> Node:
        kids = _children(tree)
        key_var, value_var, coll = self.for_intro(kids[0])
        cond = self.expr(_children(kids[2])[0]) if len(kids) > 2 else None
        return ForExpr(self.where(tree), key_var, value_var, coll, None, self.expr(kids[1]), cond, False)

    def x_for_object_expr(self, tree: Tree) -> Node:
        kids = _children(tree)
        key_var, value_var, coll = self.for_intro(kids[0])
        cond = self.expr(_children(kids[3])[0]) if len(kids) > 3 else None
        group = any(isinstance(c, Token) and c.type == "ELLIPSIS" for c in tree.children)
        return ForExpr(self.where(tree), key_var, value_var, coll, self.expr(kids[1]), self.expr(kids[2]), cond, group)

    # strings and templates

    def unescape(self, text: str, where: Where) -> str:
        def repl(match: re.Match[str]) -> str:
            seq = match.group(1)
            if seq in _ESCAPES:
                return _ESCAPES[seq]
            if seq[0] in "uU" and len(seq) > 1:
                try:
                    return chr(int(seq[1:], 16))
                except (ValueError, OverflowError):
                    raise input_error(where, f"invalid escape sequence \\{seq}") from None
            raise input_error(where, f"invalid escape sequence \\{seq}")

        return _ESCAPE_RE.sub(repl, text) if "\\" in text else text

    def string(self, tree: Tree) -> Node:
        where = self.where(tree)
        flat: list[Any] = []  # str | Interp | directive tuples, nested by build_template
        for part in _children(tree):
            inner = part.children[0]
            if isinstance(inner, Token):
                text = str(inner)
                if inner.type == "ESCAPED_INTERPOLATION":
                    flat.append("${" + text[3:])
                elif inner.type == "ESCAPED_DIRECTIVE":
                    flat.append("%{" + text[3:])
                else:
                    flat.append(self.unescape(text, self.where(inner, where)))
            else:
                flat.append(self.directive(inner, where))
        return build_template(flat, where)

    def directive(self, tree: Tree, where: Where) -> Any:
        # %{~ ... ~}: a strip marker is the token right after %{ or right before }.
        tokens = _tokens(tree)
        left = len(tokens) > 2 and tokens[1].type == "STRIP_MARKER"
        right = len(tokens) > 2 and tokens[-2].type == "STRIP_MARKER"
        here = self.where(tree, where)
        if tree.data == "interpolation":
            return Interp(here, self.expr(_children(tree)[0]))
        if tree.data == "template_if_start":
            return ("if", self.expr(_children(tree)[0]), left, right, here)
        if tree.data == "template_else":
            return ("else", left, right, here)
        if tree.data == "template_endif":
            return ("endif", left, right, here)
        if tree.data == "template_for_start":
            *name_trees, coll = _children(tree)
            names = [str(k.children[0]) for k in name_trees]
            key_var, value_var = (names[0], names[1]) if len(names) == 2 else (None, names[0])
            return ("for", key_var, value_var, self.expr(coll), left, right, here)
        if tree.data == "template_endfor":
            return ("endfor", left, right, here)
        raise input_error(here, f"unsupported template part ({tree.data})")

    def heredoc(self, tree: Tree, trim: bool) -> Node:
        token: Token = tree.children[0]
        where = self.where(token)
        text = str(token).replace("\r\n", "\n")
        body = text[text.index("\n") + 1 :]
        # Drop the closing marker line; what is left ends with a newline (or is empty).
        stripped = body.rstrip("\n")
        body = body[: stripped.rfind("\n") + 1] if "\n" in stripped else ""
        return parse_template(body, Where(where.file, where.line + 1, 1), flush=trim)


# --- templates (heredocs and template files are scanned here; quoted strings by the grammar) -----


def build_template(flat: list[Any], where: Where, strip: bool = True) -> Node:
    """Nest flat template parts into if/for directives, applying ~ strip markers unless done already."""
    if strip:
        _strip(flat)
    parts, rest = _nest(flat, 0, None, where)
    if rest != len(flat):
        raise input_error(where, "unexpected template directive")
    parts = [p for p in parts if p != ""]
    if not parts:
        return Literal(where, "")
    if all(isinstance(p, str) for p in parts):
        return Literal(where, "".join(parts))
    return Template(where, tuple(parts))


def _strip(flat: list[Any]) -> None:
    for i, part in enumerate(flat):
        if isinstance(part, tuple):
            left, right = part[-3], part[-2]
            if left and i > 0 and isinstance(flat[i - 1], str):
                flat[i - 1] = flat[i - 1].rstrip(" \t\r\n")
            if right and i + 1 < len(flat) and isinstance(flat[i + 1], str):
                flat[i + 1] = flat[i + 1].lstrip(" \t\r\n")


def _nest(flat: list[Any], i: int, until: tuple[str, ...] | None, where: Where) -> tuple[list[Any], int]:
    out: list[Any] = []
    while i < len(flat):
        part = flat[i]
        if isinstance(part, str):
            if out and isinstance(out[-1], str):
                out[-1] += part
            else:
                out.append(part)
            i += 1
        elif isinstance(part, Interp):
            out.append(part)
            i += 1
        else:
            kind = part[0]
            if until is not None and kind in until:
                return out, i
            if kind == "if":
                then, i = _nest(flat, i + 1, ("else", "endif"), where)
                otherwise: list[Any] = []
                if i < len(flat) and flat[i][0] == "else":
                    otherwise, i = _nest(flat, i + 1, ("endif",), where)
                if i >= len(flat) or flat[i][0] != "endif":
                    raise input_error(part[-1], "%{ if } without %{ endif }")
                out.append(IfDirective(part[-1], part[1], tuple(then), tuple(otherwise)))
                i += 1
            elif kind == "for":
                body, i = _nest(flat, i + 1, ("endfor",), where)
                if i >= len(flat) or flat[i][0] != "endfor":
                    raise input_error(part[-1], "%{ for } without %{ endfor }")
                out.append(ForDirective(part[-1], part[1], part[2], part[3], tuple(body)))
                i += 1
            else:
                raise input_error(part[-1], f"unexpected %{{ {kind} }}")
    if until is not None:
        return out, i
    return out, i


def _find_close(text: str, start: int) -> int:
    """Index of the `}` closing a ${ or %{ opened just before start, skipping nested braces and strings."""
    depth = 0
    i = start
    while i < len(text):
        ch = text[i]
        if ch == '"':
            i += 1
            while i < len(text) and text[i] != '"':
                if text[i] == "\\":
                    i += 1
                elif text[i] in "$%" and text[i + 1 : i + 2] == "{":
                    i = _find_close(text, i + 2)
                i += 1
            if i >= len(text):
                return -1
        elif ch in "{([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "}":
            if depth == 0:
                return i
            depth -= 1
        i += 1
    return -1


_DIRECTIVE_RE = re.compile(
    r"^\s*(?:(?P<if>if)\s+(?P<cond>.+)|(?P<else>else)|(?P<endif>endif)|(?P<endfor>endfor)"
    r"|(?P<for>for)\s+(?P<names>[A-Za-z_][\w-]*(?:\s*,\s*[A-Za-z_][\w-]*)?)\s+in\s+(?P<coll>.+))\s*$",
    re.DOTALL,
)


_LINES = re.compile(r"(?<=\n)")


def parse_template(text: str, where: Where, flush: bool = False) -> Node:
    """A template (heredoc body or templatefile() file): literal text, ${...} and %{...} directives.

    As in HCL, literal text is split at newlines, so a strip marker (~) only trims the text of its
    own line, and `<<-` (flush) removes the indentation common to all lines after stripping.
    """
    flat: list[Any] = []
    buf: list[str] = []

    def literal() -> None:
        if buf:
            flat.extend(piece for piece in _LINES.split("".join(buf)) if piece)
            buf.clear()

    i = 0
    while i < len(text):
        two = text[i : i + 2]
        three = text[i : i + 3]
        if three in ("$${", "%%{"):
            buf.append(three[1:])
            i += 3
            continue
        if two in ("${", "%{"):
            close = _find_close(text, i + 2)
            here = Where(where.file, where.line + text.count("\n", 0, i), 1)
            if close < 0:
                raise input_error(here, f"unclosed {two}")
            literal()
            inner = text[i + 2 : close]
            left = inner.startswith("~")
            right = inner.endswith("~") and len(inner) > 1
            inner = inner[1 if left else 0 : len(inner) - (1 if right else 0)]
            if two == "${":
                flat.append(("interp", parse_expression(inner, here), left, right, here))
            else:
                flat.append(_template_directive(inner, left, right, here))
            i = close + 1
            continue
        buf.append(text[i])
        i += 1
    literal()
    _strip(flat)
    if flush:
        _flush(flat)
    flat = [Interp(p[-1], p[1]) if isinstance(p, tuple) and p[0] == "interp" else p for p in flat]
    return build_template(flat, where, strip=False)


def _flush(flat: list[Any]) -> None:
    """HCL's flushHeredocTemplateParts: the smallest indentation of any line is removed from all.

    A line that is only whitespace does not count; a line that starts with ${ or %{ counts as 0.
    """
    smallest = None
    adjust: list[int] = []
    newline = True
    for index, part in enumerate(flat):
        if newline:
            newline = False
            if isinstance(part, str):
                trimmed = part.lstrip()
                if trimmed == "" and part.endswith("\n"):
                    spaces = None
                else:
                    spaces = len(part) - len(trimmed)
                    adjust.append(index)
            else:
                spaces = 0
            if spaces is not None and (smallest is None or spaces < smallest):
                smallest = spaces
        if isinstance(part, str) and part.endswith("\n"):
            newline = True
    for index in adjust:
        flat[index] = flat[index][smallest or 0 :]


def _template_directive(inner: str, left: bool, right: bool, where: Where) -> Any:
    match = _DIRECTIVE_RE.match(inner)
    if not match:
        raise input_error(where, f"invalid template directive %{{{inner.strip()}}}")
    if match.group("if"):
        return ("if", parse_expression(match.group("cond"), where), left, right, where)
    if match.group("for"):
        names = [n.strip() for n in match.group("names").split(",")]
        key_var, value_var = (names[0], names[1]) if len(names) == 2 else (None, names[0])
        return ("for", key_var, value_var, parse_expression(match.group("coll"), where), left, right, where)
    kind = next(k for k in ("else", "endif", "endfor") if match.group(k))
    return (kind, left, right, where)


def parse_expression(text: str, where: Where) -> Node:
    """One expression given as text (inside a heredoc or template file)."""
    tree = _parse_text(f"__expr = (\n{text}\n)\n", where.file, line_offset=where.line - 2)
    body = _children(tree)[0]
    attrs = [c for c in _children(body) if c.data == "attribute"]
    if len(attrs) != 1:
        raise input_error(where, "invalid expression")
    return Compiler(where.file, line_offset=where.line - 2).attribute(attrs[0]).expr


# --- files -------------------------------------------------------------------------------------

_CACHE: dict[tuple[str, int, int], ParsedFile] = {}
_LOCK = threading.Lock()


def _describe(exc: UnexpectedInput) -> str:
    if isinstance(exc, UnexpectedCharacters):
        return f"unexpected character {exc.char!r}"
    if isinstance(exc, UnexpectedEOF):
        return "unexpected end of file"
    if isinstance(exc, UnexpectedToken):
        token = exc.token
        if token.type == "$END":
            return "unexpected end of file"
        if token.type == "STRING_CHARS":
            return "expected an expression"
        value = str(token).strip().split("\n")[0] or token.type
        return f"unexpected {value[:40]!r}"
    return "syntax error"


def _parse_text(text: str, shown: str, line_offset: int = 0) -> Tree:
    try:
        return hcl2.parses_to_tree(text)
    except UnexpectedInput as exc:
        line = (exc.line if isinstance(exc.line, int) and exc.line > 0 else text.count("\n") + 1) + line_offset
        col = exc.column if isinstance(exc.column, int) and exc.column > 0 else 1
        raise PolicyInputError(f"{shown}:{line}:{col}: {_describe(exc)}") from None
    except RecursionError:
        raise PolicyInputError(f"{shown}:{line_offset + 1}:1: nesting too deep") from None
    except LarkError as exc:
        raise PolicyInputError(f"{shown}:{line_offset + 1}:1: {str(exc).splitlines()[0][:120]}") from None


def is_configuration(path: Path) -> bool:
    """Terraform's choice of files: *.tf and *.tf.json, but not hidden files or editors' backups."""
    name = path.name
    return (name.endswith((".tf", ".tf.json")) and not name.startswith(".") and not name.endswith("~")
            and not (name.startswith("#") and name.endswith("#")))


def read_text(path: Path, shown: str) -> str:
    return reading.read_text(path, "Terraform file", name=shown)


def parse_file(path: Path, shown: str) -> ParsedFile:
    """A .tf or .tfvars file's top-level blocks and attributes, cached by (path, mtime, size)."""
    try:
        stat = path.stat()
    except OSError as exc:
        raise PolicyInputError(f"{shown}: cannot read ({exc.strerror or exc})") from None
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    with _LOCK:
        cached = _CACHE.get(key)
    if cached is not None and cached.blocks and cached.blocks[0].where.file != shown:
        cached = None  # shown under another name (another repo root): re-compile for the messages
    if cached is not None:
        return cached
    text = read_text(path, shown)
    tree = _parse_text(text, shown)
    compiler = Compiler(shown)
    try:
        body = compiler.body(_children(tree)[0])
    except RecursionError:
        raise PolicyInputError(f"{shown}:1:1: nesting too deep") from None
    for block in body.blocks:
        _set_path(block, path)
    parsed = ParsedFile(path, tuple(body.blocks), body.attributes)
    with _LOCK:
        if len(_CACHE) > 2000:
            _CACHE.clear()
        _CACHE[key] = parsed
    return parsed


def _set_path(block: Block, path: Path) -> None:
    block.path = path
    for child in block.body.blocks:
        _set_path(child, path)


def clear_cache() -> None:
    with _LOCK:
        _CACHE.clear()
