"""Which AWS endpoint the user has chosen, in one documented order, read as the AWS SDKs read it.

The first setting present wins:

1. `--aws-endpoint URL`, the command's flag: every service.
2. `INFRA_AWS_ENDPOINT`, the project's variable: every service.
3. The AWS SDKs' and CLI's own settings, per service: `AWS_ENDPOINT_URL_<SERVICE>`, then
   `AWS_ENDPOINT_URL`, then the shared config file (the profile's `services` section, then its
   `endpoint_url`). `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true` (or `ignore_configured_endpoint_urls`
   in the profile) switches them off, as it does for the SDKs.
4. `LOCALSTACK_HOST` (`host[:port]`, port 4566 by default), LocalStack's own setting: every service.
5. None of them: infra's own emulator (the running one, or one started for the command).

Step 3 asks botocore itself which endpoint it would use for a service (a client it builds, against one
built with configured endpoints ignored), so the service-name rules (`AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2`,
the profile's `services = ...` section) are the SDK's, not a copy of them. Per-service settings
apply on top of a base endpoint (`AWS_ENDPOINT_URL` or the profile's `endpoint_url`). Without a
base, or with a base on AWS itself (`*.amazonaws.com`: a VPC or FIPS endpoint), step 3 names no
emulator: the run goes to AWS with the caller's credentials, and boto3 and the provider honour the
SDK settings by themselves. Only an emulator endpoint gets the emulator's fake credentials.
"""

from __future__ import annotations

import functools
import os
from urllib.parse import urlparse, urlsplit

from core.errors import InfraError

FLAG = "--aws-endpoint"
PROJECT_ENV = "INFRA_AWS_ENDPOINT"
SDK_ENV = "AWS_ENDPOINT_URL"
LOCALSTACK_HOST_ENV = "LOCALSTACK_HOST"
LOCALSTACK_DEFAULT_PORT = 4566


class EndpointUrl(str):
    """An endpoint URL (the one every service uses unless told otherwise) that also knows where it
    was set and, when the SDK settings chose it, which services they send elsewhere. It is a
    ``str``, so code that only needs the URL takes it as one; code that makes clients or provider
    configuration asks ``for_service``."""

    source: str
    _per_service: bool  # the SDK settings chose it, and some of them name a service

    def __new__(cls, url: str, source: str, per_service: bool = False) -> EndpointUrl:
        obj = super().__new__(cls, _checked(url, source))
        obj.source = source
        obj._per_service = per_service
        return obj

    def __reduce__(self) -> tuple:  # copy and pickle keep where it was set
        return (EndpointUrl, (str(self), self.source, self._per_service))

    def for_service(self, service: str) -> str:
        """The URL for one boto3 service name (``s3``, ``elbv2``, ``application-autoscaling``)."""
        if not self._per_service:
            return str(self)
        configured = _sdk_service_endpoint(service, _aws_environ())
        return _checked(configured, f"the AWS SDK settings ({service})") if configured else str(self)


def for_service(endpoint: str | None, service: str) -> str | None:
    """The URL a client of ``service`` uses at ``endpoint`` (a plain str, an EndpointUrl or None)."""
    if isinstance(endpoint, EndpointUrl):
        return endpoint.for_service(service)
    return endpoint


def _checked(url: str, source: str) -> str:
    url = url.strip().rstrip("/")
    parsed = urlparse(url)
    try:
        parsed.port  # noqa: B018 (a port that is not a number raises here, not in the first call)
    except ValueError:
        raise InfraError(f"AWS endpoint '{url}' (from {source}) has a port that is not a number") from None
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise InfraError(f"AWS endpoint '{url}' (from {source}) is not an http(s) URL")
    return url


# Hosts of AWS itself: an SDK setting that names one (a VPC or FIPS endpoint, a proxy of AWS) is the
# caller's way to reach real AWS, not an emulator, so infra must not send it the emulator's credentials.
_AWS_HOSTS = (".amazonaws.com", ".amazonaws.com.cn", ".api.aws")


