#!/usr/bin/env bash
# pre-commit: `terraform validate` of every root the changed files touch (scripts/hooks/roots.sh),
# the roots side by side. Each is initialised without a backend into .infra/pre-commit/<root> (its
# own .terraform stays untouched), from the provider source the project chose (`infra toolchain
# env`: the offline mirror when there is one), so the hook runs offline.
set -euo pipefail
toolchain=$(.venv/bin/infra toolchain env)  # assigned first: a failure stops here (set -e)
eval "$toolchain"
list=$(scripts/hooks/roots.sh "$@")
validate() {
  local root=$1 out
  export TF_DATA_DIR="$PWD/.infra/pre-commit/${root//\//_}"
  if ! out=$(terraform -chdir="$root" init -backend=false -input=false -lockfile=readonly -no-color 2>&1); then
    printf '%s: terraform init failed:\n%s\n' "$root" "$out"; return 1
  fi
  if ! out=$(terraform -chdir="$root" validate -no-color 2>&1); then
    printf '%s:\n%s\n' "$root" "$out"; return 1
  fi
}
pids=()
while read -r root; do
  [ -n "$root" ] || continue
  validate "$root" & pids+=("$!")
done <<<"$list"
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
exit $status
