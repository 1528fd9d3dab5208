output "cluster_identifier" {
  description = "Aurora cluster identifier."
  value       = aws_rds_cluster.this.cluster_identifier
}

output "cluster_arn" {
  description = "Aurora cluster ARN."
  value       = aws_rds_cluster.this.arn
}

output "cluster_resource_id" {
  description = "Cluster resource ID (cluster-XXXX), used in rds-db:connect IAM policies for IAM database authentication."
  value       = aws_rds_cluster.this.cluster_resource_id
}

output "endpoint" {
  description = "Writer endpoint hostname."
  value       = aws_rds_cluster.this.endpoint
}

output "reader_endpoint" {
  description = "Reader endpoint hostname (load-balanced over the readers; the writer when there are none)."
  value       = aws_rds_cluster.this.reader_endpoint
}

output "port" {
  description = "PostgreSQL port."
  value       = aws_rds_cluster.this.port
}

output "database_name" {
  description = "Name of the database created in the cluster."
  value       = aws_rds_cluster.this.database_name
}

output "master_username" {
  description = "Master user name (not a secret; the password lives only in the master-user secret)."
  value       = aws_rds_cluster.this.master_username
}

output "app_username" {
  description = "The application's database role: it signs in with IAM authentication (rds-db:connect), never with the master user's rotated password. Created by infra/delivery/platform_migrations/0001_app_role.sql, which names the same role."
  value       = "app"
}

output "master_user_secret_arn" {
  description = "ARN of the RDS-managed Secrets Manager secret holding the master credentials (JSON with username and password)."
  value       = try(aws_rds_cluster.this.master_user_secret[0].secret_arn, null)
}

output "security_group_id" {
  description = "Security group of the cluster."
  value       = aws_security_group.this.id
}

output "db_subnet_group_name" {
  description = "DB subnet group name."
  value       = aws_db_subnet_group.this.name
}

output "instance_identifiers" {
  description = "Identifiers of the cluster instances."
  value       = aws_rds_cluster_instance.this[*].identifier
}

output "log_group_name" {
  description = "CloudWatch log group receiving the exported PostgreSQL log."
  value       = local.log_group_name
}
