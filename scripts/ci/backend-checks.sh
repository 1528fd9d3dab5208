#!/usr/bin/env bash
# The application's lint and unit tests (the seed's ESLint, prettier, npm test, coverage), run in
# BACKEND. A repository without the folder skips cleanly; a missing script is skipped by name.
set -euo pipefail
: "${BACKEND:?}"
if [ ! -f "$BACKEND/package.json" ]; then echo "no $BACKEND/package.json: no application checks here"; exit 0; fi
cd "$BACKEND"
npm ci
for script in lint format:check test:coverage; do
  if npm run | grep -q "^  $script$"; then npm run "$script"; else echo "no '$script' script: skipped"; fi
done
