"""Live policy: the rules on what `terraform apply` really created in the emulator, read back through boto3.

dev is applied once by the harness (the session's `live` fixture, shared with
tests/integration/test_env_live.py) to a private moto emulator, from its own saved plan, so the
plan policy and the live policy judge the same stack. Every change a test makes through boto3 is undone
before the test ends (and checked undone), so the tests do not depend on their order. Nothing here
fakes an AWS answer: the 501 case is a real HTTP server in front of the emulator that answers 501
for the services LocalStack's free tier does not serve, as LocalStack does.
"""

from __future__ import annotations

import http.client
import json
import socket
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlparse

import boto3
import pytest
from aws_stub import serving  # tests/aws_stub.py
from botocore.config import Config

from infra import cli
from infra.emulator import manager
from policy import engine, live, runner
from policy.model import Finding, Level, PolicyInputError, Source
from policy.rules import ALL_RULES
from policy.rules.security import DatabaseBackups

pytestmark = [pytest.mark.apply, pytest.mark.terraform, pytest.mark.emulator]


def pytest_generate_tests(metafunc):
    # The harness's session-wide `live` stack, for dev: shared with tests/integration/test_env_live.py.
    if "live" in metafunc.fixturenames:
        metafunc.parametrize("live", ["dev"], indirect=True)

ENV = "dev"
SCOPE = {"Project": "rupaya", "Environment": ENV, "ManagedBy": "terraform"}
# Signing names of the services LocalStack's free tier answers 501 for (elasticloadbalancing is elb and
# elbv2), and the boto3 services policy/live.py reads through them.
UNSERVED_SIGNING = ("ecs", "rds", "elasticache", "elasticloadbalancing", "ecr")
UNSERVED_SERVICES = {"ecs", "rds", "elasticache", "elbv2", "elb", "ecr"}


@dataclass
class AppliedDev:
    endpoint: str
    plan: dict  # the plan JSON that was applied
    outputs: dict  # module.platform's outputs
    session: boto3.Session

    def client(self, service: str):
        config = Config(s3={"addressing_style": "path"}) if service == "s3" else None
        return self.session.client(service, endpoint_url=self.endpoint, config=config)

    def read(self, endpoint: str | None = None) -> live.LiveResources:
        return live.resources_from_live(self.session, ENV, endpoint_url=endpoint or self.endpoint)


@pytest.fixture
def dev(live) -> AppliedDev:
    """dev as the harness applied it (`live`, tests/conftest.py): from its own saved plan, to a private emulator."""
    assert live.env == ENV and live.stack.plan is not None
    return AppliedDev(live.stack.endpoint, live.stack.plan, live.outputs, live.aws.boto3)


@pytest.fixture(scope="module")
def tiers(project) -> dict:
    return project.tiers


def evaluate(dev: AppliedDev, tiers: dict, endpoint: str | None = None) -> list[Finding]:
    return live.evaluate_live(dev.read(endpoint), ENV, tiers)


def failures(findings: list[Finding], rule: str) -> list[Finding]:
    return [f for f in findings if f.rule == rule and f.status == "fail"]


@contextmanager
def changed(do: Callable[[], object], undo: Callable[[], object]) -> Iterator[None]:
    do()
    try:
        yield
    finally:
        undo()


# --------------------------------------------------------------------------------------------
# The freshly applied env
# --------------------------------------------------------------------------------------------


def test_live_reads_each_type_the_plan_has_and_a_rule_reads(dev):
    found = dev.read()
    assert found.skipped == {}
    planned = Counter(c["type"] for c in dev.plan["resource_changes"] if c["mode"] == "managed")
    checked = {rtype: n for rtype, n in planned.items() if rtype in live.read_types()}
    # The types of dev that some rule (or the cost estimate) reads: each must be found live, as often.
    # (Dev has no NAT gateway, so no NAT and no Elastic IP; its Spot tasks need the cluster's providers.)
    assert sorted(checked) == [
        "aws_appautoscaling_target", "aws_cloudwatch_log_group", "aws_cloudwatch_metric_alarm",
        "aws_ecr_repository", "aws_ecs_cluster_capacity_providers", "aws_ecs_service", "aws_ecs_task_definition",
        "aws_elasticache_replication_group", "aws_iam_role", "aws_iam_role_policy", "aws_iam_role_policy_attachment",
        "aws_kms_alias", "aws_kms_key", "aws_lb", "aws_lb_listener", "aws_rds_cluster", "aws_rds_cluster_instance",
        "aws_secretsmanager_secret", "aws_security_group", "aws_sns_topic", "aws_sns_topic_policy", "aws_subnet",
        "aws_vpc_security_group_ingress_rule",
    ]
    assert {rtype: found.types.get(rtype, 0) for rtype in checked} == checked
    assert all(r.source is Source.LIVE and r.env == ENV for r in found)


