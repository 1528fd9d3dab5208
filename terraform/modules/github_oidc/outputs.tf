output "oidc_provider_arn" {
  description = "ARN of the GitHub Actions OIDC provider (created here or passed in)."
  value       = local.oidc_provider_arn
}

output "role_arns" {
  description = "Role ARN per role name (map name -> ARN), for aws-actions/configure-aws-credentials role-to-assume."
  value       = { for name, role in aws_iam_role.this : name => role.arn }
}
