#!/usr/bin/env bash
# The application's end-to-end tests against a deployed env: BACKEND is its folder; the service URL
# comes from the env's Terraform outputs (outputs-$ENVIRONMENT.json). A repository without the
# folder, or without an e2e script, skips cleanly.
set -euo pipefail
: "${BACKEND:?}" "${ENVIRONMENT:?}"
if [ ! -f "$BACKEND/package.json" ]; then echo "no $BACKEND/package.json: no end-to-end tests here"; exit 0; fi
if ! grep -q '"test:e2e"' "$BACKEND/package.json"; then echo "$BACKEND has no test:e2e script"; exit 0; fi
BASE_URL=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["platform"]["value"]["service_url"])' "outputs-$ENVIRONMENT.json")
cd "$BACKEND"
npm ci
BASE_URL="$BASE_URL" npm run test:e2e
