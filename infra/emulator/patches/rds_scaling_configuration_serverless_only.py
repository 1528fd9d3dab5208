"""Only serverless (v1) Aurora clusters report a ScalingConfigurationInfo.

moto 5.2.5: ``DBCluster.scaling_configuration_info`` always returns a dict
(of ``None`` values for a provisioned cluster), which the serializer turns into
an empty ``<ScalingConfigurationInfo/>`` element for every cluster.

Terraform symptom: ``aws_rds_cluster`` with ``engine_mode = "provisioned"``
reads back a ``scaling_configuration`` block that is not in the config, so the
plan after apply is never empty.

Patch: return no ScalingConfigurationInfo unless ``engine_mode`` is
``serverless``, as AWS does.
"""

from __future__ import annotations

from typing import Any


def apply() -> None:
    from moto.rds.models import DBCluster

    original = DBCluster.scaling_configuration_info.fget

    def scaling_configuration_info(self: DBCluster) -> dict[str, Any] | None:
        if self.engine_mode != "serverless":
            return None
        return original(self)

    DBCluster.scaling_configuration_info = property(scaling_configuration_info)
