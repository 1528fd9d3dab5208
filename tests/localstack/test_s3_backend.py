"""The bootstrap root (state bucket, its KMS key, GitHub OIDC and the deploy roles) and the real S3 backend.

Bootstrap is applied as committed. A work copy of dev is then initialised with the real
`backend "s3"` (use_lockfile, SSE-KMS with bootstrap's key; only the endpoints point at the emulator)
and applies one small target. The lock test is deterministic: a second terraform is started with an
apply that stops at its "Enter a value:" prompt, holding the lock (its `.tflock` object is in the
bucket) for as long as the test wants; a plan and an apply with `-lock-timeout=0s` must be refused
then, and after the first is cancelled the lock is gone and the state object is byte for byte the
same.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from botocore.exceptions import ClientError

from core.project import BOOTSTRAP, Project
from infra.terraform import Progress, Terraform
from infra.workspace import Workspace, prepare, s3_backend
from policy.hcl.tfvars import check_tfvars

pytestmark = [pytest.mark.localstack, pytest.mark.terraform]

STATE_KEY = "envs/dev/terraform.tfstate"
LOCK_KEY = f"{STATE_KEY}.tflock"
KEY_TARGET = "-target=module.platform.module.security.aws_kms_key.this"
ALIAS_TARGET = "-target=module.platform.module.security.aws_kms_alias.this"
PROMPT = "Enter a value:"


@dataclass
class Bootstrap:
    ws: Workspace
    tf: Terraform
    outputs: dict
    state: dict[str, dict]
    destroyed: bool = False


def empty_bucket(s3, bucket: str) -> None:
    """Delete every object version and delete marker, one call each.

    Terraform's force_destroy does the same with DeleteObjects, which plain moto 5.2.5 answers with a
    500 once the bucket holds delete markers (here: of the removed .tflock objects), so the lane works
    against any moto. Emptying the bucket first is what an operator does before retiring it anyway.
    """
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for item in page.get("Versions", []) + page.get("DeleteMarkers", []):
            s3.delete_object(Bucket=bucket, Key=item["Key"], VersionId=item["VersionId"])


@pytest.fixture(scope="module")
def bootstrap(project, toolchain, lane_endpoint, require_services, tmp_path_factory, aws, state_of):
    require_services("s3", "kms", "iam", "sts")
    work = Project(terraform_dir=project.terraform_dir, state_dir=tmp_path_factory.mktemp("bootstrap"))
    ws = prepare(work, BOOTSTRAP, lane_endpoint)
    tf = Terraform(toolchain, ws, Progress(quiet=True))
    tf.init()
    live = None
    try:
        tf.apply()
        live = Bootstrap(ws, tf, tf.outputs(), state_of(tf))
        yield live
    finally:
        if live is None or not live.destroyed:
            state = state_of(tf)
            bucket = next((v["id"] for a, v in state.items() if a == "aws_s3_bucket.state"), None)
            if bucket:
                empty_bucket(aws.client("s3"), bucket)
            if state:
                tf.destroy(["-var", "force_destroy=true"])


def _policy(document) -> dict:
    # IAM returns policy documents URL-encoded; boto3 decodes some and not others.
    return json.loads(urllib.parse.unquote(document)) if isinstance(document, str) else document


def test_state_bucket_is_versioned_kms_encrypted_and_private(bootstrap, aws):
    s3 = aws.client("s3")
    bucket = bootstrap.outputs["state_bucket_name"]
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    (rule,) = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": bootstrap.outputs["state_kms_key_arn"],
    }
    assert rule.get("BucketKeyEnabled") is True
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert block == {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                     "RestrictPublicBuckets": True}
    statements = {s["Sid"]: s for s in _policy(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]}
    assert statements["DenyInsecureTransport"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    kms = aws.client("kms")
    key = kms.describe_key(KeyId=bootstrap.outputs["state_kms_key_alias"])["KeyMetadata"]
    assert key["Arn"] == bootstrap.outputs["state_kms_key_arn"]
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is True


def test_github_oidc_provider_and_each_deploy_role_trust_only_their_repo_and_environment(
    bootstrap, project, aws, account_id
):
    iam = aws.client("iam")
    provider_arn = bootstrap.outputs["oidc_provider_arn"]
    assert provider_arn.split(":")[4] == account_id
    provider = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=provider_arn)
    assert provider["Url"].removeprefix("https://") == "token.actions.githubusercontent.com"
    audience = project.tiers["policy"]["oidc_audience"]
    assert provider["ClientIDList"] == [audience]

    repo = check_tfvars(project.root_dir(BOOTSTRAP))["github_repository"]
    roles = bootstrap.outputs["deploy_role_arns"]
    assert set(roles) == set(project.envs)
    for env, arn in roles.items():
        role = iam.get_role(RoleName=arn.rsplit("/", 1)[-1])["Role"]
        (statement,) = _policy(role["AssumeRolePolicyDocument"])["Statement"]
        assert statement["Effect"] == "Allow"
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        assert statement["Principal"] == {"Federated": provider_arn}
        assert statement["Condition"] == {"StringEquals": {
            "token.actions.githubusercontent.com:aud": audience,
            "token.actions.githubusercontent.com:sub": f"repo:{repo}:environment:{env}",
        }}


class LockHolder:
    """A `terraform apply` parked at its confirmation prompt: it holds the state lock until answered."""

    def __init__(self, tf: Terraform, extra: tuple[str, ...]):
        env = dict(tf.env, TF_INPUT="1")  # the prompt needs input; Terraform() turns it off
        self.proc = subprocess.Popen(
            [tf.toolchain.terraform, "apply", "-no-color", *extra],
            cwd=tf.ws.dir, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, start_new_session=True,
        )
        self.chunks: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        while chunk := self.proc.stdout.read(1):
            self.chunks.append(chunk)

    @property
    def output(self) -> str:
        return "".join(self.chunks)

    def wait_for(self, condition, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if self.proc.poll() is not None:
                raise AssertionError(f"the lock holder exited ({self.proc.returncode}) before {what}:\n{self.output}")
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}:\n{self.output}")
            time.sleep(0.2)

    def answer(self, text: str, timeout: float = 120) -> int:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.close()
        code = self.proc.wait(timeout=timeout)
        self.reader.join(timeout=10)
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)


@pytest.fixture
def backend_dev(bootstrap, project, toolchain, lane_endpoint, tmp_path_factory, aws) -> Iterator[Terraform]:
    """A work copy of dev on the real S3 backend in bootstrap's bucket; its resources destroyed after."""
    outputs = bootstrap.outputs
    backend = s3_backend(lane_endpoint, outputs["state_bucket_name"], STATE_KEY, outputs["state_kms_key_arn"])
    work = Project(terraform_dir=project.terraform_dir, state_dir=tmp_path_factory.mktemp("s3-backend"))
    ws = prepare(work, "dev", lane_endpoint, label="s3-backend", backend=backend)
    tf = Terraform(toolchain, ws, Progress(quiet=True))
    tf.init()
    try:
        yield tf
    finally:
        s3 = aws.client("s3")
        with contextlib.suppress(ClientError):
            lock = json.loads(s3.get_object(Bucket=outputs["state_bucket_name"], Key=LOCK_KEY)["Body"].read())
            tf.run("force-unlock", ["force-unlock", "-force", lock["ID"]])  # only after a failure mid-test
        tf.destroy()