def test_nothing_of_the_emulators_own_is_read(dev):
    found = dev.read()
    vpc = dev.outputs["vpc_id"]
    groups = [r for r in found if r.type in ("aws_security_group", "aws_default_security_group")]
    assert groups and {g.values["vpc_id"] for g in groups} == {vpc}  # not the default VPC's group
    assert [r.values["name"] for r in found if r.type == "aws_kms_alias"] == ["alias/rupaya-dev"]  # no alias/aws/*
    assert all(r.values["name"].startswith("rupaya-dev/") for r in found if r.type == "aws_secretsmanager_secret")
    assert not [r for r in found if r.type == "aws_cloudwatch_metric_alarm"
                and r.values["alarm_name"].startswith("TargetTracking-")]  # made by Application Auto Scaling


def test_reading_some_services_only_records_the_rest_as_skipped(dev):
    found = live.resources_from_live(dev.session, ENV, endpoint_url=dev.endpoint, services=["kms"])
    assert found.types == {"aws_kms_alias": 1, "aws_kms_key": 1}
    assert set(found.skipped) == set(live.SERVICES) - {"kms"}


def test_live_policy_agrees_with_the_plan_policy_rule_by_rule(dev, project, tmp_path):
    plan_file = tmp_path / "dev.plan.json"
    plan_file.write_text(json.dumps(dev.plan))
    by_plan = runner.run_env(project, ENV, runner.Options(plan_json=plan_file, scanners=False))
    by_live = runner.run_env(project, ENV, runner.Options(scanners=False, live_session=dev.session,
                                                          live_endpoint=dev.endpoint))
    assert by_plan.passed and by_live.passed
    assert by_live.steps == {"hcl policy": "ok", "live policy": "ok", "suppressions": "ok"}

    def verdicts(result, source: Source) -> dict[str, list[str]]:
        mine = [f for f in result.findings if f.source is source]
        return {rule.id: sorted({f.status for f in mine if f.rule == rule.id}) for rule in ALL_RULES}

    assert verdicts(by_live, Source.LIVE) == verdicts(by_plan, Source.PLAN)
    assert not [f for f in by_live.findings if f.status == "fail" and f.level is Level.HARD]
    assert by_live.cost_total == by_plan.cost_total  # the same stack, priced from what exists


# --------------------------------------------------------------------------------------------
# Changes made through boto3 after the apply
# --------------------------------------------------------------------------------------------


def test_log_retention_cut_to_one_day(dev, tiers):
    logs = dev.client("logs")
    name = dev.outputs["app_log_group_name"]
    keep = tiers["tiers"][ENV]["logs"]["retention_days"]
    with changed(lambda: logs.put_retention_policy(logGroupName=name, retentionInDays=1),
                 lambda: logs.put_retention_policy(logGroupName=name, retentionInDays=keep)):
        [finding] = failures(evaluate(dev, tiers), "RPY-SIZ-009")
        assert finding.resource == f"aws_cloudwatch_log_group.{name}"
        assert (finding.actual, finding.expected, finding.source) == (1, keep, Source.LIVE)
        assert finding.blocking
    assert not failures(evaluate(dev, tiers), "RPY-SIZ-009")


def _group_id(dev: AppliedDev, name: str) -> str:
    [group] = [r for r in dev.read() if r.type == "aws_security_group" and r.values["name"] == name]
    return group.values["id"]


OPEN_POSTGRES = [{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]


def test_postgres_opened_to_the_internet_on_the_database_group(dev, tiers):
    ec2 = dev.client("ec2")
    group = _group_id(dev, "rupaya-dev-db")
    with changed(lambda: ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=OPEN_POSTGRES),
                 lambda: ec2.revoke_security_group_ingress(GroupId=group, IpPermissions=OPEN_POSTGRES)):
        [finding] = failures(evaluate(dev, tiers), "RPY-SEC-008")
        assert finding.resource.startswith("aws_vpc_security_group_ingress_rule.rupaya-dev-db/sgr-")
        assert "0.0.0.0/0 on port 5432" in finding.message and finding.blocking
    assert not failures(evaluate(dev, tiers), "RPY-SEC-008")


