"""Start, find and stop a LocalStack in host mode, and tell which AWS services an endpoint serves.

LocalStack is the second emulator the project can run against; the process handling it shares with
the embedded moto server is in ``background.py``. ``make test-localstack`` installs localstack-core
(pinned by constraints-localstack.txt) into ``.venv-tools/localstack``; it runs in host mode (no Docker,
no auth token) with a private ``FILESYSTEM_ROOT`` under the state dir.

What an endpoint serves (measured with localstack-core 4.9.2 on Python 3.11, no auth token):
``/_localstack/health`` lists 35 services, all "available" until first used, then "running". ECS,
ECR, ELBv2, RDS, ElastiCache, AppConfig and Application Auto Scaling are absent from it, and their
APIs answer HTTP 501 InternalFailure ("not included in your current license plan or has not yet
been emulated"), as the 2026 images do for the free tier. DynamoDB is listed (and "running" after a
call) but cannot work offline: it needs a JDK that LocalStack tries to download, and its calls fail
with HTTP 500 after about 9 s. So ``unserved_services`` trusts neither source alone: a service is
unserved when the health endpoint says "disabled"/"error" or leaves it out, or when a cheap read-only
call answers 5xx. moto and real AWS have no health endpoint (``served_services`` gives None) and are
judged by the probe calls alone.
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from pathlib import Path

from core.endpoint_settings import EndpointUrl, configured_endpoint
from core.project import REPO_ROOT
from infra.emulator.background import HOST, OPENER, BackgroundServer, Launch, ServerInfo
from infra.emulator.manager import DEFAULT_STATE_DIR, EmulatorError

STATE_FILE = "localstack.json"
LOG_FILE = "localstack.log"
FILESYSTEM_DIR = "localstack-fs"
HEALTH_PATH = "/_localstack/health"
# It answers about 1-2 s after the start on this machine; the rest is headroom for a loaded one.
START_TIMEOUT = 60.0
STOP_GRACE = 10.0
DEFAULT_VENV = REPO_ROOT / ".venv-tools" / "localstack"
VENV_ENV = "INFRA_LOCALSTACK_VENV"
INSTALL_HINT = "run `make test-localstack` (it installs LocalStack into .venv-tools/localstack)"

# Host mode, everything under FILESYSTEM_ROOT, and nothing that needs the internet or Docker.
_LOCALSTACK_ENV = {
    "OVERRIDE_IN_DOCKER": "0",  # else it thinks it runs in its image and writes to /var/lib/localstack
    "DNS_ADDRESS": "0",  # its DNS server is of no use here (and needs a psutil it does not pin)
    "SKIP_SSL_CERT_DOWNLOAD": "1",  # a self-signed certificate instead of a download
    "DISABLE_EVENTS": "1",  # no analytics
    "PERSISTENCE": "0",
}

# A health status that means "not served" (the others: available, running, initialized).
UNSERVED_STATUSES = frozenset({"disabled", "error"})

# What the free tier of LocalStack serves that this project's stacks use (docs and measurement),
# and what it answers 501 for. DynamoDB is neither: listed, but unusable without a JDK.
FREE_TIER_SERVICES = frozenset({
    "acm", "cloudwatch", "ec2", "events", "iam", "kms", "logs", "route53", "s3", "secretsmanager", "sns",
    "sqs", "ssm", "sts",
})
LICENSED_SERVICES = ("ecs", "ecr", "elbv2", "rds", "elasticache", "appconfig", "application-autoscaling")

# One cheap read-only call per service (LocalStack's service names, which are also boto3's).
PROBES: dict[str, tuple[str, dict]] = {
    "acm": ("list_certificates", {}),
    "appconfig": ("list_applications", {}),
    "application-autoscaling": ("describe_scalable_targets", {"ServiceNamespace": "ecs"}),
    "cloudwatch": ("describe_alarms", {}),
    "dynamodb": ("list_tables", {}),
    "ec2": ("describe_vpcs", {}),
    "ecr": ("describe_repositories", {}),
    "ecs": ("list_clusters", {}),
    "elasticache": ("describe_cache_clusters", {}),
    "elbv2": ("describe_load_balancers", {}),
    "events": ("list_event_buses", {}),
    "iam": ("list_roles", {}),
    "kms": ("list_keys", {}),
    "logs": ("describe_log_groups", {}),
    "rds": ("describe_db_clusters", {}),
    "route53": ("list_hosted_zones", {}),
    "s3": ("list_buckets", {}),
    "secretsmanager": ("list_secrets", {}),
    "sns": ("list_topics", {}),
    "sqs": ("list_queues", {}),
    "ssm": ("describe_parameters", {}),
    "sts": ("get_caller_identity", {}),
}

# Terraform resource and data source types by the service their API calls go to. Longest prefix wins;
# "" is a type that calls no API (aws_iam_policy_document, aws_partition, ...).
_TYPE_PREFIXES: dict[str, str] = {
    "aws_acm_": "acm",
    "aws_alb": "elbv2",
    "aws_appautoscaling_": "application-autoscaling",
    "aws_appconfig_": "appconfig",
    "aws_availability_zones": "ec2",
    "aws_caller_identity": "sts",
    "aws_cloudwatch_event_": "events",
    "aws_cloudwatch_log_": "logs",
    "aws_cloudwatch_metric_alarm": "cloudwatch",
    "aws_db_": "rds",
    "aws_default_": "ec2",
    "aws_dynamodb_": "dynamodb",
    "aws_ecr_": "ecr",
    "aws_ecs_": "ecs",
    "aws_eip": "ec2",
    "aws_elasticache_": "elasticache",
    "aws_elb_service_account": "",
    "aws_flow_log": "ec2",
    "aws_iam_": "iam",
    "aws_iam_policy_document": "",
    "aws_internet_gateway": "ec2",
    "aws_kms_": "kms",
    "aws_lb": "elbv2",
    "aws_nat_gateway": "ec2",
    "aws_partition": "",
    "aws_rds_": "rds",
    "aws_region": "",
    "aws_route53_": "route53",
    "aws_route": "ec2",
    "aws_s3_": "s3",
    "aws_secretsmanager_": "secretsmanager",
    "aws_security_group": "ec2",
    "aws_sns_": "sns",
    "aws_sqs_": "sqs",
    "aws_ssm_": "ssm",
    "aws_subnet": "ec2",
    "aws_vpc": "ec2",
}


class LocalStackError(EmulatorError):
    """Something the user can fix: LocalStack not installed, port in use, it would not start, ..."""


LocalStackInfo = ServerInfo


# --- what an endpoint serves ----------------------------------------------------------------------


def lane_endpoint(option: str | None) -> EndpointUrl | None:
    """The endpoint the LocalStack lane runs against when the user set one, in infra's one order
    (core.endpoint_settings: the lane's --aws-endpoint option, INFRA_AWS_ENDPOINT, AWS_ENDPOINT_URL_<SERVICE>
    / AWS_ENDPOINT_URL / the AWS config file, LOCALSTACK_HOST); None: the lane starts a LocalStack."""
    return configured_endpoint(option)


def health(endpoint: str, timeout: float = 2.0) -> dict | None:
    """LocalStack's ``/_localstack/health`` document, or None when ``endpoint`` is not a LocalStack."""
    try:
        with OPENER.open(f"{endpoint.rstrip('/')}{HEALTH_PATH}", timeout=timeout) as resp:
            doc = json.loads(resp.read())
    except (OSError, urllib.error.URLError, ValueError):
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("services"), dict):
        return None
    return doc


