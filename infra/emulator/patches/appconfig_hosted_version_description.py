"""AppConfig hosted configuration versions without a description have none.

moto 5.2.5: ``HostedConfigurationVersion.get_headers`` puts every field in
the response headers, so a missing description (or version label) is sent as
the literal header value ``"None"``.

Terraform symptom: ``aws_appconfig_hosted_configuration_version`` without a
``description`` reads back description "None", which forces a replacement on
every plan.

Patch: leave out headers whose value is ``None``, as AWS does.
"""

from __future__ import annotations

import functools
from typing import Any


def apply() -> None:
    from moto.appconfig.models import HostedConfigurationVersion

    get_headers = HostedConfigurationVersion.get_headers

    @functools.wraps(get_headers)
    def patched_get_headers(self: HostedConfigurationVersion) -> dict[str, Any]:
        return {name: value for name, value in get_headers(self).items() if value is not None}

    HostedConfigurationVersion.get_headers = patched_get_headers
