"""RDS automated snapshots never make a create fail.

moto 5.2.5: every new cluster or instance gets an automated snapshot named by the minute
(``rds:<id>-YYYY-MM-DD-HH-MM``), and the snapshot outlives the cluster. Creating a cluster (or an
instance) with the same identifier again within that minute fails with
``DBClusterSnapshotAlreadyExistsFault`` (``DBSnapshotAlreadyExists``), and so does a create the
client retried. AWS names and keeps its automated snapshots itself; they never fail a create.

Terraform symptom: "creating RDS Cluster (...): DBClusterSnapshotAlreadyExistsFault: Cannot create
the snapshot because a snapshot with the identifier rds:<id>-<minute> already exists", on an apply
that follows a destroy within the minute, or whose CreateDBCluster call was retried.

Patch: an automated snapshot whose name is taken replaces the older automated snapshot of that
name; a manual snapshot of that name is never touched.
"""

from __future__ import annotations

import functools
from typing import Any


def apply() -> None:
    from moto.rds.models import RDSBackend

    create_cluster_snapshot = RDSBackend.create_auto_cluster_snapshot
    create_instance_snapshot = RDSBackend.create_auto_snapshot

    @functools.wraps(create_cluster_snapshot)
    def auto_cluster_snapshot(self: RDSBackend, db_cluster_identifier: str, db_snapshot_identifier: str) -> Any:
        old = self.cluster_snapshots.get(db_snapshot_identifier)
        if old is not None and getattr(old, "snapshot_type", "") == "automated":
            del self.cluster_snapshots[db_snapshot_identifier]
        return create_cluster_snapshot(self, db_cluster_identifier, db_snapshot_identifier)

    @functools.wraps(create_instance_snapshot)
    def auto_snapshot(self: RDSBackend, db_instance_identifier: str, db_snapshot_identifier: str) -> Any:
        old = self.database_snapshots.get(db_snapshot_identifier)
        if old is not None and getattr(old, "snapshot_type", "") == "automated":
            del self.database_snapshots[db_snapshot_identifier]
        return create_instance_snapshot(self, db_instance_identifier, db_snapshot_identifier)

    RDSBackend.create_auto_cluster_snapshot = auto_cluster_snapshot
    RDSBackend.create_auto_snapshot = auto_snapshot
