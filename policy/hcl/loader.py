"""Env roots to resources: variables, locals, local module calls, count/for_each and references.

Everything is evaluated lazily and memoised per (module instance, name), so only what the
resources need is computed, each value once, and a cycle among locals is found as it happens.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from policy.hcl.expr import Scope, evaluate, evaluate_constant
from policy.hcl.json_syntax import parse_json_file
from policy.hcl.parse import Attribute, Block, Body, Traversal, Where, input_error, is_configuration, parse_file
from policy.hcl.parse import clear_cache as clear_parse_cache
from policy.hcl.policy_document import policy_json
from policy.hcl.tfvars import default_tfvars, read_tfvars_at
from policy.hcl.types import convert, parse_type
from policy.hcl.values import (
    EvalError,
    LazyObject,
    SetValue,
    finalize,
    iterate,
    materialize,
    to_number,
)
from policy.model import PolicyInputError, Resource, Source, Unknown

# Meta-arguments: Terraform's, not the provider's, so they are not part of a resource's values.
META_ATTRS = frozenset({"count", "for_each", "depends_on", "provider"})
META_BLOCKS = frozenset({"lifecycle", "provisioner", "connection"})
MODULE_META = frozenset({"source", "version", "count", "for_each", "depends_on", "providers"})
IGNORED_BLOCKS = frozenset({"terraform", "provider", "moved", "import", "removed", "check"})
POLICY_DOCUMENT = "aws_iam_policy_document"


class _UnknownKey:
    """The instance key of a resource whose count/for_each is not known before the plan: shown [*]."""

    def __repr__(self) -> str:
        return "[*]"


UNKNOWN_KEY = _UnknownKey()


# --- configuration of one module directory -----------------------------------------------------


@dataclass
class VariableDecl:
    name: str
    type: Any
    default: Attribute | None
    nullable: bool
    where: Where


@dataclass
class ResourceDecl:
    mode: str  # managed | data | ephemeral
    type: str
    name: str
    block: Block

    @property
    def count(self) -> Attribute | None:
        return self.block.body.attributes.get("count")

    @property
    def for_each(self) -> Attribute | None:
        return self.block.body.attributes.get("for_each")

    @property
    def local_address(self) -> str:
        prefix = {"managed": "", "data": "data.", "ephemeral": "ephemeral."}[self.mode]
        return f"{prefix}{self.type}.{self.name}"


@dataclass
class CallDecl:
    name: str
    block: Block
    source: str

    @property
    def local(self) -> bool:
        return self.source.startswith(("./", "../"))


@dataclass
class ModuleConfig:
    dir: Path
    variables: dict[str, VariableDecl] = field(default_factory=dict)
    locals: dict[str, Attribute] = field(default_factory=dict)
    outputs: dict[str, Attribute] = field(default_factory=dict)
    resources: dict[tuple[str, str, str], ResourceDecl] = field(default_factory=dict)
    calls: dict[str, CallDecl] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


_CONFIGS: dict[tuple[Any, ...], ModuleConfig] = {}


def clear_cache() -> None:
    """Forget parsed files and module configurations (they are also re-read when a file changes)."""
    _CONFIGS.clear()
    clear_parse_cache()


def _labels(block: Block, count: int) -> tuple[str, ...]:
    if len(block.labels) != count:
        raise input_error(block.where, f'a "{block.type}" block needs {count} label(s), found {len(block.labels)}')
    return block.labels


def _is_override(path: Path) -> bool:
    stem = path.name.removesuffix(".json").removesuffix(".tf")
    return stem == "override" or stem.endswith("_override")


def load_config(directory: Path, shown: Callable[[Path], str]) -> ModuleConfig:
    """The declarations of one module directory (its *.tf and *.tf.json files, overrides merged last).

    A configuration file that cannot be read (a dangling link, a link loop) is an error, never skipped:
    Terraform would fail on it too, and skipping it would hide its resources from the policy."""
    try:
        entries = sorted(p for p in directory.iterdir() if is_configuration(p) and not p.is_dir())
    except OSError as exc:
        raise PolicyInputError(f"{shown(directory)}: cannot read module directory ({exc.strerror or exc})") from None
    stats = []
    for path in entries:
        try:
            st = path.stat()
        except OSError as exc:
            raise PolicyInputError(f"{shown(path)}: cannot read ({exc.strerror or exc})") from None
        stats.append((path.name, st.st_mtime_ns, st.st_size))
    key = (str(directory), tuple(stats), shown(directory))
    cached = _CONFIGS.get(key)
    if cached is not None:
        return cached
    config = ModuleConfig(directory)
    overrides: list[Block] = []
    for path in entries:
        parsed = (parse_json_file if path.name.endswith(".json") else parse_file)(path, shown(path))
        if parsed.attributes:
            attr = next(iter(parsed.attributes.values()))
            raise input_error(attr.where, f'unsupported argument "{attr.name}" at the top level of a .tf file')
        if _is_override(path):
            overrides.extend(parsed.blocks)
        else:
            for block in parsed.blocks:
                _declare(config, block)
    for block in overrides:
        _override(config, block)
    if len(_CONFIGS) > 500:
        _CONFIGS.clear()
    _CONFIGS[key] = config
    return config


def _declare(config: ModuleConfig, block: Block) -> None:
    kind = block.type
    attrs = block.body.attributes
    if kind == "variable":
        (name,) = _labels(block, 1)
        if name in config.variables:
            raise input_error(block.where, f'duplicate variable "{name}"')
        typ = parse_type(attrs["type"].expr) if "type" in attrs else "any"
        nullable = True
        if "nullable" in attrs:
            value = evaluate_constant(attrs["nullable"].expr, "a variable's nullable")
            if not isinstance(value, bool):
                raise input_error(attrs["nullable"].where, "nullable must be true or false")
            nullable = value
        config.variables[name] = VariableDecl(name, typ, attrs.get("default"), nullable, block.where)
    elif kind == "locals":
        _labels(block, 0)
        for name, attr in attrs.items():
            if name in config.locals:
                raise input_error(attr.where, f'duplicate local value "{name}"')
            config.locals[name] = attr
    elif kind == "output":
        (name,) = _labels(block, 1)
        if name in config.outputs:
            raise input_error(block.where, f'duplicate output "{name}"')
        if "value" not in attrs:
            raise input_error(block.where, f'output "{name}" has no value')
        config.outputs[name] = attrs["value"]
    elif kind in ("resource", "data", "ephemeral"):
        rtype, name = _labels(block, 2)
        mode = {"resource": "managed", "data": "data", "ephemeral": "ephemeral"}[kind]
        if (mode, rtype, name) in config.resources:
            raise input_error(block.where, f'duplicate {kind} "{rtype}" "{name}"')
        config.resources[(mode, rtype, name)] = ResourceDecl(mode, rtype, name, block)
    elif kind == "module":
        (name,) = _labels(block, 1)
        if name in config.calls:
            raise input_error(block.where, f'duplicate module call "{name}"')
        if "source" not in attrs:
            raise input_error(block.where, f'module "{name}" has no source')
        source = evaluate_constant(attrs["source"].expr, "a module source")
        if not isinstance(source, str):
            raise input_error(attrs["source"].where, "a module source must be a string")
        config.calls[name] = CallDecl(name, block, source)
    elif kind not in IGNORED_BLOCKS:
        raise input_error(block.where, f'unsupported block type "{kind}"')


def _merge_body(base: Body, override: Body) -> None:
    base.attributes.update(override.attributes)
    replaced = {b.type for b in override.blocks}
    base.blocks = [b for b in base.blocks if b.type not in replaced] + list(override.blocks)


def _override(config: ModuleConfig, block: Block) -> None:
    """Terraform's override files: arguments replace the base block's, nested blocks replace by type."""
    kind = block.type
    if kind in IGNORED_BLOCKS:
        return
    if kind == "locals":
        for name, attr in block.body.attributes.items():
            if name not in config.locals:
                raise input_error(attr.where, f'override of local value "{name}", which is not declared')
            config.locals[name] = attr
        return
    target: Block | None = None
    if kind in ("resource", "data", "ephemeral") and len(block.labels) == 2:
        mode = {"resource": "managed", "data": "data", "ephemeral": "ephemeral"}[kind]
        decl = config.resources.get((mode, *block.labels))
        target = decl.block if decl else None
    elif kind == "module" and len(block.labels) == 1 and block.labels[0] in config.calls:
        call = config.calls[block.labels[0]]
        _merge_body(call.block.body, block.body)
        if "source" in block.body.attributes:
            source = evaluate_constant(block.body.attributes["source"].expr, "a module source")
            call.source = source if isinstance(source, str) else call.source
        return
    elif kind == "variable" and len(block.labels) == 1 and block.labels[0] in config.variables:
        var = config.variables[block.labels[0]]
        attrs = block.body.attributes
        if "type" in attrs:
            var.type = parse_type(attrs["type"].expr)
        if "default" in attrs:
            var.default = attrs["default"]
        return
    elif kind == "output" and len(block.labels) == 1 and block.labels[0] in config.outputs:
        if "value" in block.body.attributes:
            config.outputs[block.labels[0]] = block.body.attributes["value"]
        return
    if target is None:
        raise input_error(block.where, f'override of {kind} {" ".join(block.labels)}, which is not declared')
    _merge_body(target.body, block.body)


# --- evaluation --------------------------------------------------------------------------------


class _Failure:
    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message


class Evaluator:
    """The state of one load_root(): memoised values, the evaluation stack, notes."""

    def __init__(self, root_dir: Path, repo_root: Path) -> None:
        self.root_dir = root_dir
        self.repo_root = repo_root
        self.cache: dict[tuple[Any, ...], Any] = {}
        self.stack: list[tuple[tuple[Any, ...], str]] = []
        self.active: set[tuple[Any, ...]] = set()
        self.notes: list[str] = []

    def shown(self, path: Path) -> str:
        """The path relative to the repository; the file itself is not resolved (it may be a link loop)."""
        try:
            return (path.parent.resolve() / path.name).relative_to(self.repo_root).as_posix()
        except (ValueError, OSError, RuntimeError):
            return str(path)

    def memo(self, key: tuple[Any, ...], label: str, where: Where | str, compute: Callable[[], Any]) -> Any:
        if key in self.cache:
            value = self.cache[key]
            if isinstance(value, _Failure):
                raise EvalError(value.message)
            return value
        if key in self.active:
            start = next(i for i, (k, _) in enumerate(self.stack) if k == key)
            chain = [label for _, label in self.stack[start:]] + [label]
            raise PolicyInputError(f"{where}: cycle: {' -> '.join(chain)}")
        self.active.add(key)
        self.stack.append((key, label))
        try:
            value = compute()
        except EvalError as exc:
            self.cache[key] = _Failure(str(exc))
            raise
        finally:
            self.stack.pop()
            self.active.discard(key)
        self.cache[key] = value
        return value


def _key_suffix(key: Any) -> str:
    if key is None:
        return ""
    if key is UNKNOWN_KEY:
        return "[*]"
    if isinstance(key, int):
        return f"[{key}]"
    return "[" + json.dumps(key, ensure_ascii=False) + "]"


@dataclass(frozen=True)
class Expansion:
    """The instances of a resource or module call: (key, each.value) pairs, or why they are unknown."""

    instances: tuple[tuple[Any, Any], ...]
    mode: str  # single | count | for_each
    unknown: str | None = None


class ResourceObject(LazyObject):
    """A reference to a resource instance: configured arguments are known, computed ones are not."""

    def __init__(self, module: ModuleInstance, decl: ResourceDecl, key: Any, each_value: Any) -> None:
        self.module, self.decl, self.key, self.each_value = module, decl, key, each_value

    @property
    def local_address(self) -> str:
        return self.decl.local_address + _key_suffix(self.key)

    def get_attr(self, name: str, where: str) -> Any:
        body = self.decl.block.body
        if name in body.attributes and name not in META_ATTRS:
            value = self.module.resource_attr(self, name)
        elif any(b.type == name or (b.type == "dynamic" and b.labels[:1] == (name,)) for b in body.blocks) \
                or (self.decl.type == POLICY_DOCUMENT and name in ("json", "minified_json")):
            value = self.module.instance_values(self).get(name)
        else:
            return Unknown(f"{self.address}.{name}")
        if isinstance(value, Unknown):
            # The reason names the attribute referred to, not what made it unknown: rules follow
            # references (which bucket does this public access block belong to?), as in a plan.
            return Unknown(f"{self.address}.{name}", partial=value.partial)
        return value

    @property
    def address(self) -> str:
        return self.module.prefix + self.local_address

    def materialize(self) -> Any:
        return Unknown(self.address, partial=self.module.instance_values(self))


class ModuleObject(LazyObject):
    """A reference to a module instance: its outputs, evaluated on demand."""

    def __init__(self, module: ModuleInstance, call: str) -> None:
        self.module, self.call = module, call

    def get_attr(self, name: str, where: str) -> Any:
        if name not in self.module.config.outputs:
            raise PolicyInputError(f'{where}: module "{self.call}" has no output "{name}"')
        return self.module.output(name)

    def materialize(self) -> Any:
        out: dict[str, Any] = {}
        for name in self.module.config.outputs:
            try:
                out[name] = self.module.output(name)
            except EvalError as exc:
                out[name] = Unknown(f"module.{self.call}.{name}: {exc}")
        return out


class ModuleInstance:
    """One instance of a module: the namespace its expressions are evaluated in."""

    allow_functions = True

    def __init__(self, ev: Evaluator, config: ModuleConfig, addr: str, path_module: str,
                 inputs: dict[str, Any], caller: Scope | None, ancestors: tuple[Path, ...]) -> None:
        self.ev = ev
        self.config = config
        self.addr = addr
        self.path_module = path_module
        self.inputs = inputs  # root: evaluated tfvars values; child: the call's Attribute per input
        self.caller = caller  # None for the root module
        self.ancestors = ancestors
        self.cwd = ev.root_dir
        self.scope = Scope(self)
        ev.notes.extend(n for n in config.notes if n not in ev.notes)

    @property
    def prefix(self) -> str:
        return self.addr + "." if self.addr else ""

    def _key(self, *parts: Any) -> tuple[Any, ...]:
        return (self.addr, *parts)

    # names

    def lookup(self, node: Traversal, scope: Scope) -> tuple[Any, int]:
        root, steps = node.root, node.steps

        def name(i: int) -> str:
            if len(steps) <= i or steps[i][0] != "attr":
                raise input_error(node.where, f'invalid reference: "{root}" must be followed by an attribute name')
            return steps[i][1]

        if root == "var":
            return self.var(name(0), node.where), 1
        if root == "local":
            return self.local(name(0), node.where), 1
        if root == "module":
            return self.module_value(name(0), node.where), 1
        if root == "data":
            return self.resource_value(("data", name(0), name(1)), node.where), 2
        if root == "ephemeral":
            key = ("ephemeral", name(0), name(1))
            if key not in self.config.resources:
                raise input_error(node.where, f'reference to undeclared ephemeral resource "{name(0)}.{name(1)}"')
            return Unknown(f"ephemeral.{name(0)}.{name(1)} (never known before apply)"), 2
        if root == "path":
            attr = name(0)
            values = {"module": self.path_module, "root": ".", "cwd": str(self.ev.root_dir)}
            if attr not in values:
                raise input_error(node.where, f'unknown attribute "path.{attr}"')
            return values[attr], 1
        if root == "terraform":
            attr = name(0)
            if attr == "workspace":
                return "default", 1
            if attr == "applying":
                return False, 1
            raise input_error(node.where, f'unknown attribute "terraform.{attr}"')
        if root in ("count", "each"):
            meta = "count" if root == "count" else "for_each"
            raise input_error(node.where, f'"{root}" can only be used in a block that sets {meta}')
        if root == "self":
            return Unknown("self"), 0
        return self.resource_value(("managed", root, name(0)), node.where), 1

    def var(self, name: str, where: Where) -> Any:
        decl = self.config.variables.get(name)
        if decl is None:
            raise input_error(where, f'reference to undeclared input variable "{name}"')
        return self.ev.memo(self._key("var", name), f"{self.prefix}var.{name}", where, lambda: self._var(decl))

    def _var(self, decl: VariableDecl) -> Any:
        missing = object()
        value: Any = missing
        if self.caller is None:
            value = self.inputs.get(decl.name, missing)
        elif decl.name in self.inputs:
            value = evaluate(self.inputs[decl.name].expr, self.caller)
        if value is None and not decl.nullable:
            value = missing
        if value is missing:
            if decl.default is None:
                return Unknown(f"var.{decl.name} has no value")
            value = evaluate_constant(decl.default.expr, "a variable default")
        try:
            return convert(value, decl.type)
        except EvalError as exc:
            raise EvalError(f"var.{decl.name}: {exc}") from None

    def local(self, name: str, where: Where) -> Any:
        attr = self.config.locals.get(name)
        if attr is None:
            raise input_error(where, f'reference to undeclared local value "{name}"')
        return self.ev.memo(self._key("local", name), f"{self.prefix}local.{name}", attr.where,
                            lambda: evaluate(attr.expr, self.scope))

    def output(self, name: str) -> Any:
        attr = self.config.outputs[name]
        return self.ev.memo(self._key("output", name), f"{self.prefix}output.{name}", attr.where,
                            lambda: evaluate(attr.expr, self.scope))

    # resources

    def resource_value(self, rkey: tuple[str, str, str], where: Where) -> Any:
        decl = self.config.resources.get(rkey)
        if decl is None:
            kind = "data source" if rkey[0] == "data" else "resource"
            raise input_error(where, f'reference to undeclared {kind} "{rkey[1]}.{rkey[2]}"')
        expansion = self.expansion(decl)
        if expansion.unknown is not None:
            return Unknown(f"{decl.local_address} ({expansion.unknown})")
        objects = [ResourceObject(self, decl, key, value) for key, value in expansion.instances]
        if expansion.mode == "single":
            return objects[0]
        if expansion.mode == "count":
            return objects
        return {obj.key: obj for obj in objects}

    def expansion(self, decl: ResourceDecl | CallDecl) -> Expansion:
        if isinstance(decl, ResourceDecl):
            attrs, label = decl.block.body.attributes, decl.local_address
        else:
            attrs, label = decl.block.body.attributes, f"module.{decl.name}"
        return self.ev.memo(self._key("expand", label), f"{self.prefix}{label} (count/for_each)",
                            decl.block.where, lambda: _expand(attrs, self.scope))

    def instance_scope(self, mode: str, key: Any, each_value: Any) -> Scope:
        """The scope of one instance: count.index or each.key/each.value as its symbols."""
        if mode == "count":
            return self.scope.child({"count": {"index": key if key is not UNKNOWN_KEY else Unknown("count.index")}})
        if mode == "for_each":
            if key is UNKNOWN_KEY:
                return self.scope.child({"each": {"key": Unknown("each.key"), "value": Unknown("each.value")}})
            return self.scope.child({"each": {"key": key, "value": each_value}})
        return self.scope

    def _obj_scope(self, obj: ResourceObject) -> Scope:
        mode = "for_each" if obj.decl.for_each is not None else "count" if obj.decl.count is not None else "single"
        return self.instance_scope(mode, obj.key, obj.each_value)

    def resource_attr(self, obj: ResourceObject, name: str) -> Any:
        attr = obj.decl.block.body.attributes[name]
        return self.ev.memo(self._key("attr", obj.decl.local_address, obj.key, name),
                            f"{self.prefix}{obj.local_address}.{name}", attr.where,
                            lambda: evaluate(attr.expr, self._obj_scope(obj)))

    def instance_values(self, obj: ResourceObject) -> dict[str, Any]:
        return self.ev.memo(self._key("values", obj.decl.local_address, obj.key),
                            f"{self.prefix}{obj.local_address}", obj.decl.block.where, lambda: self._values(obj))

    def _values(self, obj: ResourceObject) -> dict[str, Any]:
        body = obj.decl.block.body
        out: dict[str, Any] = {}
        for name in body.attributes:
            if name in META_ATTRS:
                continue
            try:
                out[name] = self.resource_attr(obj, name)
            except EvalError as exc:
                out[name] = Unknown(f"{obj.local_address}.{name}: {exc}")
        self._blocks(body.blocks, self._obj_scope(obj), out, top=True, where=obj.local_address)
        if obj.decl.type == POLICY_DOCUMENT and obj.decl.mode == "data":
            out["json"], out["minified_json"] = policy_json(out, obj.address)
        return out

    def _body(self, body: Body, scope: Scope, where: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, attr in body.attributes.items():
            try:
                out[name] = evaluate(attr.expr, scope)
            except EvalError as exc:
                out[name] = Unknown(f"{where}.{name}: {exc}")
        self._blocks(body.blocks, scope, out, top=False, where=where)
        return out

    def _blocks(self, blocks: list[Block], scope: Scope, out: dict[str, Any], top: bool, where: str) -> None:
        for block in blocks:
            if top and block.type in META_BLOCKS:
                continue
            if block.type == "dynamic":
                if len(block.labels) != 1:
                    raise input_error(block.where, 'a "dynamic" block needs one label, the block type')
                name = block.labels[0]
                items = self._dynamic(block, scope, f"{where}.{name}")
            else:
                name = block.type
                items = [self._body(block.body, scope, f"{where}.{name}")]
            out[name] = _combine(out.get(name), items)

    def _dynamic(self, block: Block, scope: Scope, where: str) -> list[dict[str, Any]] | Unknown:
        attrs = block.body.attributes
        if "for_each" not in attrs:
            raise input_error(block.where, 'a "dynamic" block needs for_each')
        contents = [b for b in block.body.blocks if b.type == "content"]
        if len(contents) != 1:
            raise input_error(block.where, 'a "dynamic" block needs exactly one "content" block')
        iterator = block.labels[0]
        if "iterator" in attrs:
            node = attrs["iterator"].expr
            if not isinstance(node, Traversal) or node.steps:
                raise input_error(attrs["iterator"].where, "iterator must be a plain name")
            iterator = node.root
        try:
            collection = evaluate(attrs["for_each"].expr, scope)
            if isinstance(collection, Unknown):
                return Unknown(f"{where} (for_each: {collection.reason})")
            pairs = list(iterate(collection))
        except EvalError as exc:
            return Unknown(f"{where}: {exc}")
        return [self._body(contents[0].body, scope.child({iterator: {"key": k, "value": v}}), where) for k, v in pairs]

    # module calls

    def module_value(self, name: str, where: Where) -> Any:
        call = self.config.calls.get(name)
        if call is None:
            raise input_error(where, f'reference to undeclared module "{name}"')
        if not call.local:
            self.note(f'{self.prefix}module.{name}: source "{call.source}" is not local; its outputs are unknown')
            return Unknown(f"module.{name} (non-local source {call.source})")
        expansion = self.expansion(call)
        if expansion.unknown is not None:
            return Unknown(f"module.{name} ({expansion.unknown})")
        objects = {key: ModuleObject(self.child(call, key, value, expansion.mode), name)
                   for key, value in expansion.instances}
        if expansion.mode == "single":
            return objects[None]
        if expansion.mode == "count":
            return list(objects.values())
        return objects

    def child(self, call: CallDecl, key: Any, each_value: Any, mode: str) -> ModuleInstance:
        return self.ev.memo(self._key("child", call.name, key), f"{self.prefix}module.{call.name}",
                            call.block.where, lambda: self._child(call, key, each_value, mode))

    def _child(self, call: CallDecl, key: Any, each_value: Any, mode: str) -> ModuleInstance:
        directory = Path(os.path.normpath(self.config.dir / call.source))
        if not directory.is_dir():
            raise input_error(call.block.body.attributes["source"].where,
                              f'module "{call.name}": no directory at "{call.source}"')
        if directory in self.ancestors:
            raise input_error(call.block.where, f'module "{call.name}" calls itself')
        config = load_config(directory, self.ev.shown)
        inputs: dict[str, Any] = {}
        for arg, attr in call.block.body.attributes.items():
            if arg in MODULE_META:
                continue
            if arg not in config.variables:
                raise input_error(attr.where, f'module "{call.name}" has no variable "{arg}"')
            inputs[arg] = attr
        caller = self.instance_scope(mode, key, each_value)
        path_module = os.path.normpath(os.path.join(self.path_module, call.source))
        return ModuleInstance(self.ev, config, f"{self.prefix}module.{call.name}{_key_suffix(key)}", path_module,
                              inputs, caller, (*self.ancestors, directory))

    def note(self, text: str) -> None:
        if text not in self.ev.notes:
            self.ev.notes.append(text)

    # collection

    def collect(self, env: str, out: list[Resource]) -> None:
        for decl in self.config.resources.values():
            if decl.mode == "ephemeral":
                continue
            expansion = self.expansion(decl)
            instances = expansion.instances
            if expansion.unknown is not None:
                self.note(f"{self.prefix}{decl.local_address}: {expansion.unknown}; shown as one instance [*]")
                instances = ((UNKNOWN_KEY, None),)
            for key, each_value in instances:
                obj = ResourceObject(self, decl, key, each_value)
                values = finalize(self.instance_values(obj))
                out.append(Resource(
                    address=self.prefix + obj.local_address, type=decl.type, values=values, env=env,
                    source=Source.HCL, file=self.ev.shown(decl.block.path), line=decl.block.where.line,
                    mode=decl.mode,
                ))
        for call in self.config.calls.values():
            if not call.local:
                self.note(f'{self.prefix}module.{call.name}: source "{call.source}" is not local; not evaluated')
                continue
            expansion = self.expansion(call)
            instances = expansion.instances
            mode = expansion.mode
            if expansion.unknown is not None:
                self.note(f"{self.prefix}module.{call.name}: {expansion.unknown}; shown as one instance [*]")
                instances = ((UNKNOWN_KEY, None),)
                mode = "for_each" if call.block.body.attributes.get("for_each") else "count"
            for key, each_value in instances:
                self.child(call, key, each_value, mode).collect(env, out)


def _combine(existing: Any, items: list[dict[str, Any]] | Unknown) -> Any:
    if existing is None:
        return items
    if isinstance(existing, Unknown) or isinstance(items, Unknown):
        known = [*_known_part(existing), *_known_part(items)]
        reason = (existing if isinstance(existing, Unknown) else items).reason  # type: ignore[union-attr]
        return Unknown(reason, partial=known)
    return [*existing, *items]


def _known_part(value: Any) -> list[Any]:
    if isinstance(value, Unknown):
        return list(value.partial) if isinstance(value.partial, list) else []
    return list(value)


def _expand(attrs: dict[str, Attribute], scope: Scope) -> Expansion:
    count, for_each = attrs.get("count"), attrs.get("for_each")
    if count is not None and for_each is not None:
        raise input_error(count.where, "count and for_each cannot both be set")
    if count is not None:
        try:
            value = evaluate(count.expr, scope)
            if isinstance(value, Unknown):
                return Expansion((), "count", f"count unknown until plan: {value.reason}")
            number = to_number(value)
        except EvalError as exc:
            return Expansion((), "count", f"invalid count: {exc}")
        if number != int(number) or number < 0:
            return Expansion((), "count", "invalid count: a whole number >= 0 is required")
        if number > 100_000:
            return Expansion((), "count", "invalid count: too large")
        return Expansion(tuple((i, None) for i in range(int(number))), "count")
    if for_each is not None:
        try:
            value = evaluate(for_each.expr, scope)
            if isinstance(value, LazyObject):
                value = materialize(value)  # map values stay lazy: each.value.name is still known
        except EvalError as exc:
            return Expansion((), "for_each", f"invalid for_each: {exc}")
        if isinstance(value, Unknown):
            return Expansion((), "for_each", f"for_each unknown until plan: {value.reason}")
        if isinstance(value, dict):
            return Expansion(tuple((k, value[k]) for k in sorted(value)), "for_each")
        if isinstance(value, SetValue):
            if any(isinstance(v, Unknown) for v in value):
                return Expansion((), "for_each", "for_each set has elements unknown until plan")
            if not all(isinstance(v, str) for v in value):
                return Expansion((), "for_each", "invalid for_each: a set of strings is required")
            return Expansion(tuple((v, v) for v in value), "for_each")
        kind = "null" if value is None else type(value).__name__
        return Expansion((), "for_each", f"invalid for_each: a map or a set of strings is required, not {kind}")
    return Expansion(((None, None),), "single")


# --- roots -------------------------------------------------------------------------------------


def find_repo_root(start: Path) -> Path:
    for candidate in (start, *start.parents):
        if (candidate / ".git").exists() or (candidate / "pyproject.toml").is_file():
            return candidate
    return start


@dataclass
class RootResult:
    resources: list[Resource]
    notes: list[str]


def evaluate_root(root_dir: Path, env: str, tfvars: Sequence[Path] | None = None,
                  repo_root: Path | None = None, inputs: Mapping[str, Any] | None = None) -> RootResult:
    root_dir = Path(root_dir).resolve()
    repo = (Path(repo_root).resolve() if repo_root is not None else find_repo_root(root_dir))
    ev = Evaluator(root_dir, repo)
    if not root_dir.is_dir():
        raise PolicyInputError(f"{ev.shown(root_dir)}: not a directory")
    files = list(tfvars) if tfvars is not None else default_tfvars(root_dir)
    given: dict[str, tuple[Any, str]] = {}
    for path in files:
        given.update(read_tfvars_at(Path(path), ev.shown(Path(path))))
    # Values given by the caller win over the files, as `-var` does in Terraform.
    given.update({name: (value, "<inputs>") for name, value in (inputs or {}).items()})
    config = load_config(root_dir, ev.shown)
    values = {name: value for name, (value, _) in given.items()}
    for name, (value, where) in given.items():
        # Terraform refuses a value of the wrong type before it plans anything ("Invalid value for
        # input variable"); so does the policy, rather than leave every use of it unknown.
        decl = config.variables.get(name)
        if decl is not None and value is not None:
            try:
                convert(value, decl.type)
            except EvalError as exc:
                raise PolicyInputError(f"{where}: invalid value for variable {name}: {exc}") from None
    root = ModuleInstance(ev, config, "", ".", values, None, (root_dir,))
    resources: list[Resource] = []
    root.collect(env, resources)
    return RootResult(resources, ev.notes)
