"""core.tagged: which type an ARN names, and the fall-back to each service's own tag call when the
endpoint will not answer GetResources (the answers come from a real HTTP server)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from core.aws import AwsSession
from core.tagged import TAGGING_API_TYPES, TaggedReader, arn_type


@pytest.mark.parametrize(("arn", "kind"), [
    ("arn:aws:rds:us-east-1:123456789012:subgrp:rupaya-dev", "rds:subgrp"),
    ("arn:aws:kms:us-east-1:123456789012:key/0a1b", "kms:key"),
    ("arn:aws:logs:us-east-1:123456789012:log-group:/ecs/rupaya-dev:*", "logs:log-group"),
    ("arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/rupaya-dev/1",
     "elasticloadbalancing:loadbalancer"),
    ("arn:aws:s3:::rupaya-dev-logs", "s3"),
    ("arn:aws-us-gov:sns:us-gov-west-1:123456789012:rupaya-dev-alarms", "sns"),
    ("not an arn", ""),
])
def test_arn_type(arn, kind):
    assert arn_type(arn) == kind


def test_types_left_to_their_own_calls_are_not_in_the_tagging_table():
    # moto's GetResources leaves these out; relying on it would hide them (see core/tagged.py).
    assert not {"rds:subgrp", "rds:pg", "rds:cluster-pg", "elasticache:parametergroup", "ecr:repository"} \
        & TAGGING_API_TYPES


class _Denied(BaseHTTPRequestHandler):
    """An endpoint whose credentials may not call tag:GetResources."""

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.dumps({"__type": "AccessDeniedException", "message": "not authorized: tag:GetResources"})
        self.send_response(400)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args):
        pass


def test_a_denied_tagging_api_falls_back_to_the_services_own_calls():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Denied)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        aws = AwsSession(f"http://127.0.0.1:{server.server_address[1]}")
        reader = TaggedReader(aws.client, {"Project": "rupaya", "Environment": "dev"})
        asked = []
        tags = reader.tags_of("arn:aws:kms:us-east-1:123456789012:key/0a1b",
                              lambda: asked.append(1) or {"Project": "rupaya", "Environment": "dev"})
    finally:
        server.shutdown()
    assert asked == [1] and reader.owns(tags)
    assert reader.tagging_api == "not available (AccessDeniedException)"
