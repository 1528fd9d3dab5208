"""Images pushed as CI's build job would: manifest-only, so the registry (and the strict emulator's
image check) holds them, with content that depends on a seed, so each seed is its own digest."""

from __future__ import annotations

import hashlib
import json


def push(ecr, repository: str, tag: str, seed: str) -> str:
    """Push a (manifest-only) image tagged `tag`; its content depends on `seed`. Returns its digest."""
    def blob(data: str) -> dict:
        return {"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": len(data),
                "digest": "sha256:" + hashlib.sha256(data.encode()).hexdigest()}

    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {**blob(f"config-{seed}"), "mediaType": "application/vnd.docker.container.image.v1+json"},
        "layers": [blob(f"layer-{seed}")],
    }
    answer = ecr.put_image(repositoryName=repository, imageManifest=json.dumps(manifest), imageTag=tag,
                           imageManifestMediaType=manifest["mediaType"])
    return answer["image"]["imageId"]["imageDigest"]
