"""Which services an endpoint serves, judged against a real HTTP server on loopback.

The server imitates what was measured on localstack-core 4.9.2 (see infra/emulator/localstack.py):
a `/_localstack/health` document, HTTP 501 InternalFailure for a licensed service, and ordinary
answers for the rest. These tests need neither LocalStack nor moto, so they run in every suite.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest
from aws_stub import serving  # tests/aws_stub.py

from infra.emulator import localstack
from infra.emulator.background import free_port

pytestmark = [pytest.mark.localstack]

LICENSE_MESSAGE = (
    "The API for service '{}' is either not included in your current license plan or has not yet been "
    "emulated by LocalStack."
)
JSON_TYPE = "application/x-amz-json-1.1"

# X-Amz-Target (JSON protocols) or Action (query protocols) -> (status, content type, body).
ANSWERS = {
    "TrentService.ListKeys": (200, JSON_TYPE, {"Keys": [], "Truncated": False}),
    "AmazonEC2ContainerServiceV20141113.ListClusters": (
        501, JSON_TYPE, {"__type": "InternalFailure", "message": LICENSE_MESSAGE.format("ecs")},
    ),
    "DynamoDB_20120810.ListTables": (500, JSON_TYPE, {"__type": "InternalError", "message": "no JDK"}),
    "ListRoles": (
        403, "text/xml",
        '<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>no</Message></Error>'
        "</ErrorResponse>",
    ),
}
# Everything else (here: RDS and SNS, query protocols) answers as LocalStack does for a licensed service.
DEFAULT_ANSWER = (
    501, "text/xml",
    f"<ErrorResponse><Error><Code>InternalFailure</Code><Message>{LICENSE_MESSAGE.format('rds')}</Message>"
    "</Error></ErrorResponse>",
)


class FakeEndpoint(BaseHTTPRequestHandler):
    health: object = None  # the /_localstack/health answer: a dict, or None for 404

    def log_message(self, *args) -> None:  # keep the test output clean
        pass

    def _send(self, status: int, content_type: str, body) -> None:
        data = (body if isinstance(body, str) else json.dumps(body)).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path == localstack.HEALTH_PATH and self.health is not None:
            self._send(200, "application/json", self.health)
        else:
            self._send(404, "text/plain", "not found")

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        key = self.headers.get("X-Amz-Target") or urllib.parse.parse_qs(body).get("Action", [""])[0]
        self._send(*ANSWERS.get(key, DEFAULT_ANSWER))


def serve(health) -> Iterator[str]:
    with serving(type("Handler", (FakeEndpoint,), {"health": health})) as url:
        yield url


@pytest.fixture
def fake_localstack() -> Iterator[str]:
    """Health as 4.9.2 reports it after some use, with one service disabled and one broken."""
    health = {
        "services": {"kms": "running", "iam": "available", "dynamodb": "running", "sns": "disabled",
                     "sqs": "error", "rds": "available"},
        "edition": "community",
        "version": "4.9.2",
    }
    yield from serve(health)


@pytest.fixture
def fake_aws() -> Iterator[str]:
    """An AWS-compatible endpoint without a LocalStack health document (like moto or AWS)."""
    yield from serve(None)


def test_served_services_reads_the_health_document(fake_localstack):
    services = localstack.served_services(fake_localstack)
    assert services == {"kms": "running", "iam": "available", "dynamodb": "running", "sns": "disabled",
                        "sqs": "error", "rds": "available"}


def test_served_services_is_none_for_an_endpoint_that_is_not_localstack(fake_aws):
    assert localstack.served_services(fake_aws) is None
    assert localstack.answers(fake_aws) is False


def test_served_services_is_none_when_nothing_answers():
    port = free_port()
    assert localstack.served_services(f"http://127.0.0.1:{port}", timeout=1) is None


def test_health_status_alone_rules_out_disabled_errored_and_unlisted_services(fake_localstack):
    unserved = localstack.unserved_services(
        fake_localstack, ["kms", "sns", "sqs", "ecs", "iam"], probe_calls=False
    )
    assert unserved == {
        "sns": "/_localstack/health: disabled",
        "sqs": "/_localstack/health: error",
        "ecs": "not in /_localstack/health",
    }


def test_a_probe_answering_5xx_rules_out_a_service_the_health_document_lists(fake_localstack):
    # rds is "available" in the document but answers 501; dynamodb is "running" but answers 500.
    unserved = localstack.unserved_services(fake_localstack, ["kms", "iam", "rds", "dynamodb", "ecs"])
    assert list(unserved) == ["rds", "dynamodb", "ecs"]
    assert unserved["rds"] == "DescribeDBClusters answered 501 InternalFailure"
    assert unserved["dynamodb"] == "ListTables answered 500 InternalError"
    assert unserved["ecs"] == "not in /_localstack/health; ListClusters answered 501 InternalFailure"


def test_without_a_health_document_the_probes_decide(fake_aws):
    # kms answers, iam refuses with 403 (the service itself answering, as AWS does): both served.
    unserved = localstack.unserved_services(fake_aws, ["kms", "iam", "ecs", "sns"])
    assert sorted(unserved) == ["ecs", "sns"]
    assert "501" in unserved["ecs"]


def test_an_answer_in_the_wrong_protocol_counts_as_not_served(fake_aws, monkeypatch):
    # A JSON body where RDS's XML is expected: the endpoint is not RDS, whatever else it is.
    monkeypatch.setitem(ANSWERS, "DescribeDBClusters", (200, JSON_TYPE, {"not": "rds"}))
    assert localstack.unserved_services(fake_aws, ["rds"]) == {"rds": "DescribeDBClusters failed: ResponseParserError"}


def test_an_unreachable_endpoint_is_an_error_not_a_skip():
    port = free_port()
    with pytest.raises(localstack.LocalStackError, match="does not answer"):
        localstack.unserved_services(f"http://127.0.0.1:{port}", ["kms"])


def test_skip_reason_names_the_services_first_and_explains_each_kind_of_failure_once():
    reason = localstack.not_served_reason({
        "ecs": "not in /_localstack/health; ListClusters answered 501 InternalFailure",
        "rds": "not in /_localstack/health; DescribeDBClusters answered 501 InternalFailure",
    })
    assert reason == (
        "not served by this endpoint: ecs, rds (not in /_localstack/health; API answered 501 InternalFailure)"
    )
    mixed = localstack.not_served_reason({"sns": "/_localstack/health: disabled", "ecs": "ListClusters answered 501"})
    assert mixed == "not served by this endpoint: sns, ecs (sns: /_localstack/health: disabled; ecs: API answered 501)"


def test_every_licensed_service_has_a_probe_call():
    assert set(localstack.LICENSED_SERVICES) <= set(localstack.PROBES)
    assert set(localstack.FREE_TIER_SERVICES) <= set(localstack.PROBES)


@pytest.mark.parametrize(
    ("rtype", "service"),
    [
        ("aws_vpc", "ec2"), ("aws_route_table_association", "ec2"), ("aws_default_security_group", "ec2"),
        ("aws_vpc_security_group_ingress_rule", "ec2"), ("aws_cloudwatch_log_group", "logs"),
        ("aws_cloudwatch_metric_alarm", "cloudwatch"), ("aws_lb_listener", "elbv2"), ("aws_db_instance", "rds"),
        ("aws_rds_cluster", "rds"), ("aws_appautoscaling_policy", "application-autoscaling"),
        ("aws_iam_policy_document", ""), ("aws_iam_role", "iam"), ("aws_caller_identity", "sts"),
    ],
)
def test_service_of_maps_terraform_types_to_the_service_they_call(rtype, service):
    assert localstack.service_of(rtype) == service


def test_service_of_refuses_an_unknown_type():
    with pytest.raises(ValueError, match="aws_new_thing"):
        localstack.service_of("aws_new_thing")


def test_plan_services_groups_what_a_plan_touches_by_service():
    plan = {"resource_changes": [
        {"address": "module.a.aws_vpc.this", "type": "aws_vpc", "change": {"actions": ["create"]}},
        {"address": "module.a.aws_ecs_cluster.this", "type": "aws_ecs_cluster", "change": {"actions": ["update"]}},
        {"address": "module.a.aws_kms_key.this", "type": "aws_kms_key", "change": {"actions": ["no-op"]}},
        {"address": "data.aws_iam_policy_document.x", "type": "aws_iam_policy_document",
         "change": {"actions": ["read"]}},
    ]}
    assert localstack.plan_services(plan) == {
        "ec2": ["module.a.aws_vpc.this"], "ecs": ["module.a.aws_ecs_cluster.this"],
    }
