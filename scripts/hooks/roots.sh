#!/usr/bin/env bash
# The Terraform roots a set of changed files touches, one a line: an env root or bootstrap for its own
# files; every root for a change to a module or to tiers.yaml (each root reads them). Used by the
# pre-commit hooks (.pre-commit-config.yaml), which pass the changed files as arguments.
set -euo pipefail
declare -A roots=()
all() { for dir in terraform/envs/*/ terraform/bootstrap/; do roots[${dir%/}]=1; done; }
for file in "$@"; do
  case "$file" in
    terraform/envs/*/*) dir=${file#terraform/envs/}; roots[terraform/envs/${dir%%/*}]=1 ;;
    terraform/bootstrap/*) roots[terraform/bootstrap]=1 ;;
    terraform/modules/*|terraform/tiers.yaml) all ;;
  esac
done
if [ "${#roots[@]}" -gt 0 ]; then printf '%s\n' "${!roots[@]}" | sort; fi
