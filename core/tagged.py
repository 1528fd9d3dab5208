"""The one reader of which AWS objects carry a stack's tags, for the leftover inventory (infra) and
the live policy (policy).

Each service's own listing says what exists (and in which state: a key pending deletion, an inactive
service); this reader says what each object's tags are. Where the endpoint serves the Resource Groups
Tagging API, one paginated `GetResources` for the scope's tags answers for every object it lists,
instead of one tag call per object. An object it does not list is asked its own way: the answer can
lag behind a fresh apply, covers one region only (S3 lists every region's buckets), and leaves types
out (IAM, ECR and AppConfig on AWS; more on moto and LocalStack), so its absence proves nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from core.scope import in_scope, unserved_reason

# What a denied or absent GetResources answers: then every object is asked its own way.
_NOT_AVAILABLE = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"})


def _key(arn: str) -> str:
    """An ARN without its partition and a log group's trailing ":*" (the two spellings AWS uses)."""
    return arn.split(":", 2)[-1].removesuffix(":*")


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
        self.answered = self.fetched = 0  # objects whose tags came from the Tagging API / their own call

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
        """The object's tags: from the Tagging API's answer when the object is in it, else `fetch()`,
        the service's own tag call."""
        if arn:
            answer = self._tagging_answer()
            if answer is not None and _key(arn) in answer:
                self.answered += 1
                return answer[_key(arn)]
        self.fetched += 1
        return fetch()

    def owns(self, tags: dict[str, str]) -> bool:
        return in_scope(tags, self.scope)
