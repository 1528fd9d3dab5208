"""AWS_ENDPOINT_URL as the only endpoint setting, as the AWS SDKs and tflocal take it: an `infra`
command and the LocalStack lane's clients go to that endpoint, and the provider config infra writes
names it (per service where AWS_ENDPOINT_URL_<SERVICE> says otherwise)."""

from __future__ import annotations

import pytest
from cli_run import assert_one_line_error, closed_port, infra  # tests/cli_run.py

from core.aws import AwsSession
from core.endpoint_settings import configured_endpoint
from core.project import Project
from infra.emulator import localstack
from infra.workspace import ENDPOINT_SERVICES, OVERRIDE_NAME, prepare

# Every other way to name an endpoint, so that AWS_ENDPOINT_URL is the only one set.
OTHER_SETTINGS = ("AWS_ENDPOINT_URL*", "INFRA_AWS_ENDPOINT", "LOCALSTACK_HOST", "AWS_PROFILE", "AWS_CONFIG_FILE",
                  "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")


@pytest.mark.emulator
def test_an_infra_command_goes_to_aws_endpoint_url(emulator, tmp_path):
    """`infra policy --live` reads dev from the endpoint AWS_ENDPOINT_URL names: the emulator answers
    that nothing of dev is there (nothing is applied on it), naming that endpoint."""
    proc = infra("policy", "--env", "dev", "--live", "--no-scanners", drop=OTHER_SETTINGS,
                 env={"AWS_ENDPOINT_URL": emulator, "INFRA_STATE_DIR": str(tmp_path)})
    assert f"live: reading dev from {emulator}" in proc.stderr
    assert_one_line_error(proc, f"nothing tagged Project=rupaya, Environment=dev, ManagedBy=terraform, "
                                f"no Stack tag on {emulator}: is dev applied there?")


def test_the_provider_config_names_the_sdk_endpoints_per_service(project, monkeypatch, tmp_path):
    """The override file infra writes (as tflocal does) sends each service where the SDK would."""
    for name in ("INFRA_AWS_ENDPOINT", "LOCALSTACK_HOST", "AWS_PROFILE", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://base.test:4566")
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", "http://sqs.test:9324")
    monkeypatch.setenv("AWS_ENDPOINT_URL_SERVICE_QUOTAS", "http://quotas.test:9000")
    work = Project(terraform_dir=project.terraform_dir, state_dir=tmp_path)
    ws = prepare(work, "dev", configured_endpoint())
    text = (ws.dir / OVERRIDE_NAME).read_text()
    lines = {line.split("=")[0].strip(): line.split("=", 1)[1].strip() for line in text.splitlines()
             if line.strip().split(" ")[0] in ENDPOINT_SERVICES and "=" in line}
    special = {"sqs": "http://sqs.test:9324", "servicequotas": "http://quotas.test:9000"}
    assert lines == {svc: f'"{special.get(svc, "http://base.test:4566")}"' for svc in ENDPOINT_SERVICES}


def test_an_unreachable_aws_endpoint_url_is_one_line_naming_it(tmp_path):
    url = f"http://127.0.0.1:{closed_port()}"
    proc = infra("plan", "--env", "dev", drop=OTHER_SETTINGS, env={"AWS_ENDPOINT_URL": url,
                                                                   "INFRA_STATE_DIR": str(tmp_path)})
    assert_one_line_error(proc, f"AWS endpoint {url} is unreachable")


@pytest.mark.emulator
def test_the_localstack_lanes_client_goes_to_aws_endpoint_url(emulator, monkeypatch):
    for name in ("INFRA_AWS_ENDPOINT", "LOCALSTACK_HOST", "AWS_PROFILE", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", emulator)
    endpoint = localstack.lane_endpoint(None)  # what tests/localstack/conftest.py's lane_endpoint resolves
    assert (endpoint, endpoint.source) == (emulator, "AWS_ENDPOINT_URL")
    sts = AwsSession(endpoint).client("sts")  # as the lane's `aws` fixture builds its clients
    assert sts.meta.endpoint_url == emulator
    assert sts.get_caller_identity()["Account"] == "123456789012"  # moto's account: the emulator answered