def answers(endpoint: str, timeout: float = 2.0) -> bool:
    """True when a LocalStack answers its health check on ``endpoint``."""
    return health(endpoint, timeout) is not None


def served_services(endpoint: str, timeout: float = 2.0) -> dict[str, str] | None:
    """{service: status} from LocalStack's health endpoint; None for moto, real AWS or no answer."""
    doc = health(endpoint, timeout)
    return None if doc is None else {str(k): str(v) for k, v in doc["services"].items()}


def probe(endpoint: str, service: str, timeout: float = 30.0) -> str | None:
    """Why ``service`` is not served at ``endpoint`` by one read-only call, or None when it answered.

    A 5xx (LocalStack's 501 for a licensed service, a 500 from a backend that cannot start) means
    not served; a 4xx is the service itself answering (e.g. AccessDenied on real AWS).
    """
    import boto3  # here, so that importing this module stays cheap
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError
    from botocore.parsers import ResponseParserError

    from core.aws import EMULATOR_CREDENTIALS

    if service not in PROBES:
        raise ValueError(f"no probe call for service '{service}'; known: {', '.join(sorted(PROBES))}")
    operation, kwargs = PROBES[service]
    client = boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=EMULATOR_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=EMULATOR_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        # One attempt: a 500 must not be retried into minutes.
        config=Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=timeout),
    )
    call = client.meta.method_to_api_mapping.get(operation, operation)
    try:
        getattr(client, operation)(**kwargs)
    except ClientError as exc:
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        if status >= 500:
            code = exc.response.get("Error", {}).get("Code", "")
            return f"{call} answered {status} {code}".rstrip()
        return None
    except EndpointConnectionError as exc:
        raise LocalStackError(f"{endpoint} does not answer: {exc}") from None
    except (BotoCoreError, ResponseParserError) as exc:  # e.g. HTML where the protocol's XML was expected
        return f"{call} failed: {type(exc).__name__}"
    return None


def unserved_services(
    endpoint: str, needed: Iterable[str], *, probe_calls: bool = True, timeout: float = 30.0
) -> dict[str, str]:
    """The services of ``needed`` that ``endpoint`` does not serve, each with why; empty when all are.

    A LocalStack's health endpoint rules a service out when it says "disabled" or "error" or does
    not list it; with ``probe_calls`` a read-only call per service rules out one that answers 5xx
    (the only check for moto and real AWS, which have no health endpoint).
    """
    statuses = served_services(endpoint)
    reasons: dict[str, list[str]] = {}
    for service in dict.fromkeys(needed):
        why = []
        if statuses is not None:
            status = statuses.get(service)
            if status is None:
                why.append(f"not in {HEALTH_PATH}")
            elif status in UNSERVED_STATUSES:
                why.append(f"{HEALTH_PATH}: {status}")
        if probe_calls:
            failed = probe(endpoint, service, timeout=timeout)
            if failed:
                why.append(failed)
        if why:
            reasons[service] = "; ".join(why)
    return reasons


