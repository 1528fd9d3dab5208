#!/usr/bin/env bash
# Workflow 15: one `infra flags` call from the dispatch inputs (ACTION, FLAG, PERCENT, VARIANTS) for
# ENVIRONMENT, reading the env's outputs-$ENVIRONMENT.json. infra refuses a bad name, percentage
# or weight set before anything is written.
set -euo pipefail
: "${ENVIRONMENT:?}" "${ACTION:?}"
common=(--env "$ENVIRONMENT" --outputs "outputs-$ENVIRONMENT.json")
case "$ACTION" in
  list) .venv/bin/infra flags list "${common[@]}" ;;
  enable|disable) .venv/bin/infra flags "$ACTION" "${FLAG:?a flag name is needed}" "${common[@]}" ;;
  canary) .venv/bin/infra flags canary "${FLAG:?a flag name is needed}" --percent "${PERCENT:?--percent is needed}" "${common[@]}" ;;
  ab) .venv/bin/infra flags ab "${FLAG:?a flag name is needed}" --variants "${VARIANTS:?variants are needed}" "${common[@]}" ;;
  *) echo "unknown action '$ACTION'" >&2; exit 2 ;;
esac
.venv/bin/infra flags list "${common[@]}" | tee -a "${GITHUB_STEP_SUMMARY:-/dev/null}"
