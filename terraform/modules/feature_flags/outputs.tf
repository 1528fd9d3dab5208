output "application_id" {
  description = "AppConfig application ID."
  value       = aws_appconfig_application.this.id
}

output "environment_id" {
  description = "AppConfig environment ID."
  value       = aws_appconfig_environment.this.environment_id
}

output "configuration_profile_id" {
  description = "ID of the hosted configuration profile that holds the flag document."
  value       = aws_appconfig_configuration_profile.flags.configuration_profile_id
}

output "deployment_strategy_id" {
  description = "Deployment strategy `infra flags` starts its deployments with."
  value       = var.deployment_strategy_id
}
