#!/usr/bin/env bash
# Plan, apply or read the outputs of one env root in CI: terraform.sh plan|apply|outputs
# Needs ENVIRONMENT; TF_STATE_BUCKET (optional) overrides the backend's bucket.
# plan writes plan.tfplan and plan.json in the root; apply applies that file and nothing else,
# so what runs is exactly what was reviewed; outputs writes outputs-$ENVIRONMENT.json and the
# service URL to $GITHUB_OUTPUT.
set -euo pipefail
: "${ENVIRONMENT:?ENVIRONMENT is not set}"
case "$ENVIRONMENT" in dev|staging|prod) ;; *) echo "unknown environment '$ENVIRONMENT'" >&2; exit 2 ;; esac
case "${1:-}" in plan|apply|outputs) ;; *) echo "usage: terraform.sh plan|apply|outputs" >&2; exit 2 ;; esac
root="terraform/envs/$ENVIRONMENT"
backend=()
if [ -n "${TF_STATE_BUCKET:-}" ]; then backend=("-backend-config=bucket=$TF_STATE_BUCKET"); fi
terraform -chdir="$root" init -input=false "${backend[@]}"
case "${1:-}" in
  plan)
    terraform -chdir="$root" plan -input=false -lock-timeout=5m -out=plan.tfplan
    terraform -chdir="$root" show -json plan.tfplan > "$root/plan.json"
    ;;
  apply)
    [ -f "$root/plan.tfplan" ] || { echo "no reviewed plan file at $root/plan.tfplan" >&2; exit 2; }
    terraform -chdir="$root" apply -input=false -lock-timeout=5m plan.tfplan
    ;;
  outputs)
    terraform -chdir="$root" output -json > "outputs-$ENVIRONMENT.json"
    url=$(terraform -chdir="$root" output -json platform | python3 -c 'import json,sys; print(json.load(sys.stdin)["service_url"])')
    echo "service-url=$url" >> "${GITHUB_OUTPUT:-/dev/null}"
    ;;
esac
