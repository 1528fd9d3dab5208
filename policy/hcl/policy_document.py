"""`data.aws_iam_policy_document.X.json` rendered from the data source's blocks as the AWS provider does.

Checked against the provider (tests/policy/test_hcl_policy_document.py): statement keys in the
provider's struct order, Effect "Allow" by default, set-valued lists (actions, resources,
identifiers) de-duplicated and sorted in reverse, condition values in the given order, one element written as a plain
string, principals and conditions merged by type and test, `Principal: "*"` for type "*", and
`source_policy_documents` / `override_policy_documents` merged by Sid.
"""

from __future__ import annotations

from typing import Any

from policy.hcl.values import EvalError, first_unknown, json_decode, json_encode
from policy.model import Unknown, has_unknown

VERSION = "2012-10-17"
STATEMENT_KEYS = ("Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "NotPrincipal",
                  "Condition")
_LISTS = (("actions", "Action"), ("not_actions", "NotAction"), ("resources", "Resource"),
          ("not_resources", "NotResource"))


def _string_set(value: Any) -> Any:
    """A set-typed list as the provider writes it: None when empty, a string when one."""
    if value is None:
        return None
    if isinstance(value, Unknown):
        return value
    items: list[Any] = []
    for item in value:
        if not any(_same(item, seen) for seen in items):
            items.append(item)
    if not items:
        return None
    if not has_unknown(items):
        items = sorted(items, reverse=True)
    return items[0] if len(items) == 1 else items


def _same(a: Any, b: Any) -> bool:
    return not isinstance(a, Unknown) and not isinstance(b, Unknown) and a == b


def _principals(blocks: Any) -> Any:
    if blocks is None or blocks == []:
        return None
    if isinstance(blocks, Unknown):
        return blocks
    merged: dict[Any, list[Any]] = {}
    for block in blocks:
        kind = block.get("type")
        if isinstance(kind, Unknown):
            return Unknown(kind.reason)
        identifiers = block.get("identifiers")
        if isinstance(identifiers, Unknown):
            merged.setdefault(kind, []).append(identifiers)
            continue
        if kind == "*":
            return "*"
        merged.setdefault(kind, []).extend(identifiers or [])
    out: dict[str, Any] = {}
    for kind in sorted(merged, key=str):
        ids = merged[kind]
        out[kind] = ids[0] if len(ids) == 1 and isinstance(ids[0], Unknown) else _string_set(ids)
    return out


def _conditions(blocks: Any) -> Any:
    if blocks is None or blocks == []:
        return None
    if isinstance(blocks, Unknown):
        return blocks
    merged: dict[Any, dict[Any, list[Any]]] = {}
    for block in blocks:
        test, variable, values = block.get("test"), block.get("variable"), block.get("values")
        if isinstance(test, Unknown) or isinstance(variable, Unknown):
            return Unknown((test if isinstance(test, Unknown) else variable).reason)
        bucket = merged.setdefault(test, {}).setdefault(variable, [])
        if isinstance(values, Unknown):
            bucket.append(values)
        else:
            bucket.extend(values or [])
    out: dict[str, Any] = {}
    for test in sorted(merged, key=str):
        out[test] = {}
        for variable in sorted(merged[test], key=str):
            values = merged[test][variable]
            # values is a list in the provider's schema, not a set: kept in the given order.
            out[test][variable] = values[0] if len(values) == 1 else values
    return out


def _statement(block: dict[str, Any]) -> dict[str, Any]:
    st: dict[str, Any] = {}
    sid = block.get("sid")
    if sid not in (None, ""):
        st["Sid"] = sid
    effect = block.get("effect")
    st["Effect"] = "Allow" if effect in (None, "") else effect
    for arg, key in _LISTS:
        value = _string_set(block.get(arg))
        if value is not None:
            st[key] = value
    for arg, key in (("principals", "Principal"), ("not_principals", "NotPrincipal")):
        value = _principals(block.get(arg))
        if value is not None:
            st[key] = value
    condition = _conditions(block.get("condition"))
    if condition is not None:
        st["Condition"] = condition
    return st


