"""RDS (cluster) parameter-group parameters set by the user report Source "user".

moto 5.2.5: ``ModifyDBParameterGroup`` / ``ModifyDBClusterParameterGroup``
store the parameters exactly as sent, so ``DescribeDBParameters`` and
``DescribeDBClusterParameters`` return them without a ``Source``; the
``Source`` request filter is ignored as well.

Terraform symptom: ``aws_db_parameter_group`` keeps only parameters whose
Source is "user" (or that are in the config *and* have a Source); parameters
with no Source are dropped from state, so every plan wants to set them again.
``aws_rds_cluster_parameter_group`` reads the same fields.

Patch: stamp ``Source = "user"`` on every parameter the user sets, and honour
the ``Source`` filter of both describe calls (moto models no engine defaults,
so "system" / "engine-default" return nothing).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any


def _as_user(parameters: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**p, "Source": "user"} for p in parameters]


def _honour_source_filter(describe: Callable[[Any], Any]) -> Callable[[Any], Any]:
    @functools.wraps(describe)
    def wrapper(self: Any) -> Any:
        result = describe(self)
        source = self.params.get("Source")
        if source:
            parameters = result.result["Parameters"]
            result.result["Parameters"] = [p for p in parameters if p.get("Source") == source]
        return result

    return wrapper


def apply() -> None:
    from moto.rds.models import DBClusterParameterGroup, DBParameterGroup
    from moto.rds.responses import RDSResponse

    update_parameters = DBParameterGroup.update_parameters
    update_cluster_parameters = DBClusterParameterGroup.update_cluster_parameters

    def patched_update_parameters(self: DBParameterGroup, new: Iterable[dict[str, Any]]) -> None:
        update_parameters(self, _as_user(new))

    def patched_update_cluster_parameters(
        self: DBClusterParameterGroup, new: Iterable[dict[str, Any]]
    ) -> None:
        update_cluster_parameters(self, _as_user(new))

    DBParameterGroup.update_parameters = patched_update_parameters
    DBClusterParameterGroup.update_cluster_parameters = patched_update_cluster_parameters

    RDSResponse.describe_db_parameters = _honour_source_filter(RDSResponse.describe_db_parameters)
    RDSResponse.describe_db_cluster_parameters = _honour_source_filter(
        RDSResponse.describe_db_cluster_parameters
    )
