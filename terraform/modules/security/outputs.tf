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

  # Consumers that read the value must wait until it has been written.
  depends_on = [aws_secretsmanager_secret_version.jwt]
}

output "jwt_secret_name" {
  description = "Name of the JWT secret (<name>/jwt)."
  value       = aws_secretsmanager_secret.jwt.name
}

output "redis_auth_token_secret_arn" {
  description = "ARN of the Secrets Manager secret holding the Redis AUTH token."
  value       = aws_secretsmanager_secret.redis_auth_token.arn

  # The cache module reads the token with a data source: it must not run before the value exists.
  depends_on = [aws_secretsmanager_secret_version.redis_auth_token]
}

output "redis_auth_token_secret_name" {
  description = "Name of the Redis AUTH token secret (<name>/redis-auth-token)."
  value       = aws_secretsmanager_secret.redis_auth_token.name
}

output "secret_version_ids" {
  description = "Version IDs of the current secret values (map jwt / redis_auth_token -> version id); they change when secret_values_version is bumped, which lets dependants (e.g. the cache's auth token lookup) follow."
  value = {
    jwt              = aws_secretsmanager_secret_version.jwt.version_id
    redis_auth_token = aws_secretsmanager_secret_version.redis_auth_token.version_id
  }
}
