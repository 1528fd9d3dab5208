# What the delivery tooling (infra deploy/health/rollback/promote) and the tests read.
# Names, ARNs and endpoints only; never secret values.

output "environment" {
  description = "Environment name."
  value       = var.environment
}

output "name" {
  description = "Name prefix of every resource (<project>-<environment>)."
  value       = local.name
}

output "vpc_id" {
  description = "VPC ID."
  value       = module.network.vpc_id
}

output "azs" {
  description = "Availability zones the stack spans."
  value       = module.network.azs
}

output "kms_key_arn" {
  description = "ARN of the environment's customer-managed KMS key."
  value       = module.security.kms_key_arn
}

output "ecr_repository_name" {
  description = "ECR repository name."
  value       = module.registry.repository_name
}

output "ecr_repository_url" {
  description = "ECR repository URL (images are pushed and promoted here by digest)."
  value       = module.registry.repository_url
}

output "ecs_cluster_name" {
  description = "ECS cluster name."
  value       = module.service.cluster_name
}

output "ecs_service_name" {
  description = "ECS service name."
  value       = module.service.service_name
}

output "task_definition_family" {
  description = "Task-definition family that deploys register new revisions in."
  value       = module.service.task_definition_family
}

output "service_min_tasks" {
  description = "The tier's task floor, registered by the first `infra deploy` (the service runs no task before it)."
  value       = module.service.min_tasks
}

output "container_name" {
  description = "Application container in the task definition (the one `infra deploy` changes the image of)."
  value       = module.service.container_name
}

output "alb_dns_name" {
  description = "DNS name of the load balancer; the default health-check target."
  value       = module.load_balancer.alb_dns_name
}

output "service_url" {
  description = "Base URL of the service through the load balancer."
  value       = "${local.tier.load_balancer.https ? "https" : "http"}://${coalesce(var.domain_name, module.load_balancer.alb_dns_name)}"
}

output "health_check_path" {
  description = "Path probed by the load balancer and by `infra health`."
  value       = var.health_check_path
}

output "target_group_arn" {
  description = "Target group of the service."
  value       = module.load_balancer.target_group_arn
}

output "db_cluster_identifier" {
  description = "Aurora cluster identifier."
  value       = module.database.cluster_identifier
}

output "db_endpoint" {
  description = "Aurora writer endpoint."
  value       = module.database.endpoint
}

output "db_port" {
  description = "Aurora port."
  value       = module.database.port
}

output "db_name" {
  description = "Name of the application database (what `infra migrate` migrates)."
  value       = module.database.database_name
}

output "jwt_secret_arn" {
  description = "ARN of the JWT signing secret; `infra secrets init` gives it its value (Terraform never does)."
  value       = module.security.jwt_secret_arn
}

output "db_master_user_secret_arn" {
  description = "ARN of the AWS-managed Secrets Manager secret holding the database master credentials."
  value       = module.database.master_user_secret_arn
}

output "redis_replication_group_id" {
  description = "ElastiCache replication group ID."
  value       = module.cache.replication_group_id
}

output "app_log_group_name" {
  description = "CloudWatch log group of the application."
  value       = module.observability.app_log_group_name
}

output "alarm_topic_arn" {
  description = "SNS topic the alarms notify."
  value       = module.observability.sns_topic_arn
}

output "alarm_names" {
  description = "CloudWatch alarm names by kind (cpu, memory, unhealthy_hosts, http_5xx)."
  value       = module.observability.alarm_names
}

output "flags_application_id" {
  description = "AppConfig application that holds the feature flags (read by `infra flags`)."
  value       = module.feature_flags.application_id
}

output "flags_environment_id" {
  description = "AppConfig environment flag deployments target."
  value       = module.feature_flags.environment_id
}

output "flags_profile_id" {
  description = "AppConfig configuration profile that holds the flag document."
  value       = module.feature_flags.configuration_profile_id
}

output "flags_deployment_strategy_id" {
  description = "AppConfig deployment strategy of flag changes (from tiers.yaml)."
  value       = module.feature_flags.deployment_strategy_id
}
