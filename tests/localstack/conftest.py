"""Fixtures of the LocalStack lane (`make test-localstack`): one AWS endpoint for the whole session.

The endpoint is the one the user set, in the order every `infra` command follows
(core.endpoint_settings: `--aws-endpoint URL`, INFRA_AWS_ENDPOINT, AWS_ENDPOINT_URL_<SERVICE> /
AWS_ENDPOINT_URL / the AWS config file, LOCALSTACK_HOST): a LocalStack the user already runs, the
moto emulator (`infra emulator start`), ... Without any, LocalStack is started from
.venv-tools/localstack (host mode, a free loopback port, its files under the session's tmp dir) and
stopped at the end. Nothing here assumes which emulator answers: account ids come from STS, and what
the endpoint does not serve is found out (`infra.emulator.localstack.unserved_services`) and skipped
with the services named.

The live tests run only when the lane is selected (`-m localstack`, or tests/localstack named on the
command line), so the main suite (`make test`, `-m "not integration"`) neither installs nor starts
LocalStack; its unit tests of the detection run everywhere.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from core.aws import AwsSession
from core.errors import InfraError
from infra.emulator import localstack
from infra.endpoints import check_reachable
from infra.terraform import Progress, Terraform

LANE_HINT = "run `make test-localstack` (pytest -m localstack)"

# Why not localstack-client (the design names it): its Session builds boto3 clients for LocalStack's
# edge port from AWS_ENDPOINT_URL, else LOCALSTACK_HOST, and nothing else. This lane also runs against
# moto or any endpoint the user names, with infra's own order (the flag and INFRA_AWS_ENDPOINT first,
# the per-service AWS_ENDPOINT_URL_<SERVICE> and the shared config file honoured); a second library
# resolving endpoints its own way would make the lane's clients and `infra` disagree. AwsSession
# (core.aws) builds the clients from the one endpoint resolved here, with the emulator credentials
# and path-style S3 that localstack-client would set.


def lane_selected(config: pytest.Config) -> bool:
    """The LocalStack lane was asked for: by marker expression or by naming its directory."""
    if "localstack" in (config.getoption("markexpr") or ""):
        return True
    here = Path(__file__).resolve().parent
    for arg in config.args:
        path = Path(arg.split("::", 1)[0]).resolve()
        if path == here or here in path.parents:
            return True
    return False


@pytest.fixture(scope="session")
def localstack_venv(request) -> Path:
    """The Python of LocalStack's own virtualenv; skips when the lane is not selected or not installed."""
    if not lane_selected(request.config):
        pytest.skip(f"the LocalStack lane runs only when selected: {LANE_HINT}")
    try:
        return localstack.venv_python()
    except localstack.LocalStackError as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def lane_endpoint(request, tmp_path_factory) -> Iterator[str]:
    """The endpoint the user set (checked to answer), else a LocalStack started for the session."""
    if not lane_selected(request.config):
        pytest.skip(f"the LocalStack lane runs only when selected: {LANE_HINT}")
    try:
        url = localstack.lane_endpoint(request.config.getoption("--aws-endpoint"))
        if url is not None:
            check_reachable(url)
    except InfraError as exc:
        pytest.fail(str(exc), pytrace=False)
    if url is not None:
        yield url
        return
    request.getfixturevalue("localstack_venv")
    state_dir = tmp_path_factory.mktemp("localstack")
    progress = Progress()
    with progress.step("localstack", "start"):
        started = time.monotonic()
        info = localstack.start(state_dir=state_dir)
    try:
        took = time.monotonic() - started
        progress.say(f"   localstack {info.endpoint} healthy after {took:.1f}s, log {info.log_path}")
        yield info.endpoint
    finally:
        localstack.stop(state_dir)


@pytest.fixture(scope="session")
def aws(lane_endpoint) -> AwsSession:
    """boto3 clients bound to the lane's endpoint."""
    return AwsSession(lane_endpoint)


@pytest.fixture(scope="session")
def account_id(aws) -> str:
    """The endpoint's account: 000000000000 on LocalStack, 123456789012 on moto; never assumed."""
    return aws.account_id()


@pytest.fixture(scope="session")
def require_services(lane_endpoint) -> Callable[..., None]:
    """`require_services("ecs", "rds")` skips the test, naming them, unless the endpoint serves all."""
    known: dict[str, str | None] = {}

    def require(*services: str) -> None:
        todo = [s for s in services if s not in known]
        found = localstack.unserved_services(lane_endpoint, todo)
        known.update({s: found.get(s) for s in todo})
        unserved = {s: known[s] for s in services if known[s]}
        if unserved:
            pytest.skip(localstack.not_served_reason(unserved))

    return require


def _resources(module: dict) -> Iterator[dict]:
    yield from module.get("resources", [])
    for child in module.get("child_modules", []):
        yield from _resources(child)


@pytest.fixture(scope="session")
def state_of() -> Callable[[Terraform], dict[str, dict]]:
    """`state_of(tf)`: {address: attribute values} of the managed resources in a root's state."""

    def read(tf: Terraform) -> dict[str, dict]:
        proc = tf.run("show-state", ["show", "-json", "-no-color"])
        doc = json.loads(proc.stdout or "{}")
        root = doc.get("values", {}).get("root_module", {})
        return {r["address"]: r["values"] for r in _resources(root) if r.get("mode") == "managed"}

    return read
