"""The policy engine's data model: resources as rules see them, and the findings rules make.

A rule sees the same `Resource` whether it came from the HCL of an env root (before any plan),
from a plan JSON (after the plan) or from the live emulator: `values` has the shape of a plan's
`change.after` (attributes by name, nested blocks as lists of dicts). A value that cannot be
known yet is an `Unknown`, never None: None means "not set", which a rule may well reject.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from enum import Enum, StrEnum
from typing import Any

from core.errors import InputError


class Level(StrEnum):
    """Enforcement levels, after Sentinel's model."""

    ADVISORY = "advisory"  # reported, never fails
    SOFT = "soft-mandatory"  # fails unless overridden with a reason
    HARD = "hard-mandatory"  # always fails


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class Source(StrEnum):
    HCL = "hcl"
    PLAN = "plan"
    LIVE = "live"


class Unknown:
    """A value not known yet (computed at plan or apply), with what it depends on when known.

    `partial` holds what is known of a structured value: jsonencode() of a policy whose ARNs are
    not known yet still has known actions and effects, which a rule can check before the plan.
    """

    __slots__ = ("partial", "reason")

    def __init__(self, reason: str = "", partial: Any = None) -> None:
        self.reason = reason
        self.partial = partial

    def __repr__(self) -> str:
        return f"Unknown({self.reason!r})" if self.reason else "Unknown()"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unknown)

    def __hash__(self) -> int:
        return hash(Unknown)

    def __bool__(self) -> bool:
        # Truth of an unknown is a question a rule must ask explicitly (is_unknown), not by accident.
        raise TypeError("the truth of an Unknown value is undefined; test is_unknown() first")


class Shape(str):
    """What is known of a string not known before the plan: its literal parts, with `{unknown}` for
    each part that is not ("arn:{unknown}:iam::{unknown}:role/app-*"). Kept as an Unknown's partial."""

    PART = "{unknown}"


def is_unknown(value: Any) -> bool:
    return isinstance(value, Unknown)


def has_unknown(value: Any) -> bool:
    """True when value or anything nested in it is Unknown."""
    if isinstance(value, Unknown):
        return True
    if isinstance(value, dict):
        return any(has_unknown(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(has_unknown(v) for v in value)
    return False


@dataclass
class Resource:
    """One resource instance (or data source) as the rules see it."""

    address: str  # e.g. module.platform.module.database.aws_rds_cluster.this
    type: str  # e.g. aws_rds_cluster
    values: dict[str, Any]
    env: str
    source: Source
    file: str | None = None  # relative to the repository root when known
    line: int | None = None
    mode: str = "managed"  # or "data"

    def get(self, path: str, default: Any = None) -> Any:
        """Dotted look-up through dicts and lists: get("ingress.0.cidr_blocks")."""
        current: Any = self.values
        for part in path.split("."):
            if isinstance(current, Unknown):
                return current
            if isinstance(current, dict):
                if part not in current:
                    return default
                current = current[part]
            elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
                current = current[int(part)]
            else:
                return default
        return current

    def blocks(self, name: str) -> list[dict[str, Any]]:
        """A nested block as a list of dicts, whatever shape the source gave it."""
        value = self.values.get(name)
        if isinstance(value, dict):
            return [value]
        if isinstance(value, list):
            return [v for v in value if isinstance(v, dict)]
        return []  # absent, unknown, or not a block at all (a hostile `name = 5`)


def acu(value: Any) -> float | None:
    """An Aurora Serverless v2 capacity (0.5, 2, "2" in a plan) as a finite number >= 0; None for anything
    else (unknown, text, a boolean)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) and number >= 0 else None


def serverless_scaling(instance: Resource, clusters: Iterable[Resource]) -> tuple[Resource, dict[str, Any]] | None:
    """The cluster of an Aurora instance (the one aws_rds_cluster in its module) and that cluster's
    serverlessv2_scaling_configuration block; None without exactly one cluster or without the block."""
    module = module_of(instance.address)
    mine = [c for c in clusters if module_of(c.address) == module]
    scaling = mine[0].blocks("serverlessv2_scaling_configuration") if len(mine) == 1 else []
    return (mine[0], scaling[0]) if scaling else None


def module_of(address: str) -> str:
    """The module instance that holds a resource: module.platform.module.database for
    module.platform.module.database.aws_rds_cluster_instance.this[0]; "" for the root."""
    parts = address.split(".")
    prefix: list[str] = []
    while len(parts) >= 2 and parts[0] == "module":
        prefix += parts[:2]
        parts = parts[2:]
    return ".".join(prefix)


@dataclass
class Finding:
    """One rule's verdict on one resource; `status` is "fail" or "unknown" (not decidable yet)."""

    rule: str
    title: str
    family: str  # sizing, security, cost
    severity: Severity
    level: Level
    env: str
    resource: str
    message: str
    remediation: str
    actual: Any = None
    expected: Any = None
    file: str | None = None
    line: int | None = None
    source: Source = Source.HCL
    status: str = "fail"
    suppressed: str | None = None  # the reason of the policy/suppressions.yaml entry that covers it
    overridden: str | None = None  # the reason given with `--override` (soft-mandatory only)

    @property
    def blocking(self) -> bool:
        """Does this finding fail the gate?

        At run time only a soft-mandatory finding can be overridden (with a reason), as in Sentinel.
        A hard-mandatory one passes only through an entry of the suppressions file: an exception
        that was reviewed like code, carries its reason and expires.
        """
        if self.status != "fail" or self.level is Level.ADVISORY or self.suppressed:
            return False
        return not (self.level is Level.SOFT and self.overridden)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(severity=str(self.severity), level=str(self.level), source=str(self.source))
        data["actual"] = jsonable(self.actual)
        data["expected"] = jsonable(self.expected)
        data["blocking"] = self.blocking
        return data


def jsonable(value: Any) -> Any:
    if isinstance(value, Unknown):
        return "(unknown until plan)" if not value.reason else f"(unknown until plan: {value.reason})"
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    return value


class PolicyInputError(InputError):
    """Malformed input (HCL, tfvars, plan JSON, suppressions): one line, exit 2."""

    exit_code = 2


__all__ = [
    "EnvResult",
    "Finding", "Level", "PolicyInputError", "Resource", "Severity", "Shape", "Source", "Unknown",
    "has_unknown", "is_unknown", "jsonable", "module_of",
]


@dataclass
class EnvResult:
    """Everything the gate found for one env: what the reports render."""

    env: str
    findings: list[Finding]
    plan: dict[str, int] | None = None  # {"add": n, "change": n, "destroy": n} when a plan ran
    cost_rows: list[dict[str, Any]] | None = None  # line items of the cost estimate, if any
    cost_total: str | None = None  # e.g. "$1,234-$1,567/month"
    steps: dict[str, str] | None = None  # step name -> "ok" / "failed: reason" / "skipped"
    timings: dict[str, float] | None = None  # step name -> seconds

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.blocking]

    @property
    def passed(self) -> bool:
        failed_steps = [s for s in (self.steps or {}).values() if s.startswith("failed")]
        return not self.blocking and not failed_steps
