"""The one reader of which AWS objects carry a stack's tags, for the leftover inventory (infra) and
the live policy (policy).

Each service's own listing says what exists (and in which state: a key pending deletion, an inactive
service); this reader says what each object's tags are. Where the endpoint serves the Resource Groups
Tagging API, one paginated `GetResources` answers for every object of the types in `TAGGING_API_TYPES`,
instead of one tag call per object; elsewhere (LocalStack's free tier, a role without
`tag:GetResources`, the other types) the service's own tag call answers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from core.scope import in_scope, unserved_reason

# ARN types ("<service>:<resource type>", or the service alone where the ARN names none) whose tags
# GetResources returns both on AWS (its supported-resources table) and on the emulator (moto's taggable
# backends). Not here, so asked per object: IAM, ECR, AppConfig, Application Auto Scaling, and RDS
# subnet and parameter groups and ElastiCache parameter and user groups, which moto's GetResources
# leaves out. A type wrongly listed here would hide objects; tests/integration/test_harness.py checks
# that the inventory finds the same objects with and without the Tagging API.
TAGGING_API_TYPES = frozenset({
    "acm:certificate", "cloudwatch:alarm", "elasticache:cluster", "elasticache:replicationgroup",
    "elasticache:subnetgroup", "elasticache:user", "elasticloadbalancing:loadbalancer",
    "elasticloadbalancing:targetgroup", "kms:key", "logs:log-group", "rds:cluster", "rds:db", "s3", "sns",
})

# What a denied or absent GetResources answers: then every object is asked its own way.
_NOT_AVAILABLE = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"})


def _key(arn: str) -> str:
    """An ARN without its partition and a log group's trailing ":*" (the two spellings AWS uses)."""
    return arn.split(":", 2)[-1].removesuffix(":*")


def arn_type(arn: str) -> str:
    """'arn:aws:rds:us-east-1:1:subgrp:x' -> 'rds:subgrp'; 'arn:aws:s3:::bucket' -> 's3'."""
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return ""
    service, resource = parts[2], parts[5]
    match = re.match(r"([A-Za-z0-9-]+)[:/]", resource)
    return f"{service}:{match.group(1)}" if match else service


class TaggedReader:
    """The tags of the objects a crawl meets, for one scope (see core.scope), asked as few times as
    the endpoint allows. `client` makes a boto3 client for a service name."""

    def __init__(self, client: Callable[[str], Any], scope: dict[str, str | None], use_tagging_api: bool = True):
        self._client = client
        self.scope = scope
        self._use_api = use_tagging_api
        self._answer: dict[str, dict[str, str]] | None = None
        self._asked = False
        self.tagging_api: str = "not asked"  # "used", or why not: for the inventory's and the tests' reports

    def _tagging_answer(self) -> dict[str, dict[str, str]] | None:
        """{arn: tags} of every object carrying all of the scope's tags, or None where not available."""
        if self._asked:
            return self._answer
        self._asked = True
        if not self._use_api:
            self.tagging_api = "switched off"
            return None
        filters = [{"Key": k, "Values": [v]} for k, v in self.scope.items() if v is not None]
        answer: dict[str, dict[str, str]] = {}
        try:
            paginator = self._client("resourcegroupstaggingapi").get_paginator("get_resources")
            for page in paginator.paginate(TagFilters=filters, ResourcesPerPage=100):
                for item in page.get("ResourceTagMappingList") or []:
                    answer[_key(item["ResourceARN"])] = {t["Key"]: t["Value"] for t in item.get("Tags") or []}
        except ClientError as exc:
            reason = unserved_reason(exc)
            if reason is None and exc.response.get("Error", {}).get("Code") not in _NOT_AVAILABLE:
                raise
            self.tagging_api = f"not available ({reason or exc.response['Error']['Code']})"
            return None
        self.tagging_api = "used"
        self._answer = answer
        return answer

    def tags_of(self, arn: str | None, fetch: Callable[[], dict[str, str]]) -> dict[str, str]:
        """The object's tags. From the Tagging API's answer when it covers the object's type: an object
        missing from that answer lacks one of the scope's tags, and gets {} (read it only to decide
        membership, or for an object in scope). Otherwise `fetch()`, the service's own tag call."""
        if arn and arn_type(arn) in TAGGING_API_TYPES:
            answer = self._tagging_answer()
            if answer is not None:
                return answer.get(_key(arn), {})
        return fetch()

    def owns(self, tags: dict[str, str]) -> bool:
        return in_scope(tags, self.scope)
