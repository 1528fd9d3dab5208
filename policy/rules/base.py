"""What a rule is: a small documented unit that turns resources into findings.

A rule names the resource types it reads and checks one resource at a time (`check`), or the
whole stack of one env at once (`check_stack`) when the question is about several resources
(does any HTTPS listener exist? is this security group the load balancer's?). The same rule runs
on the HCL of an env root, on its plan JSON and on the live emulator: `Resource` looks the same.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from policy.model import Finding, Level, Resource, Severity, Source, Unknown, is_unknown
from policy.rules.refs import RefIndex


@dataclass
class Context:
    """What a rule may read besides the resources: the env, its tier and the policy section."""

    env: str
    tier: dict[str, Any]
    policy: dict[str, Any]
    source: Source
    resources: list[Resource] = field(default_factory=list)
    all_tiers: dict[str, dict[str, Any]] = field(default_factory=dict)  # every tier, for cross-tier rules
    workflow_environments: set[str] | None = None  # None until .github/workflows exists
    # What rules compute once per stack (indexes, boundary pins): a plan of thousands of resources
    # must not be scanned once per resource. Keyed by the resource list it was computed from.
    _memo: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def production(self) -> bool:
        return self.env in self.policy.get("production_tiers", [])

    def memo(self, key: Any, compute: Callable[[], Any]) -> Any:
        """compute(), once per key for this context's resources."""
        full = (id(self.resources), len(self.resources), key)
        if full not in self._memo:
            self._memo[full] = compute()
        return self._memo[full]

    def _by_type(self) -> dict[tuple[str, str], list[Resource]]:
        def index() -> dict[tuple[str, str], list[Resource]]:
            found: dict[tuple[str, str], list[Resource]] = defaultdict(list)
            for r in self.resources:
                found[(r.mode, r.type)].append(r)
            return found

        return self.memo("by-type", index)

    def of_type(self, *types: str) -> list[Resource]:
        return self._of_type("managed", types)

    def data_of_type(self, *types: str) -> list[Resource]:
        return self._of_type("data", types)

    def _of_type(self, mode: str, types: tuple[str, ...]) -> list[Resource]:
        """The resources of those types, in stack order."""
        by_type = self._by_type()
        if len(types) == 1:
            return list(by_type.get((mode, types[0]), ()))
        return list(self.memo(("of-types", mode, types), lambda: [
            r for r in self.resources if r.type in types and r.mode == mode]))

    def pointed_at(self, value: Any, holder: Resource, *types: str) -> list[Resource]:
        """The resources of `types` that `value` (an attribute of holder) refers to (see refs.points_at)."""
        return self.memo("refs", lambda: RefIndex(self.resources)).targets(value, holder, types)

    def referrers(self, target: Resource, attribute: str, *types: str) -> list[Resource]:
        """The resources of `types` whose `attribute` refers to target, in stack order."""
        def invert() -> dict[str, list[Resource]]:
            index: RefIndex = self.memo("refs", lambda: RefIndex(self.resources))
            by_target: dict[str, list[Resource]] = defaultdict(list)
            for holder in self.resources:
                if holder.type in types and holder.mode == "managed":
                    for pointed in index.targets(holder.get(attribute), holder, None):
                        by_target[pointed.address].append(holder)
            return by_target

        return list(self.memo(("referrers", attribute, types), invert).get(target.address, ()))


class Rule:
    """Subclasses set the class attributes and implement check() and/or check_stack()."""

    id: ClassVar[str]
    slug: ClassVar[str]  # short name for reports: "prod / security / rds-encryption"
    title: ClassVar[str]
    family: ClassVar[str]  # sizing | security | cost
    severity: ClassVar[Severity] = Severity.HIGH
    level: ClassVar[Level] = Level.HARD
    resource_types: ClassVar[tuple[str, ...]] = ()
    production_only: ClassVar[bool] = False
    rationale: ClassVar[str] = ""
    remediation: ClassVar[str] = ""

    def applies(self, ctx: Context) -> bool:
        return ctx.production or not self.production_only

    def run(self, ctx: Context) -> Iterator[Finding]:
        if not self.applies(ctx):
            return
        for resource in ctx.resources:
            if resource.type in self.resource_types and resource.mode == "managed":
                yield from self.check(resource, ctx)
        yield from self.check_stack(ctx)

    def check(self, resource: Resource, ctx: Context) -> Iterable[Finding]:
        return ()

    def check_stack(self, ctx: Context) -> Iterable[Finding]:
        return ()

    # -- helpers for subclasses ----------------------------------------------------------------

    def fail(
        self, ctx: Context, resource: Resource | str, message: str, *, actual: Any = None, expected: Any = None,
        remediation: str | None = None, level: Level | None = None,
    ) -> Finding:
        return self._finding(ctx, resource, message, actual, expected, remediation, level, "fail")

    def unknown(self, ctx: Context, resource: Resource, attribute: str, value: Any = None) -> Finding:
        """The value this rule needs is not known yet: say so instead of passing silently."""
        when = {Source.PLAN: "until apply", Source.LIVE: "on the live endpoint"}.get(ctx.source, "until plan")
        reason = f" (depends on {value.reason})" if is_unknown(value) and value.reason else ""
        return self._finding(
            ctx, resource, f"{attribute} is unknown {when}{reason}; this rule cannot decide yet",
            Unknown(value.reason if is_unknown(value) else ""), None, None, Level.ADVISORY, "unknown",
        )

    def _finding(
        self, ctx: Context, resource: Resource | str, message: str, actual: Any, expected: Any,
        remediation: str | None, level: Level | None, status: str,
    ) -> Finding:
        res = resource if isinstance(resource, Resource) else None
        return Finding(
            rule=self.id, title=self.title, family=self.family, severity=self.severity,
            level=level or self.level, env=ctx.env,
            resource=res.address if res else str(resource),
            message=message, remediation=remediation or self.remediation,
            actual=actual, expected=expected,
            file=res.file if res else None, line=res.line if res else None,
            source=ctx.source, status=status,
        )


def as_bool(value: Any) -> Any:
    """The provider keeps some booleans as strings ("true" for at_rest_encryption_enabled)."""
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def as_list(value: Any) -> list[Any]:
    """A scalar or a list as a list (policy JSON allows both for Action, Resource, ...)."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]
