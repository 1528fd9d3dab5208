"""yamldecode() as Terraform does it: YAML 1.1 booleans, timestamps as RFC 3339 strings, string keys."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import yaml

from core import reading
from core.errors import InputError
from policy.hcl.values import EvalError, format_number, norm_number

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[misc, valid-type]
    pass


# Plain scalars resolved as Terraform's YAML library does (checked with `terraform console`): YAML
# 1.1 booleans (yes, on, y...), but 1.2 numbers: 010 is ten, 0o10 eight, 1e3 a number, no 1_000 nor
# sexagesimal 12:30.
_BOOL = re.compile(r"^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)\Z")
_NULL = re.compile(r"^(?:~|null|Null|NULL|)\Z")
_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)\Z")
_FLOAT = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))\Z"
)

_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers
          if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
                         "tag:yaml.org,2002:null")]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", _BOOL, list("yYnNtTfFoO"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:null", _NULL, ["~", "n", "N", ""])
_Loader.add_implicit_resolver("tag:yaml.org,2002:int", _INT, list("-+0123456789"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789."))


def _bool(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    return str(node.value).lower() in ("y", "yes", "true", "on")


def _int(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    text = str(node.value)
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-")
    try:
        if digits.startswith("0x"):
            return sign * int(digits[2:], 16)
        if digits.startswith("0o"):
            return sign * int(digits[2:], 8)
        return sign * int(digits, 10)
    except ValueError:
        raise EvalError(f"invalid YAML integer {text!r}") from None


def _float(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    text = str(node.value)
    if "inf" in text.lower() or "nan" in text.lower():
        raise EvalError("infinity and NaN have no Terraform value")
    try:
        return norm_number(Decimal(text))
    except ArithmeticError:
        raise EvalError(f"invalid YAML number {text!r}") from None


def _mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> Any:
    # Keys become strings as they are read: in a Python dict 1 and true would be one key.
    loader.flatten_mapping(node)
    out: dict[str, Any] = {}
    yield out
    for key_node, value_node in node.value:
        key = _key(loader.construct_object(key_node, deep=True))
        out[key] = loader.construct_object(value_node, deep=True)


_Loader.add_constructor("tag:yaml.org,2002:bool", _bool)
_Loader.add_constructor("tag:yaml.org,2002:int", _int)
_Loader.add_constructor("tag:yaml.org,2002:float", _float)
_Loader.add_constructor("tag:yaml.org,2002:map", _mapping)


def _key(key: Any) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    if isinstance(key, int | Decimal):
        return format_number(key)
    if isinstance(key, float):
        return format_number(norm_number(key))
    return _convert(key) if isinstance(key, str) else str(_convert(key))


def _convert(value: Any) -> Any:
    if isinstance(value, dict):
        return {_key(k): _convert(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_convert(v) for v in value]
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%dT00:00:00Z")
    if isinstance(value, float):
        return norm_number(value)
    if isinstance(value, bytes):
        raise EvalError("binary YAML values are not supported")
    return value


def yaml_decode(text: str) -> Any:
    try:
        return _convert(reading.loads_yaml(text, "yamldecode", "YAML text", loader=_Loader, key=_key))
    except InputError as exc:
        raise EvalError(str(exc).removeprefix("yamldecode: ")) from None
