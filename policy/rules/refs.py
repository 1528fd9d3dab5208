"""Which resource does an attribute point at? Resolved from the references an Unknown carries.

Before apply, `bucket = aws_s3_bucket.logs[0].id` is unknown, but the HCL evaluator and the plan
loader both record what it refers to in `Unknown.reason`. A reason is either absolute
("module.platform.module.load_balancer.aws_s3_bucket.logs[0].id") or relative to the module
that holds the referring resource ("aws_s3_bucket.logs[0].id").
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from policy.model import Resource, Unknown, module_of

_RESOURCE_REF = re.compile(
    r"^(?P<module>(?:module\.[A-Za-z0-9_-]+(?:\[[^\]]*\])?\.)*)(?P<data>data\.)?"
    r"(?P<type>aws_[A-Za-z0-9_]+)\.(?P<name>[A-Za-z0-9_-]+)(?P<index>\[[^\]]*\])?"
)


def referenced_addresses(value: Any, holder: Resource) -> list[str]:
    """Candidate addresses of the resources `value` refers to (empty when it refers to none)."""
    found: list[str] = []
    for reason in _reasons(value):
        match = _RESOURCE_REF.match(reason)
        if not match:
            continue
        module = match["module"].rstrip(".") or module_of(holder.address)
        prefix = f"{module}." if module else ""
        data = "data." if match["data"] else ""
        found.append(f"{prefix}{data}{match['type']}.{match['name']}{match['index'] or ''}")
    return found


def _reasons(value: Any) -> list[str]:
    if isinstance(value, Unknown):
        return [r.strip() for r in value.reason.split(",") if r.strip()]
    if isinstance(value, list | tuple):
        return [r for v in value for r in _reasons(v)]
    return []


def points_at(value: Any, holder: Resource, target: Resource) -> bool:
    """Does `value` (an attribute of holder) refer to target? Also true for equal known names/ids."""
    for address in referenced_addresses(value, holder):
        if address == target.address or (address + "[0]") == target.address:
            return True
        if "[" not in address and target.address.startswith(address + "[") and _same_instance(holder, target):
            return True
    if isinstance(value, str) and value:
        return value in {target.values.get(k) for k in ("id", "bucket", "name", "arn") if isinstance(
            target.values.get(k), str)}
    return False


_LAST_INDEX = re.compile(r"\[([^\]]*)\]\Z")
_NAMES = ("id", "bucket", "name", "arn")


class RefIndex:
    """points_at over many candidate targets at once, for one list of resources: the candidates are
    looked up by address and by known name instead of being tried one by one (which made a plan of
    thousands of resources quadratic)."""

    def __init__(self, resources: Iterable[Resource]) -> None:
        self._by_address: dict[str, Resource] = {}
        self._by_base: dict[str, list[Resource]] = defaultdict(list)  # address without its last index
        self._by_name: dict[str, list[Resource]] = defaultdict(list)  # known id, bucket, name or arn
        for r in resources:
            self._by_address.setdefault(r.address, r)
            if last := _LAST_INDEX.search(r.address):
                self._by_base[r.address[: last.start()]].append(r)
            for name in {r.values.get(k) for k in _NAMES}:
                if isinstance(name, str) and name:
                    self._by_name[name].append(r)

    def targets(self, value: Any, holder: Resource, types: tuple[str, ...] | None) -> list[Resource]:
        """The managed resources (of `types`; None: any) that points_at(value, holder, target) holds
        for, without repeats."""
        found: dict[str, Resource] = {}
        for address in referenced_addresses(value, holder):
            for candidate in (self._by_address.get(address), self._by_address.get(address + "[0]")):
                if candidate is not None:
                    found[candidate.address] = candidate
            if "[" not in address:
                for candidate in self._by_base.get(address, ()):
                    if candidate.address.startswith(address + "[") and _same_instance(holder, candidate):
                        found[candidate.address] = candidate
        if isinstance(value, str) and value:
            for candidate in self._by_name.get(value, ()):
                found[candidate.address] = candidate
        return [r for r in found.values() if r.mode == "managed" and (types is None or r.type in types)]


def _same_instance(holder: Resource, target: Resource) -> bool:
    """A reference that lost its index (`aws_iam_role.this[each.key]` in a plan) reaches the target
    instance with the holder's own key when both are keyed alike: for_each over the same set."""
    mine, theirs = _LAST_INDEX.search(holder.address), _LAST_INDEX.search(target.address)
    if not mine or not theirs or mine[1].startswith('"') != theirs[1].startswith('"'):
        return True
    return mine[1] == theirs[1]


def refers_to_type(value: Any, holder: Resource, *types: str) -> bool:
    """Does value refer (as far as known) to a resource of one of these types?"""
    for address in referenced_addresses(value, holder):
        tail = address.split(".")
        if any(t in tail for t in types):
            return True
    return False
