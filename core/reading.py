"""Every file `infra` reads comes through here: bounded in size and depth, decoded strictly, and any
failure turned into one line that names the file and the cause (an `InputError`, exit 2).

The limits, each raised through the environment (or the root options of `infra`):

| variable | default | bounds |
|---|---|---|
| `INFRA_MAX_INPUT_MB` | 256 | JSON documents: plans, outputs, deployment records |
| `INFRA_MAX_CONFIG_MB` | 8 | configuration: `.tf`, `.tf.json`, tfvars, YAML, SQL migrations |
| `INFRA_MAX_INPUT_DEPTH` | 256 | nesting of a JSON or YAML document |
| `INFRA_MAX_YAML_NODES` | 1,000,000 | nodes a YAML document may expand to through its aliases |

The decoders are the standard library's `json` and PyYAML (libyaml when present), in their strict
uses: duplicate keys, NaN and infinities, lone surrogates, several YAML documents and alias
expansion past the bound are refused rather than silently resolved.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from core.errors import InputError

MB = 1024 * 1024

# (environment variable, default, what it bounds) for each limit.
_LIMITS = {
    "data_mb": ("INFRA_MAX_INPUT_MB", 256, "JSON input"),
    "config_mb": ("INFRA_MAX_CONFIG_MB", 8, "configuration file"),
    "depth": ("INFRA_MAX_INPUT_DEPTH", 256, "nesting depth"),
    "yaml_nodes": ("INFRA_MAX_YAML_NODES", 1_000_000, "YAML nodes"),
}


@dataclass(frozen=True)
class Limits:
    data_mb: int
    config_mb: int
    depth: int
    yaml_nodes: int

    @classmethod
    def current(cls) -> Limits:
        """The limits in force: the environment's, or the defaults."""
        values = {}
        for field, (variable, default, _) in _LIMITS.items():
            raw = os.environ.get(variable, "").strip()
            if not raw:
                values[field] = default
                continue
            if not re.fullmatch(r"[0-9]{1,9}", raw) or int(raw) == 0:
                raise InputError(f"{variable} must be a whole number above 0, not {raw!r}")
            values[field] = int(raw)
        return cls(**values)

    def max_bytes(self, kind: str) -> int:
        return (self.data_mb if kind == "data" else self.config_mb) * MB


def _variable(kind: str) -> str:
    return _raise_with("data_mb" if kind == "data" else "config_mb")


def _raise_with(field: str) -> str:
    """How to raise a limit: the variable, and the `infra` option that sets it."""
    variable = _LIMITS[field][0]
    return f"{variable} or --{variable.removeprefix('INFRA_').lower().replace('_', '-')}"


def display(path: str | Path) -> str:
    return "stdin" if str(path) == "-" else str(path)


# --- bytes and text ------------------------------------------------------------------------------


def read_bytes(path: str | Path, what: str, kind: str = "config", name: str | None = None) -> bytes:
    """The file's bytes (`-`: stdin), at most the kind's limit: "data" (JSON documents) or "config".
    `name`: how messages show the file (default: the path)."""
    name = name or display(path)
    if str(path).strip() == "":
        raise InputError(f"the path of the {what} is empty")
    limit = Limits.current().max_bytes(kind)
    too_big = InputError(f"{name}: the {what} is larger than {limit // MB} MB "
                         f"(the limit; raise it with {_variable(kind)})")
    if str(path) == "-":
        data = sys.stdin.buffer.read(limit + 1)
    else:
        try:
            info = Path(path).stat()
            if stat.S_ISDIR(info.st_mode):
                raise InputError(f"{name}: is a directory, not a {what}")
            if stat.S_ISREG(info.st_mode) and info.st_size > limit:
                raise too_big
            # Not only regular files: /dev/stdin or a named pipe is read up to the limit.
            with open(path, "rb") as stream:
                data = stream.read(limit + 1)
        except OSError as exc:
            raise InputError(f"{name}: cannot read the {what} ({exc.strerror or exc})") from None
    if len(data) > limit:
        raise too_big
    return data


