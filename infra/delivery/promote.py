"""`infra promote`: copy an image, by digest, from one env's registry to another's. Nothing is rebuilt.

The manifest is read from the source repository and written to the target one as is, so the
digest, and therefore what runs, is the same in every env. ECR dedupes layers it already has, and
a target that already holds the digest is left alone (a re-run after a failure is a no-op).
The image keeps the source's tags, which an immutable target refuses to move to another image.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.errors import InfraError
from infra.delivery.target import Target

DIGEST = re.compile(r"^sha256:[0-9a-f]{64}\Z")


@dataclass
class Promoted:
    digest: str
    source: str  # repository URLs
    target: str
    tags: list[str]
    copied: bool  # False: the target already had it

    @property
    def image(self) -> str:
        """What `infra deploy --image` takes in the target env."""
        return f"{self.target}@{self.digest}"


def check_digest(digest: str) -> str:
    if not DIGEST.match(digest):
        raise InfraError(f"digest '{digest}' is not sha256:<64 lowercase hex digits>")
    return digest


def promote(source: Target, target: Target, digest: str) -> Promoted:
    check_digest(digest)
    if source.env == target.env:
        raise InfraError(f"--from and --to are both {source.env}; promotion copies between two envs")
    src_repo, dst_repo = source.out("ecr_repository_name"), target.out("ecr_repository_name")
    src_url, dst_url = source.out("ecr_repository_url"), target.out("ecr_repository_url")
    src, dst = source.aws.client("ecr"), target.aws.client("ecr")

    found = src.batch_get_image(repositoryName=src_repo, imageIds=[{"imageDigest": digest}])
    if not found.get("images"):
        reasons = "; ".join(f.get("failureReason", f.get("failureCode", "")) for f in found.get("failures", []))
        raise InfraError(
            f"{digest} is not in {source.env}'s repository {src_url}" + (f" ({reasons})" if reasons else "")
        )
    image = found["images"][0]
    described = src.describe_images(repositoryName=src_repo, imageIds=[{"imageDigest": digest}])["imageDetails"]
    tags = sorted(described[0].get("imageTags", [])) if described else []

    present = dst.batch_get_image(repositoryName=dst_repo, imageIds=[{"imageDigest": digest}]).get("images")
    if present:
        return Promoted(digest, src_url, dst_url, tags, copied=False)

    request = {"repositoryName": dst_repo, "imageManifest": image["imageManifest"], "imageDigest": digest}
    if image.get("imageManifestMediaType"):
        request["imageManifestMediaType"] = image["imageManifestMediaType"]
    # An untagged image would be expired by the repository's lifecycle policy while it still runs.
    for tag in tags or [f"promoted-{digest[7:19]}"]:
        dst.put_image(**request, imageTag=tag)
    return Promoted(digest, src_url, dst_url, tags, copied=True)
