"""Strict: ModifyDBCluster refuses a lower engine version, as RDS does.

moto 5.2.5: ``modify_db_cluster`` sets whatever ``EngineVersion`` it is given,
so a cluster goes from 16.8 back to 16.6 without complaint.

Terraform symptom: after RDS's automatic minor upgrade (16.6 to 16.8, say), a
configuration that pins the exact version plans an in-place "upgrade" back to
16.6; the emulator applies it and AWS refuses it (the defect the AWS review
found), so a pin that fights the upgrades passes every emulator test.

Patch: a lower version than the cluster's is refused with AWS's error:
``InvalidParameterCombination`` (400), "Cannot upgrade <engine> from <current>
to <requested>".  Versions that are not dotted numbers are left to moto.
"""

from __future__ import annotations

import functools


def _numeric(version: str) -> tuple[int, ...] | None:
    parts = str(version).split(".")
    return tuple(int(p) for p in parts) if all(p.isdigit() for p in parts) else None


def apply() -> None:
    from moto.rds.exceptions import InvalidParameterCombination
    from moto.rds.models import RDSBackend

    original = RDSBackend.modify_db_cluster

    @functools.wraps(original)
    def modify_db_cluster(self: RDSBackend, kwargs: dict):
        cluster = self.clusters.get(kwargs.get("db_cluster_identifier"))
        wanted = kwargs.get("engine_version")
        if cluster is not None and wanted:
            current, requested = _numeric(cluster.engine_version), _numeric(wanted)
            if current and requested and requested < current:
                raise InvalidParameterCombination(
                    f"Cannot upgrade {cluster.engine} from {cluster.engine_version} to {wanted}"
                )
        return original(self, kwargs)

    RDSBackend.modify_db_cluster = modify_db_cluster
