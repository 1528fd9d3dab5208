#!/usr/bin/env bash
# pre-commit: the project's HCL policy (our rules, no scanners: seconds, not minutes) on every env
# root and bootstrap that the changed files touch (scripts/hooks/roots.sh): one run for all of them
# when every root is touched (one start-up instead of four), else one run a root.
set -euo pipefail
list=$(scripts/hooks/roots.sh "$@")  # assigned first: a failure stops here (set -e)
[ -n "$list" ] || exit 0
mapfile -t roots <<<"$list"
every=$(find terraform/envs -mindepth 1 -maxdepth 1 -type d | wc -l)
if [ "${#roots[@]}" -eq $((every + 1)) ]; then
  exec .venv/bin/infra --quiet policy --env all --no-scanners
fi
status=0
for root in "${roots[@]}"; do
  .venv/bin/infra --quiet policy --env "$(basename "$root")" --no-scanners || status=1
done
exit $status
