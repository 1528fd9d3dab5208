"""The bootstrap root live (state bucket, deploy roles) and the real S3 backend with its lock file.

One bootstrap apply serves the module. The lock test inits two work copies of dev with the real
`backend "s3"` configuration (only the endpoint overridden), starts an apply in one and, while it
holds the lock, an apply in the other: the second must be refused, the first must complete, and
the state in the bucket must hold every resource.
"""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.parse

import pytest

from core.project import BOOTSTRAP, Project
from infra.stack import Stack, applied, resource_type
from infra.terraform import Progress, StepFailed
from infra.workspace import s3_backend
from policy.hcl.tfvars import check_tfvars

pytestmark = [pytest.mark.apply, pytest.mark.integration, pytest.mark.terraform, pytest.mark.emulator]

STATE_KEY = "envs/dev/terraform.tfstate"


@pytest.fixture(scope="module")
def bootstrap(project, toolchain, aws_endpoint, tmp_path_factory):
    work = Project(terraform_dir=project.terraform_dir, state_dir=tmp_path_factory.mktemp("bootstrap"))
    with applied(Stack(work, toolchain, BOOTSTRAP, aws_endpoint, Progress())) as stack:
        yield stack


def _policy(document) -> dict:
    # IAM returns policy documents URL-encoded; boto3 decodes some and not others.
    return json.loads(urllib.parse.unquote(document)) if isinstance(document, str) else document


def test_state_bucket_is_versioned_encrypted_private_and_tls_only(bootstrap):
    outputs = bootstrap.outputs()
    s3 = bootstrap.aws.client("s3")
    bucket = outputs["state_bucket_name"]
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": outputs["state_kms_key_arn"],
    }
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    statements = _policy(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]
    assert any(
        s["Effect"] == "Deny" and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
        for s in statements
    )


def _iam_ref(pattern: str) -> str:
    """A GitHub filter pattern as bootstrap writes it in IAM: up to its first special character, then *."""
    return re.sub(r"[\[?+*].*$", "*", pattern)


def test_each_role_trusts_only_its_repo_env_and_delivery_refs(bootstrap, project):
    """As IAM holds them: a deploy role's subjects name its environment, and (for a tier that takes no
    pull requests) its delivery refs in both the ref and job_workflow_ref claims; plan roles take pull
    requests; forged subjects are excluded everywhere."""
    outputs = bootstrap.outputs()
    repo = check_tfvars(project.root_dir(BOOTSTRAP))["github_repository"]
    audience = project.tiers["policy"]["oidc_audience"]
    iam = bootstrap.aws.client("iam")
    assert set(outputs["deploy_role_arns"]) == set(outputs["plan_role_arns"]) == set(project.envs)
    claim = re.compile(rf"^repo:{re.escape(repo)}:environment:(?P<env>[^:]+):ref:(?P<ref>[^:]+)"
                       rf":job_workflow_ref:{re.escape(repo)}/\.github/workflows/[^@:]+@(?P<wref>[^:]+)$")

    def trust(arn: str) -> dict:
        role = iam.get_role(RoleName=arn.rsplit("/", 1)[-1])["Role"]
        (statement,) = _policy(role["AssumeRolePolicyDocument"])["Statement"]
        assert statement["Effect"] == "Allow" and statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        assert statement["Principal"] == {"Federated": outputs["oidc_provider_arn"]}
        condition = statement["Condition"]
        assert condition["StringEquals"] == {"token.actions.githubusercontent.com:aud": audience}
        assert "*@*@*" in condition["StringNotLike"]["token.actions.githubusercontent.com:sub"]
        subs = condition["StringLike"]["token.actions.githubusercontent.com:sub"]
        return [subs] if isinstance(subs, str) else subs

    for env, arn in outputs["deploy_role_arns"].items():
        delivery = project.tiers["tiers"][env]["delivery"]
        matches = [claim.match(sub) for sub in trust(arn)]
        assert all(matches), trust(arn)
        assert {m["env"] for m in matches} == {env}
        assert all(m["ref"] == m["wref"] for m in matches)
        if delivery.get("pull_requests_into"):
            assert {m["ref"] for m in matches} == {"*"}  # dev: pull requests reach it by design
        else:
            expected = {f"refs/heads/{_iam_ref(b)}" for b in delivery.get("branches", [])}
            expected |= {f"refs/tags/{_iam_ref(t)}" for t in delivery.get("tags", [])}
            assert {m["ref"] for m in matches} == expected, env
    for env, arn in outputs["plan_role_arns"].items():
        assert any(":pull_request:ref:refs/pull/*:" in sub for sub in trust(arn)), env


def _wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def test_a_second_apply_is_refused_by_the_lock_and_the_first_loses_nothing(
    bootstrap, project, toolchain, aws_endpoint, tmp_path_factory, plans
):
    outputs = bootstrap.outputs()
    bucket = outputs["state_bucket_name"]
    backend = s3_backend(aws_endpoint, bucket, STATE_KEY, outputs["state_kms_key_arn"])
    location = f"s3://{bucket}/{STATE_KEY}"

    def copy(label: str) -> Stack:
        work = Project(terraform_dir=project.terraform_dir, state_dir=tmp_path_factory.mktemp(label))
        return Stack(work, toolchain, "dev", aws_endpoint, Progress(), label=label, backend=backend,
                     state_location=location)

    first, second = copy("lock-first"), copy("lock-second")
    first.init()
    second.init()
    s3 = bootstrap.aws.client("s3")

    def lock_held() -> bool:
        keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="envs/dev/").get("Contents", [])}
        return f"{STATE_KEY}.tflock" in keys

    errors: list[BaseException] = []

    def run_first() -> None:
        try:
            first.apply()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    thread = threading.Thread(target=run_first)
    thread.start()
    try:
        _wait_for(lock_held, 60, "the first apply to take the lock")
        with pytest.raises(StepFailed) as refused:
            second.apply(("-lock-timeout=0s",))
        # Stack.apply plans first; the plan is where the second run meets the lock.
        assert "Error acquiring the state lock" in str(refused.value)
        assert "PreconditionFailed" in str(refused.value) or "412" in str(refused.value)
        thread.join(timeout=900)
        assert not thread.is_alive(), "the first apply did not finish"
        assert not errors, f"the first apply failed: {errors[0]}"
        assert not lock_held(), "the lock file outlived the apply"

        # Nothing lost: the state in the bucket, read through the other copy, holds every resource
        # of dev's plan.
        addresses = second.state_addresses()
        managed = sorted(a for a in addresses if resource_type(a))
        assert len(managed) == len(plans["dev"].changes)
        assert managed == sorted(a for a in first.state_addresses() if resource_type(a))
        assert second.replan().empty
    finally:
        thread.join(timeout=900)
        first.destroy()
