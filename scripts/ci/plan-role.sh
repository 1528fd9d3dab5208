#!/usr/bin/env bash
# The env's read-only plan role, from the repository variable AWS_PLAN_ROLE_ARNS (bootstrap's output
# plan_role_arns as JSON: {"dev": "arn:...", ...}). Needs ENVIRONMENT and PLAN_ROLES; writes
# arn=... to $GITHUB_OUTPUT, or fails with the reason.
set -euo pipefail
: "${ENVIRONMENT:?}"
arn=$(PLAN_ROLES="${PLAN_ROLES:-}" python3 -c '
import json, os, sys
env = sys.argv[1]
try:
    roles = json.loads(os.environ["PLAN_ROLES"] or "null")
except json.JSONDecodeError as exc:
    sys.exit(f"AWS_PLAN_ROLE_ARNS is not JSON ({exc.msg}); set it to bootstrap'"'"'s plan_role_arns")
if not isinstance(roles, dict) or not isinstance(roles.get(env), str) or not roles[env].startswith("arn:"):
    sys.exit(f"AWS_PLAN_ROLE_ARNS has no plan role for {env}; set it to bootstrap'"'"'s plan_role_arns")
print(roles[env])
' "$ENVIRONMENT")
echo "plan role of $ENVIRONMENT: $arn"
echo "arn=$arn" >> "${GITHUB_OUTPUT:-/dev/null}"
