output "state_bucket_name" {
  description = "Name of the Terraform state bucket (backend \"s3\" bucket)."
  value       = aws_s3_bucket.state.id
}

output "state_kms_key_arn" {
  description = "ARN of the KMS key that encrypts the state bucket."
  value       = aws_kms_key.state.arn
}

output "state_kms_key_alias" {
  description = "Alias of the state KMS key, usable as kms_key_id in backend \"s3\" blocks."
  value       = aws_kms_alias.state.name
}

output "oidc_provider_arn" {
  description = "ARN of the GitHub Actions OIDC provider."
  value       = module.github_oidc.oidc_provider_arn
}

output "deploy_role_arns" {
  description = "Deploy role ARN per environment (map env -> ARN): the variable AWS_DEPLOY_ROLE_ARN of each GitHub environment."
  value       = { for env, e in local.envs : env => module.github_oidc.role_arns[e.deploy_role] }
}

output "plan_role_arns" {
  description = "Read-only plan role ARN per environment (map env -> ARN): as JSON, the repository variable AWS_PLAN_ROLE_ARNS."
  value       = { for env, e in local.envs : env => module.github_oidc.role_arns[e.plan_role] }
}

output "permissions_boundary_arns" {
  description = "Permissions boundary per environment (map env -> policy ARN): every role an env's deploy role creates must carry it."
  value       = { for env in var.environments : env => aws_iam_policy.boundary[env].arn }
}

output "github_oidc_claim_template_command" {
  description = "The one command that sets the repository's OIDC subject claim template the trust policies expect (run once, as a repository admin, with the GitHub CLI)."
  value       = "gh api --method PUT repos/${var.github_repository}/actions/oidc/customization/sub --input - <<< '{\"use_default\":false,\"include_claim_keys\":[\"repo\",\"context\",\"ref\",\"job_workflow_ref\"]}'"
}

output "backend_config" {
  description = "backend \"s3\" settings per environment (map env -> settings), matching the state prefixes the deploy roles may use."
  value = {
    for env in var.environments : env => {
      bucket       = aws_s3_bucket.state.id
      key          = "envs/${env}/terraform.tfstate"
      region       = var.region
      encrypt      = true
      kms_key_id   = aws_kms_alias.state.name
      use_lockfile = true
    }
  }
}