def _sorted_deep(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted_deep(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, list):
        return [_sorted_deep(v) for v in value]
    return value


def _parsed_statement(raw: Any) -> Any:
    # The provider re-marshals parsed documents through its own struct: its key order, maps sorted.
    if not isinstance(raw, dict):
        return raw
    st = {key: raw[key] for key in STATEMENT_KEYS if key in raw and raw[key] not in (None, "", [])}
    for key in ("Principal", "NotPrincipal", "Condition"):
        if key in st:
            st[key] = _sorted_deep(st[key])
    return st


def _parse_document(text: Any) -> tuple[dict[str, Any] | None, Unknown | None]:
    """A source/override document: (its dict, or None) and the Unknown it came from, if any."""
    if isinstance(text, Unknown):
        partial = text.partial if isinstance(text.partial, dict) else None
        return partial, text
    if not isinstance(text, str) or text == "":
        return None, None
    try:
        doc = json_decode(text)
    except EvalError:
        raise EvalError("a source or override policy document is not valid JSON") from None
    if not isinstance(doc, dict):
        raise EvalError("a source or override policy document is not a JSON object")
    return doc, None


def _doc_statements(doc: dict[str, Any]) -> list[Any]:
    raw = doc.get("Statement")
    if raw is None:
        return []
    if isinstance(raw, dict):
        raw = [raw]
    if isinstance(raw, Unknown):
        return [raw]
    return [_parsed_statement(s) for s in raw] if isinstance(raw, list) else []


def _sid(statement: Any) -> Any:
    return statement.get("Sid") if isinstance(statement, dict) else None


def _merge(statements: list[Any], new: list[Any]) -> None:
    for statement in new:
        sid = _sid(statement)
        if isinstance(sid, str) and sid:
            for i, existing in enumerate(statements):
                if _sid(existing) == sid:
                    statements[i] = statement
                    break
            else:
                statements.append(statement)
        else:
            statements.append(statement)


def render(values: dict[str, Any]) -> tuple[dict[str, Any], list[Unknown]]:
    """The policy document as a dict (JSON-shaped), and the unknown documents it was built from."""
    unknown_sources: list[Unknown] = []
    statements: list[Any] = []
    for text in _as_list(values.get("source_policy_documents")):
        doc, unknown = _parse_document(text)
        if unknown is not None:
            unknown_sources.append(unknown)
        if doc is not None:
            for st in _doc_statements(doc):
                _merge(statements, [st])
    blocks = values.get("statement")
    if isinstance(blocks, Unknown):
        unknown_sources.append(blocks)
        blocks = blocks.partial if isinstance(blocks.partial, list) else []
    _merge(statements, [_statement(b) for b in blocks or [] if isinstance(b, dict)])
    version = _given(values.get("version"), VERSION)
    policy_id = values.get("policy_id")
    for text in _as_list(values.get("override_policy_documents")):
        doc, unknown = _parse_document(text)
        if unknown is not None:
            unknown_sources.append(unknown)
        if doc is None:
            continue
        _merge(statements, _doc_statements(doc))
        version = _given(doc.get("Version"), version)
        policy_id = _given(doc.get("Id"), policy_id)
    out: dict[str, Any] = {"Version": version}
    if policy_id not in (None, ""):
        out["Id"] = policy_id
    if statements:
        out["Statement"] = statements
    return out, unknown_sources


def _given(value: Any, default: Any) -> Any:
    # Not `value or default`: the truth of an Unknown is undefined.
    return default if value is None or (isinstance(value, str) and value == "") else value


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, Unknown):
        return [value]
    return list(value)


def policy_json(values: dict[str, Any], address: str) -> tuple[Any, Any]:
    """(json, minified_json): strings, or Unknown(reason, partial=document) when any part is unknown."""
    doc, unknown_sources = render(values)
    if unknown_sources or has_unknown(doc):
        inner = first_unknown(doc)
        if inner is None and unknown_sources:
            inner = unknown_sources[0]
        reason = f"{address}.json: {inner.reason}" if inner is not None and inner.reason else f"{address}.json"
        return Unknown(reason, partial=doc), Unknown(reason, partial=doc)
    return json_encode(doc, indent="  ", sort_keys=False), json_encode(doc, sort_keys=False)
