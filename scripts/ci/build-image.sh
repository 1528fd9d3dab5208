#!/usr/bin/env bash
# Build the application image once per commit and push it to the first env's registry, tagged
# sha-<commit> (the repository's tags are immutable). When that tag is already there (a re-run, or
# another workflow built this commit), its digest is reused instead of building again.
# Needs BACKEND (the folder with the Dockerfile), OUTPUTS (that env's `terraform output -json`),
# GITHUB_SHA and the project's virtualenv (the platforms come from tiers.yaml); writes
# digest=sha256:... to $GITHUB_OUTPUT (empty when there is nothing to build).
set -euo pipefail
: "${BACKEND:?}" "${OUTPUTS:?}" "${GITHUB_SHA:?}"
out="${GITHUB_OUTPUT:-/dev/stdout}"
if [ ! -f "$BACKEND/Dockerfile" ]; then
  echo "no $BACKEND/Dockerfile: no image to build"
  echo "digest=" >> "$out"
  exit 0
fi
read -r repository name < <(python3 -c 'import json,sys; p=json.load(open(sys.argv[1]))["platform"]["value"]; print(p["ecr_repository_url"], p["ecr_repository_name"])' "$OUTPUTS")
tag="sha-${GITHUB_SHA:0:12}"
existing=$(aws ecr describe-images --repository-name "$name" --image-ids "imageTag=$tag" \
  --query 'imageDetails[0].imageDigest' --output text 2>/dev/null || true)
if [ -n "$existing" ] && [ "$existing" != "None" ]; then
  echo "$repository:$tag exists already ($existing): not rebuilt"
  echo "digest=$existing" >> "$out"
  exit 0
fi
# The platforms every tier's tasks run on (tiers.yaml's cpu_architecture; ARM64 Graviton today),
# built under QEMU on an x86 runner: one image, promoted as it is to every env.
platforms=$(.venv/bin/infra tiers --image-platforms)
docker buildx build --push --provenance=false --platform "$platforms" --tag "$repository:$tag" \
  --metadata-file /tmp/build-metadata.json "$BACKEND"
digest=$(python3 -c 'import json; print(json.load(open("/tmp/build-metadata.json"))["containerimage.digest"])')
echo "built and pushed $repository@$digest"
echo "digest=$digest" >> "$out"
