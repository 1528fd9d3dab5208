#!/usr/bin/env bash
# Plan, apply or read the outputs of one env root in CI: terraform.sh plan|apply|outputs
# Needs ENVIRONMENT and TF_STATE_BUCKET (the state bucket, whose name carries the account ID, so the
# env backends leave it to init: bootstrap's output state_bucket_name).
#
# plan (the read-only plan role): no lock (the role cannot write one), then plan.redacted.json (no
#   sensitive value) and plan.fingerprint (the changes, hashed) for the jobs after; the plan file
#   and its full JSON never leave the job.
# apply (the deploy role): plans again holding the state lock, and applies that plan only when it
#   makes exactly the reviewed changes (infra plan-review verify); otherwise nothing is applied.
# outputs: writes outputs-$ENVIRONMENT.json (sensitive outputs redacted: it becomes an artifact) and
#   the service URL to $GITHUB_OUTPUT.
set -euo pipefail
: "${ENVIRONMENT:?ENVIRONMENT is not set}"
case "$ENVIRONMENT" in dev|staging|prod) ;; *) echo "unknown environment '$ENVIRONMENT'" >&2; exit 2 ;; esac
case "${1:-}" in plan|apply|outputs) ;; *) echo "usage: terraform.sh plan|apply|outputs" >&2; exit 2 ;; esac
: "${TF_STATE_BUCKET:?TF_STATE_BUCKET is not set (the repository variable: the state_bucket_name output of terraform/bootstrap)}"
root="terraform/envs/$ENVIRONMENT"
infra=.venv/bin/infra
backend=("-backend-config=bucket=$TF_STATE_BUCKET")
# The operator's inputs (domain, hosted zone, alarm e-mail), all reported in one line before any plan.
if [ "$1" != outputs ]; then "$infra" inputs --env "$ENVIRONMENT"; fi
terraform -chdir="$root" init -input=false "${backend[@]}"
case "${1:-}" in
  plan)
    terraform -chdir="$root" plan -input=false -lock=false -out=plan.tfplan
    terraform -chdir="$root" show -json plan.tfplan > "$root/plan.json"
    "$infra" plan-review redact --plan "$root/plan.json" \
      --redacted "$root/plan.redacted.json" --fingerprint "$root/plan.fingerprint"
    ;;
  apply)
    [ -f "$root/plan.fingerprint" ] || { echo "no reviewed plan at $root/plan.fingerprint" >&2; exit 2; }
    terraform -chdir="$root" plan -input=false -lock-timeout=5m -out=apply.tfplan
    terraform -chdir="$root" show -json apply.tfplan > "$root/apply.json"
    "$infra" plan-review verify --plan "$root/apply.json" --reviewed "$root/plan.fingerprint"
    terraform -chdir="$root" apply -input=false -lock-timeout=5m apply.tfplan
    ;;
  outputs)
    terraform -chdir="$root" output -json > "$root/outputs.json"
    "$infra" plan-review redact-outputs --outputs "$root/outputs.json" --redacted "outputs-$ENVIRONMENT.json"
    rm -f "$root/outputs.json"
    url=$(terraform -chdir="$root" output -json platform | python3 -c 'import json,sys; print(json.load(sys.stdin)["service_url"])')
    echo "service-url=$url" >> "${GITHUB_OUTPUT:-/dev/null}"
    ;;
esac