def test_ecr_tags_made_mutable(dev, tiers):
    ecr = dev.client("ecr")
    repo = dev.outputs["ecr_repository_name"]
    with changed(lambda: ecr.put_image_tag_mutability(repositoryName=repo, imageTagMutability="MUTABLE"),
                 lambda: ecr.put_image_tag_mutability(repositoryName=repo, imageTagMutability="IMMUTABLE")):
        [finding] = failures(evaluate(dev, tiers), "RPY-SEC-017")
        assert finding.resource == f"aws_ecr_repository.{repo}"
        assert finding.actual == "MUTABLE"
    assert not failures(evaluate(dev, tiers), "RPY-SEC-017")


def test_database_instance_made_public(dev, tiers):
    rds = dev.client("rds")
    instance = f"{dev.outputs['db_cluster_identifier']}-1"

    def public(flag: bool) -> None:
        rds.modify_db_instance(DBInstanceIdentifier=instance, PubliclyAccessible=flag, ApplyImmediately=True)

    with changed(lambda: public(True), lambda: public(False)):
        [finding] = failures(evaluate(dev, tiers), "RPY-SEC-007")
        assert finding.resource == f"aws_rds_cluster_instance.{instance}" and finding.blocking
    assert not failures(evaluate(dev, tiers), "RPY-SEC-007")


def test_autoscaling_range_widened(dev, tiers):
    aas = dev.client("application-autoscaling")
    resource_id = f"service/{dev.outputs['ecs_cluster_name']}/{dev.outputs['ecs_service_name']}"
    service = tiers["tiers"][ENV]["service"]

    def scale(high: int) -> None:
        aas.register_scalable_target(ServiceNamespace="ecs", ResourceId=resource_id,
                                     ScalableDimension="ecs:service:DesiredCount",
                                     MinCapacity=service["min_tasks"], MaxCapacity=high)

    with changed(lambda: scale(10), lambda: scale(service["max_tasks"])):
        [finding] = failures(evaluate(dev, tiers), "RPY-SIZ-008")
        assert finding.resource == f"aws_appautoscaling_target.{resource_id}"
        assert (finding.actual, finding.expected) == (10, service["max_tasks"])
    assert not failures(evaluate(dev, tiers), "RPY-SIZ-008")


def test_a_new_task_definition_revision_with_the_wrong_size(dev, tiers):
    """CI registers revisions outside Terraform: the latest ACTIVE revision of the family is what is checked."""
    ecs = dev.client("ecs")
    family = dev.outputs["task_definition_family"]
    # The revision the service runs (by family name, moto answers its newest revision, even an INACTIVE one).
    running = ecs.describe_services(cluster=dev.outputs["ecs_cluster_name"],
                                   services=[dev.outputs["ecs_service_name"]])["services"][0]["taskDefinition"]
    current = ecs.describe_task_definition(taskDefinition=running)["taskDefinition"]
    same = {k: current[k] for k in ("family", "containerDefinitions", "taskRoleArn", "executionRoleArn",
                                    "networkMode", "volumes", "requiresCompatibilities", "runtimePlatform")}
    registered: list[str] = []

    def register() -> None:
        registered.append(ecs.register_task_definition(**same, cpu="256", memory="4096")["taskDefinition"][
            "taskDefinitionArn"])

    with changed(register, lambda: ecs.deregister_task_definition(taskDefinition=registered[0])):
        found = evaluate(dev, tiers)
        revision = f"aws_ecs_task_definition.{registered[0].rsplit('/', 1)[1]}"
        assert {f.resource for f in failures(found, "RPY-SIZ-006")} == {revision}  # 256 CPU allows up to 2048 MiB
        assert {(f.resource, f.actual) for f in failures(found, "RPY-SIZ-007")} == {(revision, "256"),
                                                                                    (revision, "4096")}
    assert not failures(evaluate(dev, tiers), "RPY-SIZ-006") + failures(evaluate(dev, tiers), "RPY-SIZ-007")
    assert [r.address for r in dev.read() if r.type == "aws_ecs_task_definition"] == [
        f"aws_ecs_task_definition.{family}:{current['revision']}"]


