"""Start, find and stop a LocalStack in host mode, and tell which AWS services an endpoint serves.

LocalStack is the second emulator the project can run against (the first is the embedded moto
server in ``infra.emulator.manager``, whose API this module mirrors). It is not a dependency of the
project: ``make test-localstack`` installs localstack-core 4.9.2, pinned by constraints-localstack.txt,
into a virtualenv of its own (``.venv-tools/localstack``), and this module starts it from there:

    with running(state_dir=tmp) as ls:          # a free loopback port, state under tmp
        boto3.client("s3", endpoint_url=ls.endpoint, ...)

It runs in host mode (``OVERRIDE_IN_DOCKER=0``; no Docker, no auth token) with a private
``FILESYSTEM_ROOT`` under the state dir, so it writes nothing outside it. A running LocalStack is
described by ``<state_dir>/localstack.json`` ({pid, port, endpoint, started_at, log, filesystem_root}).

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

import contextlib
import json
import os
import re
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from core.project import REPO_ROOT
from infra.emulator.manager import (
    _OPENER,
    DEFAULT_STATE_DIR,
    HOST,
    EmulatorError,
    _kill_group,
    _tail,
    free_port,
    pid_alive,
    port_in_use,
)

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


@dataclass(frozen=True)
class LocalStackInfo:
    endpoint: str
    port: int
    pid: int
    log_path: Path
    filesystem_root: Path


# --- what an endpoint serves ----------------------------------------------------------------------


def health(endpoint: str, timeout: float = 2.0) -> dict | None:
    """LocalStack's ``/_localstack/health`` document, or None when ``endpoint`` is not a LocalStack."""
    try:
        with _OPENER.open(f"{endpoint.rstrip('/')}{HEALTH_PATH}", timeout=timeout) as resp:
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


def _state_path(state_dir: Path) -> Path:
    return Path(state_dir) / STATE_FILE


def _read_state(state_dir: Path) -> dict | None:
    try:
        return json.loads(_state_path(state_dir).read_text())
    except (OSError, ValueError):
        return None


def _info(state: dict) -> LocalStackInfo:
    return LocalStackInfo(
        endpoint=state["endpoint"],
        port=int(state["port"]),
        pid=int(state["pid"]),
        log_path=Path(state["log"]),
        filesystem_root=Path(state["filesystem_root"]),
    )


def status(state_dir: Path = DEFAULT_STATE_DIR) -> LocalStackInfo | None:
    """The LocalStack recorded in ``state_dir`` if its process lives and it answers.

    A state file whose process is gone (or is not LocalStack any more) is stale: it is removed and
    ``None`` is returned. A live one that does not answer also gives ``None`` but keeps its file,
    so that ``stop`` can end it.
    """
    state = _read_state(state_dir)
    if state is None:
        return None
    try:
        info = _info(state)
    except (KeyError, TypeError, ValueError):
        _state_path(state_dir).unlink(missing_ok=True)
        return None
    if not _is_localstack(info.pid):
        _state_path(state_dir).unlink(missing_ok=True)
        return None
    return info if answers(info.endpoint) else None


