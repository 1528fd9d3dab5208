"""Escalation paths and exposure in IAM documents.

cloudsplaining keeps the catalogue of privilege-escalation paths (Rhino Security Labs' list and
its successors: PutRolePolicy, PassRole plus a compute service, UpdateAssumeRolePolicy, ...), but it
only looks at grants on Resource "*". A deploy role scoped to `<project>-dev-*` roles is no safer
when it can write any policy onto those roles and then assume them. So every statement is judged
here whatever its resources, and what makes a scoped grant safe is named explicitly:

- a write to a role's or user's permissions is bounded when the statement pins the
  `iam:PermissionsBoundary` condition to named policies: whatever the role gets, the boundary caps it;
- iam:PassRole is bounded when it only reaches role names that the same principal may create
  with that boundary and no other way;
- a policy-version write is bounded when it cannot reach a boundary policy itself.

A Deny takes a grant away only when it has no condition, because a conditional Deny may not apply.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from policy.iam.actions import expand, lookup
from policy.model import Shape

BOUNDARY_KEY = "iam:permissionsboundary"
# Rewriting, or making default, a version of a managed policy: harmless on a policy only bounded
# roles can carry, an escalation on the boundary itself.
POLICY_VERSION_WRITES = frozenset(
    {"iam:createpolicyversion", "iam:setdefaultpolicyversion", "iam:deletepolicyversion", "iam:deletepolicy"}
)
BOUNDARY_REMOVAL = frozenset({"iam:deleterolepermissionsboundary", "iam:deleteuserpermissionsboundary"})
_PINNING_OPERATORS = ("StringEquals", "ArnEquals", "StringLike", "ArnLike")


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


@dataclass(frozen=True)
class Statement:
    effect: str
    actions: frozenset[str]  # lower-case action names, patterns expanded (NotAction: everything else)
    resources: tuple[str, ...]
    not_resources: tuple[str, ...]
    condition: dict[str, Any]
    sid: str
    source: str  # the document it came from, for messages


def statements(doc: dict[str, Any], source: str = "") -> list[Statement]:
    """The statements of one policy document, with their action patterns expanded."""
    found = []
    for index, raw in enumerate(_as_list(doc.get("Statement"))):
        if not isinstance(raw, dict):
            continue
        if "NotAction" in raw:
            excluded = {a.name.lower() for p in _as_list(raw["NotAction"]) if isinstance(p, str) for a in expand(p)}
            actions = frozenset(a.name.lower() for a in expand("*")) - excluded
        else:
            actions = frozenset(
                a.name.lower() for p in _as_list(raw.get("Action")) if isinstance(p, str) for a in expand(p)
            )
        resources = tuple(_pattern(r) for r in _as_list(raw.get("Resource")))
        not_resources = tuple(_pattern(r) for r in _as_list(raw.get("NotResource")))
        found.append(
            Statement(
                effect=str(raw.get("Effect", "Allow")),
                actions=actions,
                resources=resources if resources or not_resources else ("*",),
                not_resources=not_resources,
                condition=raw.get("Condition") if isinstance(raw.get("Condition"), dict) else {},
                sid=str(raw.get("Sid") or index),
                source=source,
            )
        )
    return found


def _pattern(value: Any) -> str:
    """A Resource entry as a pattern. One not known before the plan keeps what is known of it, its
    unknown parts (a partition, an account id) read as wildcards: "arn:*:iam::*:role/app-*". One of
    which nothing is known names some specific resource, and becomes a token that matches no other
    entry, so an unknown Deny takes nothing away."""
    if isinstance(value, str):
        return value
    shape = getattr(value, "partial", None)
    if isinstance(shape, Shape) and shape != Shape.PART:
        return str(shape).replace(Shape.PART, "*")
    return f"<not known before the plan: {id(value)}>"


def boundaries_pinned(st: Statement) -> list[Any] | None:
    """The permissions-boundary ARNs the statement requires (as given: a value not known before the
    plan refers to one policy), or None when it does not pin one.

    `...IfExists` does not pin: a request that sets no boundary passes it.
    """
    for operator, keys in st.condition.items():
        if operator.split(":")[-1] not in _PINNING_OPERATORS or not isinstance(keys, dict):
            continue
        for key, values in keys.items():
            arns = _as_list(values)
            wildcard = any(isinstance(a, str) and ("*" in a or "?" in a) for a in arns)
            if key.lower() == BOUNDARY_KEY and arns and not wildcard:
                return arns
    return None


def _matches(value: str, pattern: str) -> bool:
    return fnmatch.fnmatchcase(value, pattern)


@dataclass(frozen=True)
class Escalation:
    path: str  # a cloudsplaining method name, or RemovePermissionsBoundary / RewritePermissionsBoundary
    actions: tuple[str, ...]
    detail: str


class Principal:
    """Everything one principal (a role, say) is allowed: the statements of all its identity policies."""

    def __init__(self, docs: Iterable[tuple[str, dict[str, Any]]]):
        self.statements = [st for source, doc in docs for st in statements(doc, source)]
        self.allows = [s for s in self.statements if s.effect == "Allow"]
        self.denies = [s for s in self.statements if s.effect == "Deny" and not s.condition]
        self.boundaries = sorted({str(b) for s in self.allows for b in (boundaries_pinned(s) or [])})
        # Role names this principal may create, and only with a boundary.
        creatable = [s for s in self.allows if "iam:createrole" in s.actions]
        self._bounded_roles = [r for s in creatable if boundaries_pinned(s) for r in s.resources]
        self._unbounded_roles = [r for s in creatable if not boundaries_pinned(s) for r in s.resources]

    def denied(self, action: str, resource: str) -> bool:
        """Is the action on every resource the pattern `resource` names taken away by an unconditional Deny?"""
        for deny in self.denies:
            if action not in deny.actions:
                continue
            if deny.not_resources:
                if not any(_matches(resource, nr) or _matches(nr, resource) for nr in deny.not_resources):
                    return True
            elif any(_matches(resource, r) for r in deny.resources):
                return True
        return False

    def reach(self, action: str) -> list[str]:
        """The resource patterns the action is allowed on, after the unconditional denies: an Allow on
        "*" with a Deny on NotResource X reaches X only."""
        found: list[str] = []
        for st in self.allows:
            if action not in st.actions:
                continue
            for resource in st.resources:
                if self.denied(action, resource):
                    continue
                narrowed = [nr for d in self.denies if action in d.actions for nr in d.not_resources
                            if _matches(nr, resource)]
                found.extend(narrowed or [resource])
        return found

    def allowed(self, action: str) -> bool:
        return any(action in s.actions and not all(self.denied(action, r) for r in s.resources) for s in self.allows)

    def _pass_role_bounded(self, resource: str) -> bool:
        return any(_matches(resource, p) for p in self._bounded_roles) and not any(
            _matches(resource, p) or _matches(p, resource) for p in self._unbounded_roles
        )

    def escalations(self) -> list[Escalation]:
        from cloudsplaining.scan.policy_document import PolicyDocument

        found: list[Escalation] = []
        unbounded: list[dict[str, Any]] = []  # what cloudsplaining should judge: the grants nothing bounds
        for st in self.allows:
            pinned = boundaries_pinned(st) is not None
            kept = set()
            for action in st.actions:
                resources = [r for r in st.resources if not self.denied(action, r)]
                if not resources:
                    continue
                info = lookup(action)
                if action in BOUNDARY_REMOVAL:
                    found.append(Escalation("RemovePermissionsBoundary", (info.name if info else action,),
                                            f"{st.source}: statement {st.sid} may remove a permissions boundary"))
                    continue
                if pinned and info is not None and info.supports(BOUNDARY_KEY):
                    continue
                if action == "iam:passrole" and all(self._pass_role_bounded(r) for r in resources):
                    continue
                if action in POLICY_VERSION_WRITES and self.boundaries:
                    hits = [b for b in self.boundaries if any(_matches(b, r) for r in resources)
                            and not self.denied(action, b)]
                    if hits:
                        found.append(Escalation("RewritePermissionsBoundary", (info.name if info else action,),
                                                f"{st.source}: statement {st.sid} may rewrite its own permissions "
                                                f"boundary {hits[0]}"))
                    continue
                kept.add(action)
            if kept:
                unbounded.append({"Effect": "Allow", "Action": sorted(kept), "Resource": "*"})
        if unbounded:
            document = PolicyDocument({"Version": "2012-10-17", "Statement": unbounded},
                                      flag_conditional_statements=True, flag_resource_arn_statements=True)
            for path in document.allows_privilege_escalation:
                names = tuple((lookup(a).name if lookup(a) else a) for a in path["actions"])
                found.append(Escalation(path["type"], names, _explain(path["type"], names, self.allows)))
        return found


def _explain(path: str, actions: tuple[str, ...], allows: list[Statement]) -> str:
    where = sorted({f"{s.source}: {s.sid}" for s in allows for a in actions if a.lower() in s.actions})
    return f"{' + '.join(actions)} (granted by {', '.join(where[:3])}{', ...' if len(where) > 3 else ''})"


def exposed_actions(doc: dict[str, Any]) -> list[str]:
    """Actions a resource policy allows to anyone on the internet (cloudsplaining's reading).

    A value not known before the plan (a role's ARN, say) names something specific, so it is read
    as a name that exposes nothing; the plan's own run sees the real value.
    """
    from cloudsplaining.scan.resource_policy_document import ResourcePolicyDocument

    statements_ = [_known(s) for s in _as_list(doc.get("Statement")) if isinstance(s, dict) and "Effect" in s]
    return sorted(set(ResourcePolicyDocument({"Statement": statements_}).internet_accessible_actions))


def _known(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _known(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_known(v) for v in value]
    return value if isinstance(value, str | int | float | bool) or value is None else "(unknown until plan)"