def not_served_reason(unserved: Mapping[str, str]) -> str:
    """A skip reason that names the services first: 'not served by this endpoint: ecs, rds (why)'.

    Services that failed the same way share one explanation (the probe's operation name left out).
    """
    groups: dict[str, list[str]] = {}
    for name, why in unserved.items():
        groups.setdefault(re.sub(r"\b[A-Z][A-Za-z0-9]+ (answered|failed)\b", r"API \1", why), []).append(name)
    if len(groups) == 1:
        details = next(iter(groups))
    else:
        details = "; ".join(f"{', '.join(names)}: {why}" for why, names in groups.items())
    return f"not served by this endpoint: {', '.join(unserved)} ({details})"


def service_of(resource_type: str) -> str:
    """The service a Terraform resource/data type calls ("" for none); ValueError for an unknown one."""
    matches = [prefix for prefix in _TYPE_PREFIXES if resource_type.startswith(prefix)]
    if not matches:
        raise ValueError(f"no AWS service known for Terraform type '{resource_type}' (add it to _TYPE_PREFIXES)")
    return _TYPE_PREFIXES[max(matches, key=len)]


def plan_services(plan: dict) -> dict[str, list[str]]:
    """{service: [addresses]} of everything a plan (``terraform show -json``) creates, changes or reads."""
    result: dict[str, list[str]] = {}
    for change in plan.get("resource_changes", []):
        if change["change"]["actions"] == ["no-op"]:
            continue
        service = service_of(change["type"])
        if service:
            result.setdefault(service, []).append(change["address"])
    return result


# --- the process ----------------------------------------------------------------------------------


def venv_python(venv: Path | None = None) -> Path:
    """The Python of LocalStack's virtualenv (``venv``, $INFRA_LOCALSTACK_VENV or .venv-tools/localstack)."""
    venv = Path(venv or os.environ.get(VENV_ENV) or DEFAULT_VENV)
    python = venv / "bin" / "python"
    if not python.is_file() or not _has_localstack(venv):
        raise LocalStackError(f"LocalStack is not installed in {venv}: {INSTALL_HINT}")
    return python


def _has_localstack(venv: Path) -> bool:
    return any(venv.glob("lib/python3*/site-packages/localstack/runtime/main.py"))


class _LocalStack(BackgroundServer):
    name = "LocalStack"
    state_file = STATE_FILE
    log_file = LOG_FILE
    cmdline_marker = b"localstack.runtime.main"
    ready_path = HEALTH_PATH
    start_timeout = START_TIMEOUT
    stop_grace = STOP_GRACE
    error = LocalStackError

    def answers(self, endpoint: str, timeout: float = 2.0) -> bool:
        return health(endpoint, timeout) is not None

    def launch(self, port: int, state_dir: Path, python: Path | None = None) -> Launch:
        fs_root = (state_dir / FILESYSTEM_DIR).resolve()
        fs_root.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LOCALSTACK_"))}
        env.update(_LOCALSTACK_ENV)
        env.update(GATEWAY_LISTEN=f"{HOST}:{port}", FILESYSTEM_ROOT=str(fs_root), PYTHONUNBUFFERED="1")
        return Launch([str(python), "-m", "localstack.runtime.main"], env, state_dir,
                      extra_state={"filesystem_root": str(fs_root)})


LOCALSTACK = _LocalStack()


def status(state_dir: Path = DEFAULT_STATE_DIR) -> LocalStackInfo | None:
    """The LocalStack recorded in ``state_dir`` if its process lives and it answers (background.py)."""
    return LOCALSTACK.status(state_dir)


def start(port: int | None = None, state_dir: Path = DEFAULT_STATE_DIR, venv: Path | None = None,
          timeout: float = START_TIMEOUT) -> LocalStackInfo:
    """Spawn LocalStack in host mode in the background and wait until its health check answers.

    ``port=None`` picks a free loopback port. Raises ``LocalStackError`` when LocalStack is not
    installed, one recorded in ``state_dir`` already runs, the port is taken, or it dies or stays
    silent for ``timeout`` seconds (then its process group is killed); the message names the log.
    """
    python = venv_python(venv)
    return LOCALSTACK.start(port=port, state_dir=state_dir, timeout=timeout, python=python)


def stop(state_dir: Path = DEFAULT_STATE_DIR) -> bool:
    """Stop the LocalStack recorded in ``state_dir`` (its whole process group); True if one was running."""
    return LOCALSTACK.stop(state_dir)


def running(port: int | None = None, state_dir: Path = DEFAULT_STATE_DIR, venv: Path | None = None,
            timeout: float = START_TIMEOUT) -> AbstractContextManager[LocalStackInfo]:
    """Run a LocalStack for the duration of a ``with`` block; always stops it."""
    return LOCALSTACK.running(port=port, state_dir=state_dir, timeout=timeout, python=venv_python(venv))