def decode(data: bytes, name: str, what: str) -> str:
    """UTF-8 text (a leading BOM dropped); anything else, or a NUL, is refused with its line."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(f"{name}:{line}: the {what} is not UTF-8 text (byte 0x{data[exc.start]:02x})") from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise InputError(f"{name}:{line}: the {what} holds a NUL character (a binary file?)")
    return text.removeprefix("\ufeff")


def read_text(path: str | Path, what: str, kind: str = "config", name: str | None = None) -> str:
    return decode(read_bytes(path, what, kind, name), name or display(path), what)


# --- JSON ----------------------------------------------------------------------------------------


class _Refused(Exception):
    pass


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Refused(f"the key {key[:60]!r} appears twice in one object")
            seen.add(key)
    return found


def _constant(name: str) -> Any:
    raise _Refused(f"{name} is not a JSON number")


def _float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise _Refused(f"the number {text[:40]} is out of range")
    return value


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def loads_json(text: str, name: str, what: str) -> Any:
    """A JSON document, strictly: no duplicate keys, NaN, infinities or lone surrogates, and no
    deeper than the depth limit."""
    depth = Limits.current().depth
    try:
        value = json.loads(text, object_pairs_hook=_object, parse_constant=_constant, parse_float=_float)
    except json.JSONDecodeError as exc:
        raise InputError(f"{name}:{exc.lineno}:{exc.colno}: the {what} is not JSON: {exc.msg}") from None
    except _Refused as exc:
        raise InputError(f"{name}: the {what} is refused: {exc}") from None
    except RecursionError:
        raise _too_deep(name, what, depth) from None
    except ValueError as exc:  # an integer of more digits than Python converts
        raise InputError(f"{name}: the {what} is refused: {str(exc).splitlines()[0][:120]}") from None
    deepest = _depth(value, depth)
    if deepest > depth:
        raise _too_deep(name, what, depth)
    if _SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(value):
        raise InputError(f"{name}: the {what} is refused: it holds a lone UTF-16 surrogate (\\ud800-\\udfff)")
    return value


def read_json(path: str | Path, what: str, kind: str = "data", name: str | None = None) -> Any:
    return loads_json(read_text(path, what, kind, name), name or display(path), what)


def _too_deep(name: str, what: str, depth: int) -> InputError:
    return InputError(f"{name}: the {what} is nested more than {depth} levels deep "
                      f"(the limit; raise it with {_raise_with('depth')})")


def _depth(root: Any, limit: int) -> int:
    """How deep containers nest (1 for a flat list), stopping once past the limit."""
    stack = [(root, 1)]
    deepest = 0
    while stack:
        value, level = stack.pop()
        if not isinstance(value, dict | list):
            continue
        if level > deepest:
            deepest = level
            if deepest > limit:
                return deepest
        children = value.values() if isinstance(value, dict) else value
        stack.extend((child, level + 1) for child in children if isinstance(child, dict | list))
    return deepest


def _has_lone_surrogate(root: Any) -> bool:
    stack = [root]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if _LONE_SURROGATE.search(value):
                return True
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


# --- YAML ----------------------------------------------------------------------------------------

SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE = "tag:yaml.org,2002:merge"


def loads_yaml(text: str, name: str, what: str, loader: Any = None,
               key: Callable[[Any], Any] | None = None) -> Any:
    """One YAML document, strictly: no key twice in a mapping (after `key` normalises them, e.g. to
    the strings Terraform makes of them), aliases expanding to at most the node limit, no deeper than
    the depth limit, and no second document. `loader`: a PyYAML loader class (default: safe)."""
    return _yaml(text, name, what, loader, key, construct=True)


def compose_yaml(text: str, name: str, what: str, loader: Any = None) -> yaml.Node | None:
    """The checked node graph of one YAML document, for readers that report each node's line."""
    return _yaml(text, name, what, loader, None, construct=False)