def _is_aws_itself(url: str) -> bool:
    host = (urlparse(url).hostname or "").lower()
    return host.endswith(_AWS_HOSTS)


def _botocore_session():
    import botocore.session  # here, so that importing this module stays cheap

    session = botocore.session.Session()
    try:
        session.get_scoped_config()
    except Exception as exc:  # botocore raises several kinds for a broken config file or a missing profile
        raise InfraError(f"the AWS shared config cannot be read: {exc}") from None
    return session


def _aws_environ() -> tuple[tuple[str, str], ...]:
    """The AWS_* variables: what botocore's answer depends on besides the config file (the cache key)."""
    return tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("AWS_")))


@functools.cache
def _sdk_service_endpoint(service: str, _environ: tuple[tuple[str, str], ...]) -> str | None:
    """The endpoint botocore would use for ``service`` from a per-service setting, or None: a client it
    builds, against one built with the configured endpoints ignored (same region, fake credentials).
    Cached per AWS_* environment: building two clients takes a few tens of milliseconds."""
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError

    session = _botocore_session()
    fake = {"region_name": "us-east-1", "aws_access_key_id": "x", "aws_secret_access_key": "x"}
    try:
        configured = session.create_client(service, **fake).meta.endpoint_url
        default = session.create_client(service, config=Config(ignore_configured_endpoint_urls=True), **fake)
    except (ValueError, BotoCoreError) as exc:  # e.g. "Invalid endpoint: localhost:9000"
        raise InfraError(f"the AWS SDK settings' endpoint for {service} is not usable: {exc}") from None
    if configured == default.meta.endpoint_url or configured.rstrip("/") == _sdk_global_endpoint(session):
        return None
    return configured


def _sdk_global_endpoint(session) -> str | None:
    value = os.environ.get(SDK_ENV) or session.get_scoped_config().get("endpoint_url")
    return value.strip().rstrip("/") if value else None


def _sdk_setting() -> EndpointUrl | None:
    """Step 3: the SDKs' settings; None when none is set or they are switched off."""
    session = _botocore_session()
    if str(session.get_config_variable("ignore_configured_endpoint_urls") or "").lower() == "true":
        return None
    base = _sdk_global_endpoint(session)
    # Per-service settings apply on top of a base endpoint; without one (or with AWS itself as the
    # base) they are the SDK's business: boto3 and the provider honour them by themselves.
    if not base or _is_aws_itself(base):
        return None
    per_service = any(key.startswith(f"{SDK_ENV}_") and value.strip() for key, value in os.environ.items()) or (
        bool(session.get_scoped_config().get("services")) and bool(session.full_config.get("services")))
    source = SDK_ENV if os.environ.get(SDK_ENV) else "the AWS shared config file (endpoint_url)"
    return EndpointUrl(base, source, per_service=per_service)


def _localstack_host() -> EndpointUrl | None:
    value = os.environ.get(LOCALSTACK_HOST_ENV, "").strip()
    if not value:
        return None
    bad = InfraError(f"{LOCALSTACK_HOST_ENV}={value!r} is not host[:port] (an IPv6 host in brackets)")
    if "/" in value:  # a scheme or a path: LocalStack's setting is host[:port] only
        raise bad
    parts = urlsplit(f"//{value}")
    try:
        host, port = parts.hostname, parts.port or LOCALSTACK_DEFAULT_PORT
    except ValueError:
        raise bad from None
    if not host:
        raise bad
    return EndpointUrl(f"http://{f'[{host}]' if ':' in host else host}:{port}", LOCALSTACK_HOST_ENV)


def configured_endpoint(flag: str | None = None) -> EndpointUrl | None:
    """The endpoint the user set, by the order above; None when none is set (infra's own emulator)."""
    if flag:
        return EndpointUrl(flag, FLAG)
    if os.environ.get(PROJECT_ENV):
        return EndpointUrl(os.environ[PROJECT_ENV], PROJECT_ENV)
    return _sdk_setting() or _localstack_host()
