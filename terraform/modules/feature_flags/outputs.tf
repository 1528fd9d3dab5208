output "application_id" {
  description = "AppConfig application ID."
  value       = aws_appconfig_application.this.id
}

output "environment_id" {
  description = "AppConfig environment ID."
  value       = aws_appconfig_environment.this.environment_id
}

output "configuration_profile_name" {
  description = "Name of the flag configuration profile."
  value       = aws_appconfig_configuration_profile.flags.name
}

output "configuration_profile_id" {
  description = "ID of the hosted configuration profile that holds the flag document."
  value       = aws_appconfig_configuration_profile.flags.configuration_profile_id
}

output "deployment_strategy_id" {
  description = "Deployment strategy `infra flags` starts its deployments with."
  value       = var.deployment_strategy_id
}

output "configuration_arn" {
  description = "The flag configuration as AppConfig's data plane names it: the resource of appconfig:StartConfigurationSession and GetLatestConfiguration."
  value       = "arn:${data.aws_partition.current.partition}:appconfig:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:application/${aws_appconfig_application.this.id}/environment/${aws_appconfig_environment.this.environment_id}/configuration/${aws_appconfig_configuration_profile.flags.configuration_profile_id}"
}

output "monitor_alarm_arns" {
  description = "Alarms whose ALARM state rolls a flag deployment back."
  value       = var.alarm_arns
}
