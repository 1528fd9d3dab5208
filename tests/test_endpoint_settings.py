"""The endpoint order (core.endpoint_settings): flag, INFRA_AWS_ENDPOINT, the AWS SDKs' own settings
(read by botocore), LOCALSTACK_HOST; and every `infra` path that makes clients or provider config
follows it. Against a real emulator: an `infra` command and a LocalStack-lane client with
AWS_ENDPOINT_URL as their only endpoint setting."""

from __future__ import annotations

import pytest

from core.aws import AwsSession
from core.endpoint_settings import PROJECT_ENV, EndpointUrl, configured_endpoint, for_service
from core.errors import InfraError

SDK_VARIABLES = ("AWS_ENDPOINT_URL", "AWS_CONFIG_FILE", "AWS_PROFILE", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
                 "LOCALSTACK_HOST", PROJECT_ENV)


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No endpoint setting from the caller's environment; an empty shared config file."""
    import os

    for name in list(os.environ):
        if name in SDK_VARIABLES or name.startswith("AWS_ENDPOINT_URL_"):
            monkeypatch.delenv(name)
    config = tmp_path / "aws-config"
    config.write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    return monkeypatch, config


def test_nothing_set_is_infras_own_emulator(clean_env):
    assert configured_endpoint() is None


def test_the_order_flag_project_variable_sdk_localstack(clean_env):
    env, _ = clean_env
    env.setenv("LOCALSTACK_HOST", "localstack.internal")
    assert (configured_endpoint(), configured_endpoint().source) == ("http://localstack.internal:4566",
                                                                     "LOCALSTACK_HOST")
    env.setenv("AWS_ENDPOINT_URL", "http://sdk:4000/")
    assert (configured_endpoint(), configured_endpoint().source) == ("http://sdk:4000", "AWS_ENDPOINT_URL")
    env.setenv(PROJECT_ENV, "http://project:5000")
    assert (configured_endpoint(), configured_endpoint().source) == ("http://project:5000", PROJECT_ENV)
    assert (configured_endpoint("http://flag:6000"), configured_endpoint("http://flag:6000").source) == \
        ("http://flag:6000", "--aws-endpoint")


def test_a_flag_or_the_project_variable_sends_every_service_to_one_place(clean_env):
    env, _ = clean_env
    env.setenv("AWS_ENDPOINT_URL_S3", "http://s3-only:9000")
    env.setenv(PROJECT_ENV, "http://project:5000")
    assert configured_endpoint().for_service("s3") == "http://project:5000"


def test_per_service_variables_follow_botocores_names(clean_env):
    env, _ = clean_env
    env.setenv("AWS_ENDPOINT_URL", "http://base:4566")
    env.setenv("AWS_ENDPOINT_URL_S3", "http://s3:9000")
    env.setenv("AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2", "http://elb:9001")
    endpoint = configured_endpoint()
    assert endpoint == "http://base:4566"
    assert {s: endpoint.for_service(s) for s in ("s3", "elbv2", "sts", "application-autoscaling")} == {
        "s3": "http://s3:9000", "elbv2": "http://elb:9001", "sts": "http://base:4566",
        "application-autoscaling": "http://base:4566"}
    # Every client infra makes goes where the SDK would send it.
    session = AwsSession(endpoint)
    assert session.client("s3").meta.endpoint_url == "http://s3:9000"
    assert session.client("elbv2").meta.endpoint_url == "http://elb:9001"
    assert session.client("ecs").meta.endpoint_url == "http://base:4566"


def test_the_shared_config_file_profile_and_services_section(clean_env):
    env, config = clean_env
    # A services section names a service by its id in snake case (Secrets Manager: secrets_manager).
    config.write_text("[profile emu]\nendpoint_url = http://from-profile:4566\nservices = emu-services\n\n"
                      "[services emu-services]\nsecrets_manager =\n  endpoint_url = http://secrets:7000\n")
    env.setenv("AWS_PROFILE", "emu")
    endpoint = configured_endpoint()
    assert (endpoint, endpoint.source) == ("http://from-profile:4566", "the AWS shared config file (endpoint_url)")
    assert endpoint.for_service("secretsmanager") == "http://secrets:7000"
    assert endpoint.for_service("kms") == "http://from-profile:4566"


