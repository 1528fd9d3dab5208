"""boto3 clients bound to one AWS endpoint: the emulator, a LocalStack, or real AWS.

A `boto3.Session` cannot carry an endpoint URL, so `AwsSession` adds it to every client it makes.
With an endpoint (an emulator), the emulator's fake credentials are used and never the caller's
profile; without one (real AWS), boto3's normal credential chain applies.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import boto3
from botocore.config import Config

from core.endpoint_settings import for_service

DEFAULT_REGION = "us-east-1"
# The emulator's fake credentials; set explicitly so real AWS credentials in the caller's
# environment are never sent anywhere.
EMULATOR_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}


def emulator_boto3_session(region: str = DEFAULT_REGION) -> boto3.Session:
    """A session with the emulator's fake credentials: never the caller's profile against an emulator."""
    return boto3.Session(
        aws_access_key_id=EMULATOR_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=EMULATOR_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=region,
    )


def client_options(service: str, endpoint: str | None) -> dict:
    """boto3 client arguments for one service at an endpoint (None: AWS itself). An EndpointUrl that
    the SDK settings chose may send some services elsewhere (AWS_ENDPOINT_URL_<SERVICE>)."""
    # Few retries: an emulator that lacks a call should fail in seconds, not minutes.
    config = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=10, read_timeout=60)
    if not endpoint:
        return {"config": config}
    if service == "s3":  # emulators serve buckets by path, not by virtual host
        config = config.merge(Config(s3={"addressing_style": "path"}))
    return {"config": config, "endpoint_url": for_service(endpoint, service)}


@dataclass
class AwsSession:
    endpoint: str | None = None
    region: str = DEFAULT_REGION
    _session: boto3.Session = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.endpoint:
            self._session = emulator_boto3_session(self.region)
        else:
            self._session = boto3.Session(region_name=self.region)

    @property
    def boto3(self) -> boto3.Session:
        """The plain session (credentials and region); clients from it do not know the endpoint."""
        return self._session

    def client(self, service: str, **kwargs):
        return self._session.client(service, **client_options(service, self.endpoint), **kwargs)

    def account_id(self) -> str:
        return self.client("sts").get_caller_identity()["Account"]
