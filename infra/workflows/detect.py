"""Which env a deployment event targets, from each tier's `delivery` in terraform/tiers.yaml:

    push to feature/*             -> dev
    push to release/*             -> staging
    push to main, or a semver tag -> prod (v1.2.3, v1.2.3-rc.1; never v1.. or v1.2.3-evil)
    pull request into develop     -> dev (the dev preview, WF 05)
    workflow_dispatch              -> its `environment` input, else the rule of the branch it runs on
    anything else                  -> none (and why)

The determine-environment job of the unified deployment calls `infra detect-env`, the event
simulator (`infra workflows which`) uses the same function, and terraform/bootstrap builds the
deploy roles' OIDC trust from the same table, so none of them can disagree. Patterns are GitHub's
filter patterns, so `v[0-9]+.[0-9]+.[0-9]+` means here what it means in a `tags:` trigger.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import InfraError
from infra.workflows.filters import matches_pattern

NONE = "none"
# Events GitHub can send; only push and workflow_dispatch start a deployment.
KNOWN_EVENTS = frozenset(
    {
        "push",
        "pull_request",
        "workflow_dispatch",
        "create",
        "delete",
        "schedule",
        "release",
        "workflow_call",
        "workflow_run",
        "repository_dispatch",
        "merge_group",
        "pull_request_review",
        "issue_comment",
    }
)
DEPLOYING_EVENTS = ("push", "workflow_dispatch", "pull_request")


@dataclass(frozen=True)
class Decision:
    environment: str  # dev, staging, prod or none
    reason: str


@dataclass(frozen=True)
class Ref:
    kind: str  # "branch", "tag" or "pull request" (refs/pull/N/merge)
    name: str

    @classmethod
    def parse(cls, ref: str, tag_patterns: tuple[str, ...] = ()) -> Ref:
        """refs/heads/X, refs/tags/X, or a bare branch name (as `github.ref_name` of a branch push)."""
        ref = ref.strip()
        if not ref:
            raise InfraError("--ref is empty")
        if ref.startswith("refs/heads/"):
            return cls("branch", ref.removeprefix("refs/heads/"))
        if ref.startswith("refs/tags/"):
            return cls("tag", ref.removeprefix("refs/tags/"))
        if ref.startswith("refs/pull/"):
            return cls("pull request", ref.removeprefix("refs/pull/"))
        if ref.startswith("refs/"):
            raise InfraError(f"ref '{ref}' is not a branch (refs/heads/...), a tag (refs/tags/...) or a pull request")
        if any(matches_pattern(pattern, ref) for pattern in tag_patterns):
            raise InfraError(f"ref '{ref}' could be a branch or a tag; pass refs/heads/{ref} or refs/tags/{ref}")
        return cls("branch", ref)


@dataclass(frozen=True)
class Rules:
    """(pattern, env) pairs in tier order, per kind of ref: tiers.yaml's `delivery` sections."""

    branches: tuple[tuple[str, str], ...]
    tags: tuple[tuple[str, str], ...]
    pull_requests_into: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, delivery: dict[str, dict]) -> Rules:
        def pairs(kind: str) -> tuple[tuple[str, str], ...]:
            return tuple((p, env) for env, d in delivery.items() for p in (d or {}).get(kind, []))

        return cls(pairs("branches"), pairs("tags"), pairs("pull_requests_into"))

    def for_ref(self, ref: Ref) -> tuple[tuple[str, str], ...]:
        return {"branch": self.branches, "tag": self.tags}.get(ref.kind, ())

    def match(self, ref: Ref) -> tuple[str, str] | None:
        """The first (pattern, env) rule the ref matches, or None."""
        return next(((p, e) for p, e in self.for_ref(ref) if matches_pattern(p, ref.name)), None)


def detect(
    event: str, ref: str, delivery: dict[str, dict], inputs: dict[str, str] | None = None,
    base_ref: str | None = None,
) -> Decision:
    """delivery: each env's `delivery` section of tiers.yaml, in tier order."""
    envs, rules = list(delivery), Rules.of(delivery)
    inputs = dict(inputs or {})
    if event not in KNOWN_EVENTS:
        raise InfraError(f"unknown event '{event}'; GitHub events include {', '.join(sorted(KNOWN_EVENTS))}")
    unknown = sorted(set(inputs) - {"environment"})
    if unknown:
        raise InfraError(f"unknown input(s) {', '.join(unknown)}: the deployment takes only `environment`")
    if inputs and event != "workflow_dispatch":
        raise InfraError(f"inputs come only with workflow_dispatch, not with {event}")
    parsed = Ref.parse(ref, tuple(p for p, _ in rules.tags))
    chosen = inputs.get("environment", "").strip()
    if chosen:
        if chosen not in envs:
            raise InfraError(f"unknown environment '{chosen}': choose one of {', '.join(envs)}")
        return Decision(chosen, f"the workflow_dispatch input chose {chosen}")
    if event not in DEPLOYING_EVENTS:
        return Decision(NONE, f"{event} events never deploy (only {', '.join(DEPLOYING_EVENTS)} do)")
    if event == "pull_request":
        if not base_ref:
            raise InfraError("a pull_request needs --base-ref (the branch it merges into)")
        base = Ref.parse(base_ref if base_ref.startswith("refs/") else f"refs/heads/{base_ref}")
        if base.kind != "branch":
            raise InfraError(f"--base-ref '{base_ref}' is not a branch: a pull request merges into a branch")
        rule = next(((p, e) for p, e in rules.pull_requests_into if matches_pattern(p, base.name)), None)
        if rule is None:
            known = ", ".join(f"into {p} -> {e}" for p, e in rules.pull_requests_into) or "none take pull requests"
            return Decision(NONE, f"a pull request into {base.name} deploys nothing (only {known})")
        return _checked(rule[1], envs, f"a pull request into {base.name} gets the dev preview")
    if base_ref:
        raise InfraError(f"--base-ref is for pull_request events, not {event}")
    if parsed.kind not in ("branch", "tag"):
        raise InfraError(f"a {event} runs on a branch or a tag, not on {parsed.kind} {parsed.name}")
    rule = rules.match(parsed)
    if rule is None:
        known = ", ".join(f"{p} -> {e}" for p, e in rules.for_ref(parsed))
        return Decision(NONE, f"{parsed.kind} {parsed.name} matches no deployment rule ({known})")
    pattern, env = rule
    return _checked(env, envs, f"{parsed.kind} {parsed.name} matches {pattern}")


def _checked(env: str, envs: list[str], reason: str) -> Decision:
    if env not in envs:
        raise InfraError(f"{reason}, which maps to {env}; terraform/envs has no {env}")
    return Decision(env, reason)