def test_a_wildcard_inline_policy_on_the_task_role(dev, tiers):
    iam = dev.client("iam")
    role = f"{dev.outputs['name']}-ecs-task"
    grant = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
    with changed(lambda: iam.put_role_policy(RoleName=role, PolicyName="live-probe", PolicyDocument=grant),
                 lambda: iam.delete_role_policy(RoleName=role, PolicyName="live-probe")):
        [finding] = failures(evaluate(dev, tiers), "RPY-SEC-018")
        assert finding.resource == f"aws_iam_role_policy.{role}:live-probe"
        assert "allows every action" in finding.message
    assert not failures(evaluate(dev, tiers), "RPY-SEC-018")


def test_a_role_trusting_any_github_repository(dev, tiers):
    iam = dev.client("iam")
    role = f"{dev.outputs['name']}-ecs-task"
    original = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
    provider = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity", "Principal": {"Federated": provider},
        "Condition": {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:*"}},
    }]})
    with changed(lambda: iam.update_assume_role_policy(RoleName=role, PolicyDocument=trust),
                 lambda: iam.update_assume_role_policy(RoleName=role, PolicyDocument=json.dumps(original))):
        found = failures(evaluate(dev, tiers), "RPY-SEC-019")
        assert {f.resource for f in found} == {f"aws_iam_role.{role}"}
        assert {f.message for f in found} >= {"aud is not pinned", "sub 'repo:*' is not one repository's claim"}
    assert not failures(evaluate(dev, tiers), "RPY-SEC-019")


def test_backup_retention_is_read_live_for_the_production_only_rule(dev, tiers):
    """RPY-SEC-012 applies to production tiers only. Applying prod takes minutes, so its reading of the live
    cluster is checked on dev with the one assumption said out loud: dev treated as a production tier,
    and only that rule run. The verdict must follow the cluster's retention as modify_db_cluster sets it."""
    rds = dev.client("rds")
    cluster = dev.outputs["db_cluster_identifier"]
    as_production = {**tiers, "policy": {**tiers["policy"], "production_tiers": [ENV]}}
    minimum = tiers["policy"]["min_backup_retention_days"]
    kept = tiers["tiers"][ENV]["database"]["backup_retention_days"]

    def judged() -> list[Finding]:
        return [f for f in engine.evaluate(dev.read(), ENV, as_production, Source.LIVE, rules=[DatabaseBackups])
                if f.status == "fail"]

    def retain(days: int) -> None:
        rds.modify_db_cluster(DBClusterIdentifier=cluster, BackupRetentionPeriod=days, ApplyImmediately=True)

    [finding] = judged()  # dev keeps 1 day: short of production's minimum
    assert (finding.resource, finding.actual) == (f"aws_rds_cluster.{cluster}", kept)
    with changed(lambda: retain(minimum), lambda: retain(kept)):
        assert judged() == []
    assert len(judged()) == 1


def test_a_bucket_tagged_as_the_envs_is_checked_with_its_companions(dev, tiers):
    """dev has no bucket (access logs are off); one tagged as dev's is read with its settings."""
    s3 = dev.client("s3")
    bucket = "rupaya-dev-live-probe"
    bucket_rules = {"RPY-SEC-003", "RPY-SEC-014", "RPY-SEC-015", "RPY-SEC-016"}

    def bucket_failures() -> set[tuple[str, str]]:
        return {(f.rule, f.resource) for f in evaluate(dev, tiers) if f.rule in bucket_rules and f.status == "fail"}

    s3.create_bucket(Bucket=bucket)
    try:
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in SCOPE.items()]})
        assert bucket_failures() == {(rule, f"aws_s3_bucket.{bucket}") for rule in bucket_rules}

        s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [{
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms",
                                                   "KMSMasterKeyID": dev.outputs["kms_key_arn"]}}]})
        s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=dict.fromkeys(
            ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True))
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}))
        found = dev.read()
        companions = {r.type for r in found if r.values.get("bucket") == bucket}
        assert companions == {"aws_s3_bucket", "aws_s3_bucket_server_side_encryption_configuration",
                              "aws_s3_bucket_public_access_block", "aws_s3_bucket_versioning", "aws_s3_bucket_policy"}
        assert bucket_failures() == set()

        s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": False,
            "RestrictPublicBuckets": True})
        assert bucket_failures() == {("RPY-SEC-014", f"aws_s3_bucket_public_access_block.{bucket}")}
    finally:
        s3.delete_bucket_policy(Bucket=bucket)
        s3.delete_bucket(Bucket=bucket)
    assert not [r for r in dev.read() if r.values.get("bucket") == bucket]


