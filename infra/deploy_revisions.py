"""The task-definition revisions `infra deploy` registers: the tag that marks them, and their retirement.

A stack's teardown (infra/stack.py) and the deploys (infra/delivery/ecs.py) both need these, so they
live below both: the stack never imports the delivery code.
"""

from __future__ import annotations

from core.scope import in_scope, tag_dict

# The one tag a deploy adds to the stack's tags: the revision it replaced. It also tells a deploy's
# revisions from Terraform's, so `infra down` can deregister them (Stack.destroy).
PREVIOUS_TAG = "infra:previous-revision"
NO_PREVIOUS = "none"  # PREVIOUS_TAG of the first release: Terraform's revision before it never ran


def retire_deploy_revisions(aws, family: str, scope: dict[str, str | None], keep: frozenset[str] = frozenset()
                            ) -> list[str]:
    """Deregister the active revisions of `family` that deploys registered for this stack, but `keep`.

    Terraform destroys only the revision it registered; `infra down` calls this first, so that
    tearing an env down leaves none of its deploys' revisions active either (the leftover
    inventory would find them: they carry the stack's tags).
    """
    ecs = aws.client("ecs")
    retired = []
    pages = ecs.get_paginator("list_task_definitions").paginate(familyPrefix=family, status="ACTIVE")
    for arn in (a for page in pages for a in page["taskDefinitionArns"]):
        if arn.rsplit("/", 1)[-1].rsplit(":", 1)[0] != family:
            continue  # a prefix match of another family
        tags = tag_dict(ecs.list_tags_for_resource(resourceArn=arn).get("tags"), "key", "value")
        if PREVIOUS_TAG in tags and in_scope(tags, scope) and arn not in keep:
            ecs.deregister_task_definition(taskDefinition=arn)
            retired.append(arn)
    return retired
