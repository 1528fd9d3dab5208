"""A retried SDK call whose first attempt succeeded is answered, not executed again (over HTTP)."""

from __future__ import annotations

import http.client
import json
import re
import urllib.parse
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from infra.emulator import EmulatorInfo
from infra.emulator.invocations import attempt_number

pytestmark = pytest.mark.emulator

IAM_AUTH = "AWS4-HMAC-SHA256 Credential=test/20261206/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=x"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def iam_call(endpoint: str, params: dict[str, str], invocation: str, attempt: int) -> tuple[int, str]:
    """One attempt of an IAM query call, sent as the SDKs send it: (status, body)."""
    url = urllib.parse.urlsplit(endpoint)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    try:
        conn.request("POST", "/", urllib.parse.urlencode({**params, "Version": "2010-05-08"}), {
            "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": IAM_AUTH,
            "amz-sdk-invocation-id": invocation,
            "amz-sdk-request": f"attempt={attempt}; max=3",
        })
        resp = conn.getresponse()
        return resp.status, resp.read().decode()
    finally:
        conn.close()


def request_id(body: str) -> str:
    return re.search(r"<RequestId>([^<]+)</RequestId>", body).group(1)


def test_the_second_attempt_of_a_create_that_succeeded_gets_its_answer(
        emulator: EmulatorInfo, client_for: Callable[[str, str], Any]) -> None:
    """The provider's CreateRole, whose answer a loaded machine lost, is sent again: it must get the
    role it created, not EntityAlreadyExists."""
    name = f"replayed-{uuid.uuid4().hex[:8]}"
    create = {"Action": "CreateRole", "RoleName": name, "AssumeRolePolicyDocument": TRUST}
    invocation = str(uuid.uuid4())
    first = iam_call(emulator.endpoint, create, invocation, attempt=1)
    assert first[0] == 200 and f"<RoleName>{name}</RoleName>" in first[1]

    again = iam_call(emulator.endpoint, create, invocation, attempt=2)
    assert again[0] == 200 and request_id(again[1]) == request_id(first[1]), "the first answer, replayed"
    # The log says so (printed before the answer goes out): a lost answer leaves a trace to follow.
    assert f"retry: attempt 2 of POST / ({invocation}): answered again from attempt 1" in \
        emulator.log_path.read_text()

    # A new call (a new invocation id) is executed: AWS's answer to creating the role twice.
    status, body = iam_call(emulator.endpoint, create, str(uuid.uuid4()), attempt=1)
    assert status == 409 and "EntityAlreadyExists" in body
    roles = client_for(emulator.endpoint, "iam").list_roles()["Roles"]
    assert [r["RoleName"] for r in roles].count(name) == 1


def test_an_attempt_with_another_request_under_the_same_id_is_executed(emulator: EmulatorInfo) -> None:
    invocation = str(uuid.uuid4())
    names = [f"other-{uuid.uuid4().hex[:8]}" for _ in range(2)]
    answers = [iam_call(emulator.endpoint, {"Action": "CreateRole", "RoleName": n, "AssumeRolePolicyDocument": TRUST},
                        invocation, attempt=i + 1) for i, n in enumerate(names)]
    assert [a[0] for a in answers] == [200, 200]
    assert all(f"<RoleName>{n}</RoleName>" in a[1] for n, a in zip(names, answers, strict=True))


def test_an_error_is_never_replayed(emulator: EmulatorInfo) -> None:
    """A first attempt that failed is run again: the SDK retries an error because it may pass now."""
    name = f"later-{uuid.uuid4().hex[:8]}"
    invocation = str(uuid.uuid4())
    assert iam_call(emulator.endpoint, {"Action": "GetRole", "RoleName": name}, invocation, attempt=1)[0] == 404
    created = iam_call(emulator.endpoint, {"Action": "CreateRole", "RoleName": name, "AssumeRolePolicyDocument": TRUST},
                       str(uuid.uuid4()), attempt=1)
    assert created[0] == 200
    status, body = iam_call(emulator.endpoint, {"Action": "GetRole", "RoleName": name}, invocation, attempt=2)
    assert status == 200 and f"<RoleName>{name}</RoleName>" in body
    assert f"retry: attempt 2 of POST / ({invocation}): run again" in emulator.log_path.read_text()


@pytest.mark.parametrize(("header", "attempt"), [
    ("attempt=2; max=3", 2), ("ttl=20261206T043003Z; attempt=3; max=25", 3), ("attempt=1", 1), ("", 1),
    ("max=3", 1), ("reattempt=4", 1),
])
def test_attempt_number(header: str, attempt: int) -> None:
    assert attempt_number(header) == attempt
