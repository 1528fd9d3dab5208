"""AppConfig ListApplications and ListHostedConfigurationVersions.

moto 5.2.5: both operations are routed but not implemented (HTTP 500 "action
has not been implemented").

Terraform / tooling symptom: the ``aws_appconfig_application`` data sources and
``infra flags`` cannot find an application by name or the latest hosted
configuration version of a profile.

Patch: implement both (no pagination: everything comes back in one page),
newest version first as AWS returns them.
"""

from __future__ import annotations

import json
from typing import Any


def apply() -> None:
    from moto.appconfig.responses import AppConfigResponse

    def list_applications(self: AppConfigResponse) -> str:
        apps = self.appconfig_backend.applications.values()
        return json.dumps({"Items": [app.to_json() for app in apps]})

    def list_hosted_configuration_versions(self: AppConfigResponse) -> str:
        profile = self.appconfig_backend.get_configuration_profile(
            self._get_param("ApplicationId"), self._get_param("ConfigurationProfileId")
        )
        label = self._get_param("VersionLabel")
        items: list[dict[str, Any]] = []
        for number in sorted(profile.config_versions, reverse=True):
            version = profile.config_versions[number]
            if label and version.version_label != label:
                continue
            summary = {
                "ApplicationId": version.app_id,
                "ConfigurationProfileId": version.config_id,
                "VersionNumber": version.version,
                "Description": version.description,
                "ContentType": version.content_type,
                "VersionLabel": version.version_label,
            }
            items.append({k: v for k, v in summary.items() if v is not None})
        return json.dumps({"Items": items})

    AppConfigResponse.list_applications = list_applications
    AppConfigResponse.list_hosted_configuration_versions = list_hosted_configuration_versions