def test_s3_backend_lock_refuses_a_concurrent_plan_and_apply_and_keeps_the_state(backend_dev, bootstrap, aws):
    tf = backend_dev
    s3 = aws.client("s3")
    bucket = bootstrap.outputs["state_bucket_name"]

    tf.apply([KEY_TARGET])
    head = s3.head_object(Bucket=bucket, Key=STATE_KEY)
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"] == bootstrap.outputs["state_kms_key_arn"]
    before = s3.get_object(Bucket=bucket, Key=STATE_KEY)["Body"].read()
    state = json.loads(before)
    assert [r["type"] for r in state["resources"] if r["mode"] == "managed"] == ["aws_kms_key"]

    def keys() -> set[str]:
        return {o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="envs/dev/").get("Contents", [])}

    holder = LockHolder(tf, (ALIAS_TARGET,))
    try:
        holder.wait_for(lambda: PROMPT in holder.output, 180, "the apply's confirmation prompt")
        holder.wait_for(lambda: LOCK_KEY in keys(), 30, f"s3://{bucket}/{LOCK_KEY}")
        lock = json.loads(s3.get_object(Bucket=bucket, Key=LOCK_KEY)["Body"].read())
        assert lock["Operation"] == "OperationTypeApply"
        assert lock["Path"] == f"{bucket}/{STATE_KEY}"

        for step, args in (("plan", ["plan"]), ("apply", ["apply", "-auto-approve", KEY_TARGET])):
            refused = tf.run(f"{step}-while-locked", [*args, "-input=false", "-no-color", "-lock-timeout=0s"],
                             ok_codes=(0, 1, 2))
            output = refused.stderr + refused.stdout
            assert refused.returncode == 1, f"{step} was not refused:\n{output}"
            assert "Error acquiring the state lock" in output
            assert lock["ID"] in output, "the refusal names the holder's lock"
        assert holder.proc.poll() is None, "the holder is still waiting at its prompt"
    except BaseException:
        holder.kill()
        raise
    assert holder.answer("no") == 1
    assert "Apply cancelled" in holder.output

    assert LOCK_KEY not in keys(), "the lock object outlived the cancelled apply"
    after = s3.get_object(Bucket=bucket, Key=STATE_KEY)["Body"].read()
    assert after == before, "the refused runs or the cancelled apply changed the state"
    proc = tf.run("state-list", ["state", "list"])
    managed = [a for a in proc.stdout.split() if ".data." not in a]
    assert managed == ["module.platform.module.security.aws_kms_key.this"]


def test_bootstrap_destroy_leaves_nothing(bootstrap, aws, state_of):
    s3 = aws.client("s3")
    bucket = bootstrap.outputs["state_bucket_name"]
    empty_bucket(s3, bucket)
    bootstrap.tf.destroy(["-var", "force_destroy=true"])
    bootstrap.destroyed = True
    assert state_of(bootstrap.tf) == {}

    with pytest.raises(ClientError) as missing:
        s3.head_bucket(Bucket=bucket)
    assert missing.value.response["Error"]["Code"] in ("404", "NoSuchBucket")
    key = aws.client("kms").describe_key(KeyId=bootstrap.outputs["state_kms_key_arn"])["KeyMetadata"]
    assert key["KeyState"] == "PendingDeletion"
    iam = aws.client("iam")
    providers = [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]
    assert bootstrap.outputs["oidc_provider_arn"] not in providers
    for arn in bootstrap.outputs["deploy_role_arns"].values():
        with pytest.raises(ClientError) as gone:
            iam.get_role(RoleName=arn.rsplit("/", 1)[-1])
        assert gone.value.response["Error"]["Code"] == "NoSuchEntity"