def test_ignore_configured_endpoint_urls_switches_the_sdk_settings_off(clean_env):
    env, _ = clean_env
    env.setenv("AWS_ENDPOINT_URL", "http://sdk:4000")
    env.setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
    assert configured_endpoint() is None


@pytest.mark.parametrize(("variables", "needle"), [
    ({"AWS_ENDPOINT_URL": "localhost:4566"}, "'localhost:4566' (from AWS_ENDPOINT_URL) is not an http(s) URL"),
    ({"AWS_ENDPOINT_URL": "http://emu:port"}, "(from AWS_ENDPOINT_URL) has a port that is not a number"),
    ({"AWS_ENDPOINT_URL": "http://emu:4566", "AWS_ENDPOINT_URL_S3": "localhost:9000"},
     "the AWS SDK settings' endpoint for s3 is not usable: Invalid endpoint: localhost:9000"),
    ({"LOCALSTACK_HOST": "http://localhost:4566"}, "is not host[:port]"),
    ({PROJECT_ENV: "ftp://x"}, f"(from {PROJECT_ENV}) is not an http(s) URL"),
    ({"LOCALSTACK_HOST": "host:port"}, "LOCALSTACK_HOST='host:port' is not host[:port]"),
    ({"AWS_PROFILE": "nowhere", "AWS_ENDPOINT_URL": "http://x:1"}, "the AWS shared config cannot be read"),
])
def test_a_bad_setting_is_one_clear_error(clean_env, variables, needle):
    env, _ = clean_env
    for name, value in variables.items():
        env.setenv(name, value)
    with pytest.raises(InfraError) as raised:
        configured_endpoint().for_service("s3")
    assert needle in str(raised.value) and "\n" not in str(raised.value)


def test_per_service_settings_alone_or_on_aws_itself_name_no_emulator(clean_env):
    """Real AWS stays real AWS: no fake credentials for a VPC endpoint, nothing refused."""
    env, _ = clean_env
    env.setenv("AWS_ENDPOINT_URL_S3", "http://s3:9000")
    env.setenv("AWS_ENDPOINT_URL_STS", "")  # an empty value is no setting, as for botocore
    assert configured_endpoint() is None
    env.setenv("AWS_ENDPOINT_URL", "https://vpce-0abc.kms.us-east-1.vpce.amazonaws.com")
    assert configured_endpoint() is None  # so AwsSession uses the caller's credential chain, never "test"


@pytest.mark.parametrize(("value", "url"), [
    ("localhost", "http://localhost:4566"), ("ls.internal:4567", "http://ls.internal:4567"),
    ("[::1]", "http://[::1]:4566"), ("[::1]:4570", "http://[::1]:4570"),
])
def test_localstack_host_is_host_and_port(clean_env, value, url):
    env, _ = clean_env
    env.setenv("LOCALSTACK_HOST", value)
    assert configured_endpoint() == url


def test_an_endpoint_url_survives_copy_and_pickle(clean_env):
    import copy
    import pickle

    env, _ = clean_env
    env.setenv("AWS_ENDPOINT_URL", "http://base:4566")
    env.setenv("AWS_ENDPOINT_URL_S3", "http://s3:9000")
    endpoint = configured_endpoint()
    for clone in (copy.deepcopy(endpoint), pickle.loads(pickle.dumps(endpoint))):
        assert (clone, clone.source, clone.for_service("s3")) == (endpoint, "AWS_ENDPOINT_URL", "http://s3:9000")


def test_for_service_takes_a_plain_url_or_none():
    assert for_service("http://x:1", "s3") == "http://x:1"
    assert for_service(None, "s3") is None
    assert isinstance(EndpointUrl("http://x:1/", "--aws-endpoint"), str)
