"""Which AWS objects are a stack's: the default_tags every root puts on what it creates.

Both the leftover inventory (infra) and the live policy (policy) decide membership this way.
"""

from __future__ import annotations

from collections.abc import Iterable

from botocore.exceptions import ClientError

# Bootstrap marks what it creates with `Stack = bootstrap`; env roots never set it. Its per-env
# deploy roles also carry `Environment = <env>`, so an env's scope requires the Stack tag absent.
BOOTSTRAP_STACK_TAG = ("Stack", "bootstrap")


def stack_scope(project_name: str, root: str, bootstrap: bool = False) -> dict[str, str | None]:
    """The default_tags that mark what a root creates (terraform/*/versions.tf); None: tag absent."""
    if bootstrap:
        key, value = BOOTSTRAP_STACK_TAG
        return {"Project": project_name, key: value, "ManagedBy": "terraform"}
    return {"Project": project_name, "Environment": root, "ManagedBy": "terraform", BOOTSTRAP_STACK_TAG[0]: None}


def describe_scope(scope: dict[str, str | None]) -> str:
    return ", ".join(f"{k}={v}" if v is not None else f"no {k} tag" for k, v in scope.items())


def in_scope(tags: dict[str, str], scope: dict[str, str | None]) -> bool:
    return all(tags.get(k) == v for k, v in scope.items())


def tag_dict(items: Iterable[dict] | None, key: str = "Key", value: str = "Value") -> dict[str, str]:
    """AWS's tag lists ([{"Key": k, "Value": v}], or TagKey/TagValue, key/value) as one dict."""
    return {str(t[key]): str(t[value]) for t in items or [] if key in t and value in t}


def unserved_reason(exc: Exception) -> str | None:
    """The endpoint's answer, when a failed call means "this service (or call) is not served here"."""
    if not isinstance(exc, ClientError):
        return None
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    if status == 501 or code in ("NotImplemented", "NotImplementedException", "UnknownOperationException"):
        message = " ".join(str(error.get("Message", "")).split())[:160]
        return f"HTTP {status} {code}: {message}".rstrip(": ")
    return None