def test_another_envs_and_bootstraps_resources_are_not_read(dev):
    logs = dev.client("logs")
    probes = {
        "/live-probe/dev": SCOPE,
        "/live-probe/staging": {**SCOPE, "Environment": "staging"},
        "/live-probe/bootstrap": {**SCOPE, "Stack": "bootstrap"},  # bootstrap's per-env objects carry Environment
        "/live-probe/by-hand": {"Project": "rupaya", "Environment": ENV},  # not made by Terraform
    }
    try:
        for name, tags in probes.items():
            logs.create_log_group(logGroupName=name, tags=tags)
        names = {r.values["name"] for r in dev.read() if r.type == "aws_cloudwatch_log_group"}
        assert {n for n in names if n.startswith("/live-probe/")} == {"/live-probe/dev"}
    finally:
        for name in probes:
            logs.delete_log_group(logGroupName=name)


# --------------------------------------------------------------------------------------------
# An endpoint that does not serve every service
# --------------------------------------------------------------------------------------------


class _Unserving(BaseHTTPRequestHandler):
    """Forwards to the emulator, except requests signed for an unserved service: 501, in the service's protocol,
    as LocalStack answers for a service its free tier does not include."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    def _send(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response(status)
        for key, value in headers:
            if key.lower() not in ("transfer-encoding", "connection", "content-length", "server", "date"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        auth = self.headers.get("Authorization", "")
        service = auth.split("Credential=", 1)[1].split("/")[3] if "Credential=" in auth else ""
        if service in self.server.unserved:
            message = f"API for service '{service}' not yet implemented or pro feature"
            if "json" in self.headers.get("Content-Type", ""):
                payload = json.dumps({"__type": "InternalFailure", "message": message}).encode()
                self._send(501, [("Content-Type", "application/x-amz-json-1.1")], payload)
            else:
                payload = (f"<ErrorResponse><Error><Type>Sender</Type><Code>InternalFailure</Code><Message>{message}"
                           "</Message></Error><RequestId>0</RequestId></ErrorResponse>").encode()
                self._send(501, [("Content-Type", "text/xml")], payload)
            return
        upstream = self.server.upstream
        conn = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=60)
        try:
            conn.request(self.command, self.path, body=body, headers=dict(self.headers.items()))
            resp = conn.getresponse()
            self._send(resp.status, resp.getheaders(), resp.read())
        finally:
            conn.close()

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve


@pytest.fixture
def partial_endpoint(dev) -> Iterator[str]:
    with serving(_Unserving, upstream=urlparse(dev.endpoint), unserved=set(UNSERVED_SIGNING)) as url:
        yield url


def test_unserved_services_are_skipped_and_reported(dev, tiers, partial_endpoint):
    whole, partial = dev.read(), dev.read(partial_endpoint)
    assert set(partial.skipped) == UNSERVED_SERVICES
    assert all(why.startswith("HTTP 501 InternalFailure") for why in partial.skipped.values())
    served = {t: n for t, n in whole.types.items() if live.TYPES[t] not in UNSERVED_SERVICES}
    assert partial.types == served

    found = live.evaluate_live(partial, ENV, tiers)
    # (RPY-COST-001's budget is waived for dev in policy/suppressions.yaml, which evaluate_live does not apply.)
    assert not [f for f in found if f.blocking and f.rule != "RPY-COST-001"]
    unknown = {f.rule: f for f in found if f.status == "unknown" and f.resource.startswith(f"{ENV} (live: ")}
    assert "ecr" in unknown["RPY-SEC-017"].resource and "501" in unknown["RPY-SEC-017"].message
    assert "rds" in unknown["RPY-SIZ-002"].resource
    assert "ecs" in unknown["RPY-SIZ-006"].resource
    # The load balancer's internet ingress is fine only on a load balancer's group, which elbv2 would tell.
    alb_rules = [f for f in found if f.rule == "RPY-SEC-008" and "rupaya-dev-alb/" in f.resource]
    assert alb_rules and all(f.status == "unknown" and "elbv2" in f.message for f in alb_rules)


def test_an_open_database_port_still_fails_when_load_balancers_cannot_be_read(dev, tiers, partial_endpoint):
    ec2 = dev.client("ec2")
    group = _group_id(dev, "rupaya-dev-db")
    with changed(lambda: ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=OPEN_POSTGRES),
                 lambda: ec2.revoke_security_group_ingress(GroupId=group, IpPermissions=OPEN_POSTGRES)):
        [finding] = failures(evaluate(dev, tiers, partial_endpoint), "RPY-SEC-008")
        assert finding.resource.startswith("aws_vpc_security_group_ingress_rule.rupaya-dev-db/") and finding.blocking


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_unreachable_endpoint_is_one_input_error():
    url = f"http://127.0.0.1:{_closed_port()}"
    with pytest.raises(PolicyInputError) as caught:
        live.resources_from_live(live.emulator_session(), ENV, endpoint_url=url)
    assert str(caught.value).startswith(f"live: cannot reach {url}") and "\n" not in str(caught.value)


# --------------------------------------------------------------------------------------------
# `infra policy --live`
# --------------------------------------------------------------------------------------------


def run_cli(capsys, *args: str) -> tuple[int, str, list[str]]:
    code = cli.main(["-q", "policy", *args])
    out, err = capsys.readouterr()
    return code, out, [line for line in err.splitlines() if line.startswith("infra:")]


def test_cli_live_clean_then_failing(dev, capsys):
    args = ("--env", ENV, "--live", "--aws-endpoint", dev.endpoint, "--format", "json", "--no-scanners")
    code, out, _ = run_cli(capsys, *args)
    report = json.loads(out)
    assert code == 0 and report["verdict"] == "pass"
    assert report["envs"][0]["steps"]["live policy"] == "ok"
    assert not [f for f in report["findings"] if f["source"] == "live" and f["blocking"]]
    # (That the rules judge what the live read found, the failing half below shows: its finding is "live".)

    ecr = dev.client("ecr")
    repo = dev.outputs["ecr_repository_name"]
    with changed(lambda: ecr.put_image_tag_mutability(repositoryName=repo, imageTagMutability="MUTABLE"),
                 lambda: ecr.put_image_tag_mutability(repositoryName=repo, imageTagMutability="IMMUTABLE")):
        code, out, errors = run_cli(capsys, *args)
    report = json.loads(out)
    assert code == 1 and report["verdict"] == "fail"
    blocking = [(f["rule"], f["resource"], f["source"]) for f in report["findings"] if f["blocking"]]
    assert blocking == [("RPY-SEC-017", f"aws_ecr_repository.{repo}", "live")]
    assert errors == ["infra: dev: policy violations"]


def test_cli_reports_unserved_services_as_skipped_steps(partial_endpoint, capsys):
    code, out, _ = run_cli(capsys, "--env", ENV, "--live", "--aws-endpoint", partial_endpoint, "--format", "json",
                           "--no-scanners")
    report = json.loads(out)
    assert code == 0
    steps = report["envs"][0]["steps"]
    assert {k.removeprefix("live ") for k, v in steps.items() if v.startswith("skipped: HTTP 501")} == \
        UNSERVED_SERVICES
    assert report["envs"][0]["cost_total"].endswith("+/month")  # what was not read is not priced: a lower bound
    assert report["envs"][0]["cost_rows"][-1][1] == "TOTAL (incomplete: a lower bound)"


@pytest.mark.parametrize(("args", "needle"), [
    (("--env", ENV, "--live", "--plan", "plan.json"), "--live and --plan are exclusive"),
    (("--env", "all", "--live"), "--live needs a single env"),
    (("--env", "bootstrap", "--live"), "--live needs a single env"),
    (("--env", ENV, "--aws-endpoint", "http://127.0.0.1:1"), "--aws-endpoint is only used with --live"),
])
def test_cli_rejects_bad_live_arguments(capsys, args, needle):
    code, _, errors = run_cli(capsys, *args, "--no-scanners")
    assert code == 2 and len(errors) == 1 and needle in errors[0]


def test_cli_unreachable_endpoint(capsys):
    url = f"http://127.0.0.1:{_closed_port()}"
    code, out, errors = run_cli(capsys, "--env", ENV, "--live", "--aws-endpoint", url, "--no-scanners")
    assert code == 2 and out == "" and len(errors) == 1 and f"AWS endpoint {url} is unreachable" in errors[0]


def test_cli_endpoint_without_the_env(tmp_path_factory, capsys):
    """An endpoint where dev is not applied: an input error, never a clean pass over nothing."""
    with manager.running(state_dir=tmp_path_factory.mktemp("empty-emulator")) as info:
        code, _, errors = run_cli(capsys, "--env", ENV, "--live", "--aws-endpoint", info.endpoint, "--no-scanners")
    assert code == 2 and len(errors) == 1 and "nothing tagged Project=rupaya, Environment=dev" in errors[0]
