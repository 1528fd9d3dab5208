"""AppConfig configuration profiles keep the KMS key they are created with.

moto 5.2.5: ``CreateConfigurationProfile`` and ``UpdateConfigurationProfile``
ignore ``KmsKeyIdentifier``, and a profile never returns ``KmsKeyIdentifier``
or ``KmsKeyArn``.

Terraform symptom: ``aws_appconfig_configuration_profile`` with
``kms_key_identifier`` reads back no key, so every plan updates it (the second
plan is never empty), and the policy cannot see that flag documents are
encrypted with the env's key.

Patch: store the identifier on create and update and return it, with
``KmsKeyArn`` when the identifier is a key ARN, as AWS does.
"""

from __future__ import annotations

import functools
import json
from typing import Any


def apply() -> None:
    from moto.appconfig.models import ConfigurationProfile
    from moto.appconfig.responses import AppConfigResponse

    to_json = ConfigurationProfile.to_json

    @functools.wraps(to_json)
    def patched_to_json(self: ConfigurationProfile) -> dict[str, Any]:
        answer = to_json(self)
        key = getattr(self, "kms_key_identifier", None)
        if key:
            answer["KmsKeyIdentifier"] = key
            if key.startswith("arn:"):
                answer["KmsKeyArn"] = key
        return answer

    ConfigurationProfile.to_json = patched_to_json

    def keeping_the_key(method):
        @functools.wraps(method)
        def wrapper(self: AppConfigResponse) -> str:
            key = self._get_param("KmsKeyIdentifier")
            answer = json.loads(method(self))
            if key is not None:
                profile = self.appconfig_backend.get_configuration_profile(answer["ApplicationId"], answer["Id"])
                profile.kms_key_identifier = key or None  # "" removes the key, as on AWS
                answer = profile.to_json()
            return json.dumps(answer)

        return wrapper

    AppConfigResponse.create_configuration_profile = keeping_the_key(AppConfigResponse.create_configuration_profile)
    AppConfigResponse.update_configuration_profile = keeping_the_key(AppConfigResponse.update_configuration_profile)
