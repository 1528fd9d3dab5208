#!/usr/bin/env bash
# A deployment that never ran because a newer one replaced it while it waited for its env's
# concurrency group (GitHub keeps one pending run per group): said in the run's annotations and
# summary, so that it is seen, not silently dropped. Needs ENVIRONMENT and RESULT (the deploy job's).
set -euo pipefail
: "${ENVIRONMENT:?}" "${RESULT:?}"
message="the deployment to ${ENVIRONMENT} was ${RESULT}: a newer run of the same env replaced it while it waited, or it was stopped by hand; the newer run deploys its own commit"
echo "::warning title=Deployment superseded::${message}"
echo "### Deployment to ${ENVIRONMENT} superseded" >> "${GITHUB_STEP_SUMMARY:-/dev/null}"
echo "${message}." >> "${GITHUB_STEP_SUMMARY:-/dev/null}"
