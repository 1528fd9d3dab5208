output "kms_key_arn" {
  description = "ARN of the customer-managed KMS key."
  value       = aws_kms_key.this.arn
}

output "kms_key_id" {
  description = "ID of the customer-managed KMS key."
  value       = aws_kms_key.this.key_id
}

output "kms_key_policy" {
  description = "The key policy (JSON) attached to the KMS key, for review and policy checks."
  value       = local.key_policy
}

output "kms_alias_name" {
  description = "Alias of the KMS key (alias/<name>)."
  value       = aws_kms_alias.this.name
}

output "kms_alias_arn" {
  description = "ARN of the KMS key alias."
  value       = aws_kms_alias.this.arn
}

output "jwt_secret_arn" {
  description = "ARN of the Secrets Manager secret holding the JWT signing key."
  value       = aws_secretsmanager_secret.jwt.arn
}

output "jwt_secret_name" {
  description = "Name of the JWT secret (<name>/jwt)."
  value       = aws_secretsmanager_secret.jwt.name
}
