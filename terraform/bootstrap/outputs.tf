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
  description = "Deploy role ARN per environment (map env -> ARN): the role-to-assume of each GitHub environment."
  value       = module.github_oidc.role_arns
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
