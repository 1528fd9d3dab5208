output "replication_group_id" {
  description = "Replication group ID."
  value       = aws_elasticache_replication_group.this.id
}

output "replication_group_arn" {
  description = "Replication group ARN."
  value       = aws_elasticache_replication_group.this.arn
}

output "primary_endpoint_address" {
  description = "Primary (read/write) endpoint; null in cluster mode, where clients use the configuration endpoint."
  value       = var.cluster_mode ? null : aws_elasticache_replication_group.this.primary_endpoint_address
}

output "reader_endpoint_address" {
  description = "Reader endpoint spread over the replicas; null in cluster mode."
  value       = var.cluster_mode ? null : aws_elasticache_replication_group.this.reader_endpoint_address
}

output "configuration_endpoint_address" {
  description = "Cluster-mode configuration endpoint; null when cluster mode is off."
  value       = var.cluster_mode ? aws_elasticache_replication_group.this.configuration_endpoint_address : null
}

output "port" {
  description = "Redis port."
  value       = aws_elasticache_replication_group.this.port
}

output "security_group_id" {
  description = "Security group of the cache."
  value       = aws_security_group.this.id
}

output "member_clusters" {
  description = "IDs of the cache clusters (nodes) in the replication group."
  value       = aws_elasticache_replication_group.this.member_clusters
}

output "node_ids" {
  description = "IDs of the group's nodes as ElastiCache names them (<group>-001.., or <group>-0001-001.. in cluster mode); known at plan time."
  value       = local.node_ids
}

output "node_count" {
  description = "Number of cache nodes: shards x (1 + replicas_per_shard)."
  value       = local.node_count
}

output "app_user_name" {
  description = "User the application signs in as, with an IAM authentication token (user id = user name)."
  value       = aws_elasticache_user.app.user_name
}

output "app_user_arn" {
  description = "ARN of the application's user: elasticache:Connect needs it and the replication group's ARN."
  value       = aws_elasticache_user.app.arn
}

output "tls_enabled" {
  description = "Always true: clients must connect with TLS (rediss://) and an IAM authentication token."
  value       = aws_elasticache_replication_group.this.transit_encryption_enabled
}
