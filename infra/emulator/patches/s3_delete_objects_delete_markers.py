"""S3: deleting from a bucket whose versioning is suspended no longer crashes on a delete marker.

moto 5.2.5: ``S3Backend.delete_object`` (which ``DeleteObjects`` calls for each
entry) treats a bucket whose versioning is ``Suspended`` as never versioned:
it ignores the ``VersionId`` and drops the key with every one of its versions
through ``_VersionedKeyStore.pop``, which calls ``dispose()`` on each version.
``FakeDeleteMarker`` has no ``dispose`` (``_VersionedKeyStore.setlist``, the
path of a bucket with versioning ``Enabled``, checks for it; ``pop`` does
not), so as soon as one of the key's versions is a delete marker the request
dies with ``AttributeError`` and Werkzeug answers HTTP 500 with an HTML page;
the versions disposed before the marker are left behind with their data gone.

Terraform symptom: ``terraform destroy -var force_destroy=true`` of
``terraform/bootstrap`` destroys ``aws_s3_bucket_versioning`` (which suspends
versioning) before ``aws_s3_bucket``, whose ``force_destroy`` then empties the
bucket with ``DeleteObjects`` by key and version id.  The state bucket always
holds delete markers: the S3 backend (``use_lockfile``) deletes its
``.tflock`` after every run.  So the destroy fails with ``deleting S3 bucket
(...) object versions: operation error S3: DeleteObjects, ... StatusCode: 500
... error while deserializing xml error response``.  Neither the bucket
policy nor SSE-KMS plays a part (both are gone before the bucket is emptied).

Patch: give ``FakeDeleteMarker`` the no-op ``dispose()`` it lacks (a marker
holds no data to release), so the delete completes and ``DeleteObjects``
reports every entry as deleted.  moto's treatment of a suspended bucket is
otherwise left alone: a delete naming one version of a key still removes all
of that key's versions, which is what emptying a bucket wants anyway.
"""

from __future__ import annotations


def apply() -> None:
    from moto.s3.models import FakeDeleteMarker

    def dispose(self: FakeDeleteMarker, garbage: bool = False) -> None:
        """Nothing to release: a delete marker has no value buffer (same signature as ``FakeKey.dispose``)."""

    FakeDeleteMarker.dispose = dispose
