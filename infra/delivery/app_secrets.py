"""The application's own secrets (the JWT signing key): given their values by the deploy role, never
by Terraform, so no plan ever reads or generates one (a read-only plan role could not).

`init` gives each secret a value when it has none; `rotate` gives it a new one. The value is made
here with `secrets` (the OS's CSPRNG) and goes straight to Secrets Manager.
"""

from __future__ import annotations

import secrets as csprng
import uuid

from botocore.exceptions import ClientError

from core.errors import InfraError
from infra.delivery.target import Target

# Output of the env's root -> what the secret is, for messages.
APP_SECRETS = {"jwt_secret_arn": "the JWT signing key"}
VALUE_BYTES = 48  # 64 URL-safe characters


def _has_value(client, arn: str) -> bool:
    try:
        described = client.describe_secret(SecretId=arn)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ResourceNotFoundException":
            raise InfraError(f"secret {arn} does not exist: apply the env first") from None
        raise
    return any("AWSCURRENT" in stages for stages in (described.get("VersionIdsToStages") or {}).values())


def init(target: Target, rotate: bool = False) -> list[str]:
    """Give each application secret of the env a value (a new one with rotate); what was done, per secret."""
    client = target.aws.client("secretsmanager")
    done = []
    for output, what in APP_SECRETS.items():
        arn = target.out(output)
        if not rotate and _has_value(client, arn):
            done.append(f"{what}: has a value; left alone")
            continue
        client.put_secret_value(SecretId=arn, SecretString=csprng.token_urlsafe(VALUE_BYTES),
                                ClientRequestToken=str(uuid.uuid4()))
        done.append(f"{what}: {'rotated' if rotate else 'set'}")
    return done
