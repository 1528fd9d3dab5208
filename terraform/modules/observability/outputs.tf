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
  description = "Alarm names by kind: cpu, memory, unhealthy_hosts, http_5xx, no_healthy_hosts, elb_5xx, running_tasks, db_cpu, db_memory, db_connections, cache_cpu, cache_memory, cache_evictions."
  value = merge({
    cpu              = aws_cloudwatch_metric_alarm.cpu.alarm_name
    memory           = aws_cloudwatch_metric_alarm.memory.alarm_name
    unhealthy_hosts  = aws_cloudwatch_metric_alarm.unhealthy_hosts.alarm_name
    http_5xx         = aws_cloudwatch_metric_alarm.http_5xx.alarm_name
    no_healthy_hosts = aws_cloudwatch_metric_alarm.no_healthy_hosts.alarm_name
    elb_5xx          = aws_cloudwatch_metric_alarm.elb_5xx.alarm_name
    running_tasks    = aws_cloudwatch_metric_alarm.running_tasks.alarm_name
    db_cpu           = aws_cloudwatch_metric_alarm.db_cpu.alarm_name
    db_memory        = aws_cloudwatch_metric_alarm.db_memory.alarm_name
    db_connections   = aws_cloudwatch_metric_alarm.db_connections.alarm_name
  }, { for k, a in aws_cloudwatch_metric_alarm.cache : "cache_${k}" => a.alarm_name })
}

output "alarm_arns" {
  description = "Alarm arns by kind: cpu, memory, unhealthy_hosts, http_5xx, no_healthy_hosts, elb_5xx, running_tasks, db_cpu, db_memory, db_connections, cache_cpu, cache_memory, cache_evictions."
  value = merge({
    cpu              = aws_cloudwatch_metric_alarm.cpu.arn
    memory           = aws_cloudwatch_metric_alarm.memory.arn
    unhealthy_hosts  = aws_cloudwatch_metric_alarm.unhealthy_hosts.arn
    http_5xx         = aws_cloudwatch_metric_alarm.http_5xx.arn
    no_healthy_hosts = aws_cloudwatch_metric_alarm.no_healthy_hosts.arn
    elb_5xx          = aws_cloudwatch_metric_alarm.elb_5xx.arn
    running_tasks    = aws_cloudwatch_metric_alarm.running_tasks.arn
    db_cpu           = aws_cloudwatch_metric_alarm.db_cpu.arn
    db_memory        = aws_cloudwatch_metric_alarm.db_memory.arn
    db_connections   = aws_cloudwatch_metric_alarm.db_connections.arn
  }, { for k, a in aws_cloudwatch_metric_alarm.cache : "cache_${k}" => a.arn })
}