def start(
    port: int | None = None,
    state_dir: Path = DEFAULT_STATE_DIR,
    venv: Path | None = None,
    timeout: float = START_TIMEOUT,
) -> LocalStackInfo:
    """Spawn LocalStack in host mode in the background and wait until its health check answers.

    ``port=None`` picks a free loopback port. Raises ``LocalStackError`` when LocalStack is not
    installed, one recorded in ``state_dir`` already runs, the port is taken, or it dies or stays
    silent for ``timeout`` seconds (then its process group is killed); the message names the log.
    """
    python = venv_python(venv)
    state_dir = Path(state_dir)
    if status(state_dir) is not None or _state_path(state_dir).exists():
        state = _read_state(state_dir) or {}
        raise LocalStackError(
            f"a LocalStack is already running at {state.get('endpoint')} (pid {state.get('pid')}); stop it first"
        )
    if port is None:
        port = free_port()
    elif port_in_use(port):
        raise LocalStackError(f"port {port} is already in use on {HOST}; choose another port or stop what uses it")

    state_dir.mkdir(parents=True, exist_ok=True)
    log_path = (state_dir / LOG_FILE).resolve()
    fs_root = (state_dir / FILESYSTEM_DIR).resolve()
    fs_root.mkdir(parents=True, exist_ok=True)
    endpoint = f"http://{HOST}:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LOCALSTACK_"))}
    env.update(_LOCALSTACK_ENV)
    env.update(GATEWAY_LISTEN=f"{HOST}:{port}", FILESYSTEM_ROOT=str(fs_root), PYTHONUNBUFFERED="1")

    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [str(python), "-m", "localstack.runtime.main"],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=str(state_dir),
            start_new_session=True,
        )

    try:
        _wait_healthy(proc, endpoint, log_path, timeout)
    except BaseException:
        _kill_group(proc.pid, STOP_GRACE)  # whatever it started goes too, even when it failed
        raise

    state = {
        "pid": proc.pid,
        "port": port,
        "endpoint": endpoint,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "log": str(log_path),
        "filesystem_root": str(fs_root),
    }
    _state_path(state_dir).write_text(json.dumps(state, indent=2) + "\n")
    return _info(state)


def _wait_healthy(proc: subprocess.Popen, endpoint: str, log_path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not answers(endpoint, timeout=1.0):
        if proc.poll() is not None:
            raise LocalStackError(
                f"LocalStack exited with code {proc.returncode} before answering on {endpoint}; "
                f"last lines of {log_path}:\n{_tail(log_path)}"
            )
        if time.monotonic() > deadline:
            raise LocalStackError(
                f"LocalStack did not answer {HEALTH_PATH} on {endpoint} within {timeout:.0f}s; "
                f"last lines of {log_path}:\n{_tail(log_path)}"
            )
        time.sleep(0.1)


def stop(state_dir: Path = DEFAULT_STATE_DIR) -> bool:
    """Stop the LocalStack recorded in ``state_dir`` (its whole process group); True if one was running.

    Idempotent: no state file, or a stale one, is not an error.
    """
    if not _state_path(state_dir).exists():
        return False
    state = _read_state(state_dir) or {}
    was_running = False
    with contextlib.suppress(KeyError, TypeError, ValueError):
        pid = int(state["pid"])
        if _is_localstack(pid):
            was_running = True
            _kill_group(pid, STOP_GRACE)
    _state_path(state_dir).unlink(missing_ok=True)
    return was_running


def _is_localstack(pid: int) -> bool:
    """``pid`` is alive, leads its own process group and runs LocalStack (not a reused pid)."""
    if not pid_alive(pid):
        return False
    try:
        if os.getpgid(pid) != pid:
            return False
    except ProcessLookupError:
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True
    return b"localstack.runtime.main" in cmdline


@contextlib.contextmanager
def running(
    port: int | None = None,
    state_dir: Path = DEFAULT_STATE_DIR,
    venv: Path | None = None,
    timeout: float = START_TIMEOUT,
) -> Iterator[LocalStackInfo]:
    """Run a LocalStack for the duration of a ``with`` block; always stops it."""
    info = start(port=port, state_dir=state_dir, venv=venv, timeout=timeout)
    try:
        yield info
    finally:
        stop(state_dir)


class LocalStack:
    """Object form of the functions above, bound to one state directory."""

    def __init__(self, state_dir: Path = DEFAULT_STATE_DIR, venv: Path | None = None) -> None:
        self.state_dir = Path(state_dir)
        self.venv = venv

    def start(self, port: int | None = None) -> LocalStackInfo:
        return start(port=port, state_dir=self.state_dir, venv=self.venv)

    def stop(self) -> bool:
        return stop(self.state_dir)

    def status(self) -> LocalStackInfo | None:
        return status(self.state_dir)
