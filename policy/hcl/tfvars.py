"""The values a root's variables are given in tfvars files: the one reader for the policy's HCL pass,
the operator-inputs check and the CLI's early checks.

Terraform reports a malformed tfvars file only after init, and an undeclared name only as a
warning; `check_tfvars` makes both one clear line before anything runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from policy.hcl.expr import Constants, Scope, evaluate, evaluate_constant
from policy.hcl.json_syntax import parse_json_file
from policy.hcl.parse import input_error, is_configuration, parse_file, read_text
from policy.hcl.values import EvalError, finalize, json_decode
from policy.model import PolicyInputError


def default_tfvars(root_dir: Path) -> list[Path]:
    """terraform.tfvars(.json), then *.auto.tfvars(.json) in lexical order: Terraform's precedence."""
    files = [root_dir / name for name in ("terraform.tfvars", "terraform.tfvars.json") if (root_dir / name).is_file()]
    auto = sorted(p for p in root_dir.iterdir()
                  if p.is_file() and p.name.endswith((".auto.tfvars", ".auto.tfvars.json")))
    return files + auto


def read_tfvars(path: Path, shown: str) -> dict[str, Any]:
    return {name: value for name, (value, _) in read_tfvars_at(path, shown).items()}


def read_tfvars_at(path: Path, shown: str) -> dict[str, tuple[Any, str]]:
    """A tfvars file's values, each with where it was given (for the messages of a type error)."""
    if path.name.endswith(".json"):
        try:
            data = json_decode(read_text(path, shown))
        except EvalError as exc:
            raise PolicyInputError(f"{shown}:1:1: {exc}") from None
        if not isinstance(data, dict):
            raise PolicyInputError(f"{shown}:1:1: a .tfvars.json file must hold a JSON object")
        return {name: (value, shown) for name, value in data.items()}
    parsed = parse_file(path, shown)
    if parsed.blocks:
        block = parsed.blocks[0]
        raise input_error(block.where, f'blocks are not allowed in a .tfvars file ("{block.type}")')
    values: dict[str, tuple[Any, str]] = {}
    for name, attr in parsed.attributes.items():
        try:
            values[name] = (evaluate(attr.expr, Scope(Constants("a .tfvars file"))), str(attr.where))
        except EvalError as exc:
            raise input_error(attr.where, str(exc)) from None
    return values


def _variable_blocks(root_dir: Path):
    for path in sorted(p for p in root_dir.iterdir() if is_configuration(p) and p.is_file()):
        parsed = (parse_json_file if path.name.endswith(".json") else parse_file)(path, str(path))
        yield from (b for b in parsed.blocks if b.type == "variable" and len(b.labels) == 1)


def declared_variables(root_dir: Path) -> set[str]:
    return {block.labels[0] for block in _variable_blocks(root_dir)}


def variable_default(root_dir: Path, name: str) -> Any:
    """A root variable's default when it is a constant, else None."""
    for block in _variable_blocks(root_dir):
        attr = block.body.attributes.get("default")
        if block.labels[0] == name and attr is not None:
            try:
                return finalize(evaluate_constant(attr.expr, "a variable's default"))
            except EvalError:
                return None
    return None


def check_tfvars(root_dir: Path, skip: Iterable[str] = ()) -> dict[str, Any]:
    """The values of every tfvars file Terraform reads in `root_dir` by itself (files named in `skip`
    left out), later files winning, after syntax and name checks: {} when there is none."""
    skipped = set(skip)
    values: dict[str, Any] = {}
    given: dict[str, Path] = {}
    for path in default_tfvars(root_dir):
        if path.name not in skipped:
            found = read_tfvars(path, str(path))
            values.update(found)
            given.update(dict.fromkeys(found, path))
    unknown = sorted(set(values) - declared_variables(root_dir)) if values else []
    if unknown:
        raise PolicyInputError(f"{given[unknown[0]]}: {', '.join(unknown)}: not declared as a variable in {root_dir}")
    return {name: finalize(value) for name, value in values.items()}
