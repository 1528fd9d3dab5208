"""S3 bucket policies: a statement applies only when its Condition holds (requests count as TLS).

moto 5.2.5: object requests (``PutObject``, ``GetObject``, ``HeadObject``,
``DeleteObject``, each key of ``DeleteObjects``) are checked against the bucket
policy by ``moto.s3.models.FakeBucket.get_permission``, which calls
``moto.iam.access_control.IAMPolicy.is_action_permitted`` with no request
context.  Its condition check (``IAMPolicyStatement._check_conditions`` /
``moto.iam.policy_conditions``) only knows ``StringEquals`` and *ignores* every
other operator, so a ``Deny`` whose condition cannot match still matches: the
usual TLS-only statement ``{"Effect": "Deny", "Action": "s3:*", "Condition":
{"Bool": {"aws:SecureTransport": "false"}}}`` denies every object request
(HTTP 403 with an empty body; ``DeleteObjects`` reports ``AccessDenied`` per
key).  Bucket-level calls such as ``ListObjectsV2`` are not checked against
the bucket policy (nor is anything checked against IAM identity policies while
moto's request authentication is off, as here).

Terraform symptom: once ``terraform/bootstrap``'s state bucket or the prod
ALB access-logs bucket has its TLS-only policy, everything that reads or writes
objects in it fails with 403: the S3 backend's state and lock files,
``aws_s3_object``, and ``force_destroy`` emptying the bucket on destroy.

Patch: evaluate each statement's Condition against a request context before
handing the statement, without its Condition, to moto's own action, principal
and resource matching.  The emulator is reached over plain HTTP on loopback but
stands in for an HTTPS endpoint, so ``aws:SecureTransport`` is "true".  The
``s3:x-amz-*`` keys (``s3:x-amz-server-side-encryption``,
``s3:x-amz-server-side-encryption-aws-kms-key-id``, ``s3:x-amz-acl`` ...) are
the request headers of the same name, absent when the header is not sent.  The
operators follow IAM's rules: ``String*`` (incl. ``IgnoreCase``, ``Like``),
``Bool``, ``Arn*``, ``Null`` and the ``...IfExists`` forms; a key absent from
the request makes positive operators false and negated ones (``StringNot*``,
``ArnNot*``) true; an ``...IfExists`` condition on an absent key is true.  So a
``Deny`` on ``StringNotEqualsIfExists s3:x-amz-server-side-encryption =
aws:kms`` still refuses a ``PutObject`` that sends ``AES256`` *or no header at
all*, and allows one that sends ``aws:kms``, as AWS does.  A condition moto
cannot evaluate (any other key such as ``aws:PrincipalArn`` or
``aws:SourceIp``, ``ForAnyValue:`` / ``ForAllValues:``, numeric, date and IP
operators) makes its statement not apply, whatever its effect: an unknowable
Deny no longer blocks everything, and an unknowable Allow grants nothing.
Statements without a Condition are evaluated exactly as before, quirks
included (a ``Principal`` other than ``"*"`` in a dict is not checked; a
``NotResource`` statement counts as an Allow); moto's IAM evaluation itself is
left alone.
"""

from __future__ import annotations

import contextvars
import functools
import json
import re
from collections.abc import Mapping
from typing import Any

SECURE_TRANSPORT = "true"  # the emulator stands in for an HTTPS endpoint

# The headers of the request being authorised (None outside an object request).
_request_headers: contextvars.ContextVar[Mapping[str, str] | None] = contextvars.ContextVar(
    "s3_policy_request_headers", default=None
)

_NEGATED = {"StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "ArnNotEquals", "ArnNotLike"}
_OPERATORS = {
    "StringEquals",
    "StringEqualsIgnoreCase",
    "StringLike",
    "ArnEquals",
    "ArnLike",
    "Bool",
    *_NEGATED,
}


class Unknown(Exception):
    """The condition cannot be evaluated here."""


def request_context(headers: Mapping[str, str] | None) -> dict[str, str | None]:
    """Condition keys (lower case) the emulator knows, with their values (None = absent)."""
    context: dict[str, str | None] = {"aws:securetransport": SECURE_TRANSPORT}
    for name, value in (headers or {}).items():
        if name.lower().startswith("x-amz-"):
            context[f"s3:{name.lower()}"] = value
    return context


def _lookup(key: str, context: Mapping[str, str | None]) -> str | None:
    key = key.lower()
    if key in context:
        return context[key]
    if key.startswith("s3:x-amz-"):
        return None  # a header that was not sent: the key is absent from the request
    raise Unknown(key)


def _like(pattern: str, value: str) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, flags=re.DOTALL) is not None


def _matches(operator: str, expected: str, actual: str) -> bool:
    if operator.startswith("Bool"):
        return expected.lower() == actual.lower()
    if "IgnoreCase" in operator:
        return expected.lower() == actual.lower()
    if "Like" in operator or operator.startswith("Arn"):  # ArnEquals also takes wildcards
        return _like(expected, actual)
    return expected == actual


def _values(raw: Any) -> list[str]:
    items = raw if isinstance(raw, list) else [raw]
    return [str(v).lower() if isinstance(v, bool) else str(v) for v in items]


def condition_holds(operator: str, key: str, expected: Any, context: Mapping[str, str | None]) -> bool:
    """One ``operator: {key: expected}`` entry; raises ``Unknown`` when it cannot be evaluated."""
    if ":" in operator:  # ForAnyValue: / ForAllValues: (multi-valued keys) are not modelled
        raise Unknown(operator)
    if operator == "Null":
        absent = _lookup(key, context) is None
        return any(absent == (v.lower() == "true") for v in _values(expected))
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    if base not in _OPERATORS:
        raise Unknown(operator)
    actual = _lookup(key, context)
    negated = base in _NEGATED
    if actual is None:
        return if_exists or negated
    hit = any(_matches(base, v, actual) for v in _values(expected))
    return not hit if negated else hit


def conditions_hold(block: Mapping[str, Mapping[str, Any]], context: Mapping[str, str | None]) -> bool | None:
    """A whole Condition block: True / False, or None when any part cannot be evaluated."""
    results = []
    for operator, entries in block.items():
        for key, expected in entries.items():
            try:
                results.append(condition_holds(operator, key, expected, context))
            except Unknown:
                results.append(None)
    if False in results:
        return False
    return None if None in results else True


def apply() -> None:
    from moto.iam.access_control import IAMPolicyStatement, PermissionResult
    from moto.s3.models import FakeBucket
    from moto.s3.responses import S3Response

    def get_permission(self: FakeBucket, action: str, resource: str) -> PermissionResult:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        statements = json.loads(self.policy.decode())["Statement"]
        context = request_context(_request_headers.get())
        permitted = False
        for statement in statements if isinstance(statements, list) else [statements]:
            if statement.get("Condition"):
                if conditions_hold(statement["Condition"], context) is not True:
                    continue  # the statement does not apply to this request
                statement = {k: v for k, v in statement.items() if k != "Condition"}
            result = IAMPolicyStatement(statement).is_action_permitted(action, resource)
            if result == PermissionResult.DENIED:
                return result
            permitted = permitted or result == PermissionResult.PERMITTED
        return PermissionResult.PERMITTED if permitted else PermissionResult.NEUTRAL

    key_response = S3Response._key_response

    @functools.wraps(key_response)
    def _key_response(self: S3Response, request: Any, full_url: str) -> Any:
        token = _request_headers.set(dict(request.headers))
        try:
            return key_response(self, request, full_url)
        finally:
            _request_headers.reset(token)

    FakeBucket.get_permission = get_permission
    S3Response._key_response = _key_response
