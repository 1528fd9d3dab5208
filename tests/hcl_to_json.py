"""The project's `.tf` files written as `.tf.json`, through python-hcl2's parser (not the policy's own),
so that the JSON reader is judged against an independent reading of the same configuration.

python-hcl2 marks blocks (`__is_block__`), keeps string literals quoted and wraps expressions in
`${...}`: literals are unquoted, and the `${...}` is dropped where Terraform's JSON syntax wants a
bare expression (`type`, `depends_on`, ...). `terraform validate` then confirms the result is
configuration Terraform itself accepts (tests/policy/test_tf_json.py).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import hcl2

# Keys whose strings Terraform's JSON syntax reads as expressions, anywhere and by top-level block type.
EXPRESSION_KEYS = {"depends_on", "provider", "providers", "ignore_changes", "replace_triggered_by", "iterator"}
EXPRESSION_KEYS_OF = {"variable": {"type"}, "moved": {"from", "to"}, "import": {"to"}, "removed": {"from"}}
LITERAL_KEYS_OF = {"variable": {"default"}}
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


def _unquote(text: str) -> str:
    def escape(match: re.Match) -> str:
        code = match.group(1)
        return chr(int(code[1:], 16)) if code[0] == "u" else _ESCAPES.get(code, match.group(0))

    return re.sub(r"\\(u[0-9a-fA-F]{4}|.)", escape, text[1:-1])


def _key(text: str) -> str:
    return _unquote(text) if text.startswith('"') and text.endswith('"') else text


def _value(value: Any, mode: str) -> Any:
    if isinstance(value, str):
        if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
            return _unquote(value)
        if mode != "template" and value.startswith("${") and value.endswith("}"):
            return value[2:-1]
        return value
    if isinstance(value, list):
        return [_value(item, mode) for item in value]
    if isinstance(value, dict):
        return {_key(k): _value(v, mode) for k, v in value.items() if not k.startswith("__")}
    return value


def _is_blocks(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) and v.get("__is_block__") for v in value)


def _body(node: dict[str, Any], kind: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    expressions = EXPRESSION_KEYS | EXPRESSION_KEYS_OF.get(kind, set())
    for key, value in node.items():
        if key.startswith("__"):
            continue
        name = _key(key)
        if _is_blocks(value) or (isinstance(value, dict) and not value.get("__is_block__") and _labelled(value)):
            out.setdefault(name, []).extend(_block(v, "") for v in (value if isinstance(value, list) else [value]))
        else:
            mode = ("expression" if name in expressions else
                    "literal" if name in LITERAL_KEYS_OF.get(kind, ()) else "template")
            out[name] = _value(value, mode)
    return out


def _labelled(node: dict[str, Any]) -> bool:
    """A label level: `{"label": {... a block ...}}`."""
    kids = [v for k, v in node.items() if not k.startswith("__")]
    return bool(kids) and all(isinstance(v, dict) and (v.get("__is_block__") or _labelled(v)) for v in kids)


def _block(node: dict[str, Any], kind: str) -> dict[str, Any]:
    if node.get("__is_block__"):
        return _body(node, kind)
    return {_key(k): _block(v, kind) for k, v in node.items() if not k.startswith("__")}


def convert_file(path: Path) -> dict[str, Any]:
    top: dict[str, Any] = {}
    for key, value in hcl2.loads(path.read_text()).items():
        if not key.startswith("__"):  # __comments__
            top.setdefault(_key(key), []).extend(_block(v, _key(key)) for v in value)
    return top


def convert_tree(root: Path) -> int:
    """Every `.tf` under root replaced by its `.tf.json`; the number of files converted."""
    count = 0
    for path in sorted(root.rglob("*.tf")):
        if ".terraform" in path.parts:
            continue
        path.with_name(path.name + ".json").write_text(json.dumps(convert_file(path), indent=1) + "\n")
        path.unlink()
        count += 1
    return count
