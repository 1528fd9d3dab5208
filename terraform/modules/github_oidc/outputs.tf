output "oidc_provider_arn" {
  description = "ARN of the GitHub Actions OIDC provider (created here or passed in)."
  value       = local.oidc_provider_arn
}

output "role_arns" {
  description = "Role ARN per environment (map environment -> ARN), for aws-actions/configure-aws-credentials role-to-assume."
  value       = { for env, role in aws_iam_role.this : env => role.arn }
}

output "role_names" {
  description = "Role name per environment (map environment -> name)."
  value       = { for env, role in aws_iam_role.this : env => role.name }
}
