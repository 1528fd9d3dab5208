"""RDS DB instances keep their Performance Insights settings.

moto 5.2.5: ``CreateDBInstance`` accepts ``EnablePerformanceInsights``,
``PerformanceInsightsKMSKeyId`` and ``PerformanceInsightsRetentionPeriod`` but
drops them, so DescribeDBInstances reports Performance Insights as disabled.

Terraform symptom: ``aws_rds_cluster_instance`` / ``aws_db_instance`` with
``performance_insights_enabled = true`` read back ``false`` (retention 0, no KMS
key), so every plan wants to update them in place.

Patch: store the three settings on create (retention defaults to AWS's free
tier of 7 days when enabled) and report ``PerformanceInsightsEnabled`` from
them; ModifyDBInstance already stores what it is sent under the same names.
"""

from __future__ import annotations

import functools
from typing import Any

DEFAULT_RETENTION_DAYS = 7


def apply() -> None:
    from moto.rds.models import DBInstance

    original_init = DBInstance.__init__

    @functools.wraps(original_init)
    def __init__(self: DBInstance, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        enabled = bool(kwargs.get("enable_performance_insights"))
        self.enable_performance_insights = enabled
        self.performance_insights_kms_key_id = (
            kwargs.get("performance_insights_kms_key_id") if enabled else None
        )
        retention = kwargs.get("performance_insights_retention_period")
        self.performance_insights_retention_period = (
            (retention or DEFAULT_RETENTION_DAYS) if enabled else None
        )

    def performance_insights_enabled(self: DBInstance) -> bool:
        return bool(getattr(self, "enable_performance_insights", False))

    DBInstance.__init__ = __init__
    DBInstance.performance_insights_enabled = property(performance_insights_enabled)
