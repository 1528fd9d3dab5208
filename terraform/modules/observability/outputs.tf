output "app_log_group_name" {
  description = "Name of the application log group (/ecs/<name>), for the task definition's awslogs driver."
  value       = aws_cloudwatch_log_group.app.name
}

output "app_log_group_arn" {
  description = "ARN of the application log group."
  value       = aws_cloudwatch_log_group.app.arn
}

output "sns_topic_arn" {
  description = "ARN of the SNS topic that receives alarm and OK notifications."
  value       = aws_sns_topic.alarms.arn
}

output "alarm_names" {
  description = "Alarm names by kind: cpu, memory, unhealthy_hosts, http_5xx."
  value = {
    cpu             = aws_cloudwatch_metric_alarm.cpu.alarm_name
    memory          = aws_cloudwatch_metric_alarm.memory.alarm_name
    unhealthy_hosts = aws_cloudwatch_metric_alarm.unhealthy_hosts.alarm_name
    http_5xx        = aws_cloudwatch_metric_alarm.http_5xx.alarm_name
  }
}

output "alarm_arns" {
  description = "Alarm ARNs by kind: cpu, memory, unhealthy_hosts, http_5xx."
  value = {
    cpu             = aws_cloudwatch_metric_alarm.cpu.arn
    memory          = aws_cloudwatch_metric_alarm.memory.arn
    unhealthy_hosts = aws_cloudwatch_metric_alarm.unhealthy_hosts.arn
    http_5xx        = aws_cloudwatch_metric_alarm.http_5xx.arn
  }
}