def _yaml(text: str, name: str, what: str, loader: Any, key: Callable[[Any], Any] | None, construct: bool) -> Any:
    limits = Limits.current()
    reader = None
    try:
        reader = (loader or SafeLoader)(text)  # its reader refuses unprintable characters already
        node = reader.get_single_node()
        if node is None:
            return None
        _check_yaml(node, reader, name, what, limits, key)
        return reader.construct_document(node) if construct else node
    except (ValueError, OverflowError) as exc:
        # An integer of more digits than Python converts, in a value or in a key that the duplicate
        # check constructs: PyYAML raises it as it is, not as a YAMLError.
        raise InputError(f"{name}: the {what} holds a value that cannot be read: {str(exc)[:120]}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{name}:{mark.line + 1}" if mark else name
        problem = " ".join(f"{exc.context or ''} {exc.problem or ''}".split()) or "malformed"
        raise InputError(f"{where}: the {what} is not valid YAML: {problem[:160]}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{name}: the {what} is not valid YAML: {' '.join(str(exc).split())[:160]}") from None
    except RecursionError:
        raise _too_deep(name, what, limits.depth) from None
    finally:
        if reader is not None:
            reader.dispose()


def read_yaml(path: str | Path, what: str, loader: Any = None, key: Callable[[Any], Any] | None = None,
              name: str | None = None) -> Any:
    return loads_yaml(read_text(path, what, "config", name), name or display(path), what, loader, key)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_yaml(root: yaml.Node, reader: Any, name: str, what: str, limits: Limits,
                key: Callable[[Any], Any] | None) -> None:
    """Walk the composed graph once (an alias is the same node object again): the size and depth it
    expands to, recursive aliases, and duplicate keys."""
    expanded: dict[int, tuple[int, int]] = {}  # id(node) -> (nodes, depth) once expanded
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        ident = id(node)
        if finished:
            children = _children(node)
            size = 1 + sum(expanded[id(c)][0] for c in children)
            depth = 1 + max((expanded[id(c)][1] for c in children), default=0)
            if size > limits.yaml_nodes:
                raise InputError(f"{name}: the {what} expands to more than {limits.yaml_nodes} nodes through its "
                                 f"aliases (an alias bomb?; the limit is {_raise_with('yaml_nodes')})")
            if depth > limits.depth:
                raise _too_deep(name, what, limits.depth)
            expanded[ident] = (size, depth)
            open_nodes.discard(ident)
            continue
        if ident in expanded:
            continue
        if ident in open_nodes:
            raise InputError(f"{name}:{node.start_mark.line + 1}: the {what} holds a recursive alias")
        open_nodes.add(ident)
        if isinstance(node, yaml.MappingNode):
            _duplicate_keys(node, reader, name, what, key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in expanded)


def _duplicate_keys(node: yaml.MappingNode, reader: Any, name: str, what: str,
                    key: Callable[[Any], Any] | None) -> None:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            # `? [a]` or `? {a: 1}`: legal YAML, but no file infra reads has such keys, and Python
            # cannot hold them in a dict.
            raise InputError(f"{name}:{key_node.start_mark.line + 1}: the {what} has a mapping key that is a "
                             "list or mapping, not a plain value")
        if key_node.tag == _MERGE:
            continue
        value = reader.construct_object(key_node)
        if key is not None:
            value = key(value)
        line = key_node.start_mark.line + 1
        try:
            if value in seen:
                raise InputError(f"{name}:{line}: the {what} has the key {str(value)[:60]!r} twice in one "
                                 f"mapping (first on line {seen[value]})")
            seen[value] = line
        except TypeError:  # an unhashable key: nothing to compare
            continue


# --- where output goes ---------------------------------------------------------------------------


def check_writable(path: str | Path, what: str = "--output") -> None:
    """Refuse, before any work starts, an output path that cannot be written: the kernel is asked
    (the file opened for appending, and removed again if this made it), not guessed from modes,
    which say nothing for root, read-only mounts or /proc. Missing parent directories are fine
    when they can be made."""
    if str(path).strip() == "":
        raise InputError(f"{what}: the path is empty")
    target = Path(path)
    if target.is_dir():
        raise InputError(f"{what} {target}: is a directory")
    ancestor = target.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise InputError(f"{what} {target}: {ancestor} is not a directory")
    if ancestor != target.parent:
        if not os.access(ancestor, os.W_OK | os.X_OK):
            raise InputError(f"{what} {target}: cannot create directories in {ancestor}")
        return
    existed = target.exists() or target.is_symlink()
    try:
        with open(target, "ab"):
            pass
    except OSError as exc:
        raise InputError(f"{what} {target}: cannot be written ({exc.strerror or exc})") from None
    if not existed:
        target.unlink(missing_ok=True)


def write_text(path: str | Path, text: str, what: str = "--output") -> None:
    """Write a report whole: to a temporary file beside it, then renamed over it (a regular file) or
    written through (a device or pipe, such as /dev/stdout). A failure is one line, not a traceback."""
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists() and not target.is_file():
            with open(target, "w", encoding="utf-8") as stream:
                stream.write(text)
            return
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            temporary.write_text(text, encoding="utf-8")
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)
    except OSError as exc:
        raise InputError(f"{what} {target}: cannot be written ({exc.strerror or exc})") from None
