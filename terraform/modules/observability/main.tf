data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  alarm_arn_pattern = "arn:${data.aws_partition.current.partition}:cloudwatch:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:alarm:*"

  ecs_dimensions = {
    ClusterName = var.ecs_cluster_name
    ServiceName = var.ecs_service_name
  }

  target_dimensions = {
    LoadBalancer = var.alb_arn_suffix
    TargetGroup  = var.target_group_arn_suffix
  }

  db_dimensions = { DBClusterIdentifier = var.db_cluster_identifier }

  # Redis publishes per node; each alarm watches the worst node (MAX over the nodes' metrics).
  cache_alarms = {
    cpu       = { metric = "EngineCPUUtilization", stat = "Maximum", threshold = var.cpu_percent, what = "Redis engine CPU above ${var.cpu_percent}%" }
    memory    = { metric = "DatabaseMemoryUsagePercentage", stat = "Maximum", threshold = var.memory_percent, what = "Redis memory use above ${var.memory_percent}%" }
    evictions = { metric = "Evictions", stat = "Sum", threshold = var.cache_evictions_per_5min, what = "more than ${var.cache_evictions_per_5min} keys evicted in 5 minutes" }
  }
}

################################################################################
# Application logs
################################################################################

resource "aws_cloudwatch_log_group" "app" {
  name              = "/ecs/${var.name}"
  retention_in_days = var.retention_days
  kms_key_id        = var.kms_key_arn

  tags = var.tags
}

################################################################################
# Alarm topic
################################################################################

resource "aws_sns_topic" "alarms" {
  name              = "${var.name}-alarms"
  kms_master_key_id = var.kms_key_arn

  tags = var.tags
}

# Same-account principals already have access through IAM; the topic policy only
# adds CloudWatch (limited to this account's alarms) and refuses plain HTTP.
resource "aws_sns_topic_policy" "alarms" {
  arn = aws_sns_topic.alarms.arn

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AllowCloudWatchAlarms"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = "sns:Publish"
        Resource  = aws_sns_topic.alarms.arn
        Condition = {
          ArnLike      = { "aws:SourceArn" = local.alarm_arn_pattern }
          StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id }
        }
      },
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = { AWS = "*" }
        Action    = ["sns:Publish", "sns:Subscribe"]
        Resource  = aws_sns_topic.alarms.arn
        Condition = {
          Bool = { "aws:SecureTransport" = "false" }
        }
      },
    ]
  })
}

resource "aws_sns_topic_subscription" "email" {
  count = var.alarm_email == null ? 0 : 1

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

################################################################################
# Alarms
################################################################################

resource "aws_cloudwatch_metric_alarm" "cpu" {
  alarm_name          = "${var.name}-ecs-cpu-high"
  alarm_description   = "ECS service ${var.ecs_service_name}: average CPU above ${var.cpu_percent}%."
  namespace           = "AWS/ECS"
  metric_name         = "CPUUtilization"
  dimensions          = local.ecs_dimensions
  statistic           = "Average"
  period              = 300
  evaluation_periods  = var.evaluation_periods
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.cpu_percent
  treat_missing_data  = "missing"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "memory" {
  alarm_name          = "${var.name}-ecs-memory-high"
  alarm_description   = "ECS service ${var.ecs_service_name}: average memory above ${var.memory_percent}%."
  namespace           = "AWS/ECS"
  metric_name         = "MemoryUtilization"
  dimensions          = local.ecs_dimensions
  statistic           = "Average"
  period              = 300
  evaluation_periods  = var.evaluation_periods
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.memory_percent
  treat_missing_data  = "missing"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "unhealthy_hosts" {
  alarm_name          = "${var.name}-alb-unhealthy-hosts"
  alarm_description   = "Target group ${var.target_group_arn_suffix}: ${var.unhealthy_hosts} or more unhealthy targets."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "UnHealthyHostCount"
  dimensions          = local.target_dimensions
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = var.evaluation_periods
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = var.unhealthy_hosts
  # The ALB publishes no datapoint while it has no targets registered.
  treat_missing_data = "notBreaching"
  alarm_actions      = [aws_sns_topic.alarms.arn]
  ok_actions         = [aws_sns_topic.alarms.arn]

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "http_5xx" {
  alarm_name          = "${var.name}-alb-target-5xx"
  alarm_description   = "Target group ${var.target_group_arn_suffix}: more than ${var.http_5xx_per_5min} target 5xx responses in 5 minutes."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "HTTPCode_Target_5XX_Count"
  dimensions          = local.target_dimensions
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.http_5xx_per_5min
  # No requests means no datapoint, which is not an error.
  treat_missing_data = "notBreaching"
  alarm_actions      = [aws_sns_topic.alarms.arn]
  ok_actions         = [aws_sns_topic.alarms.arn]

  tags = var.tags
}

# A full outage: no healthy target. With no target registered at all the ALB publishes no
# datapoint, so missing data counts as breaching here (UnHealthyHostCount cannot see that case).
resource "aws_cloudwatch_metric_alarm" "no_healthy_hosts" {
  alarm_name          = "${var.name}-alb-no-healthy-hosts"
  alarm_description   = "Target group ${var.target_group_arn_suffix}: no healthy target, the API is down (no data counts as down)."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "HealthyHostCount"
  dimensions          = local.target_dimensions
  statistic           = "Minimum"
  period              = 60
  evaluation_periods  = var.evaluation_periods
  comparison_operator = "LessThanThreshold"
  threshold           = 1
  treat_missing_data  = "breaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  tags = var.tags
}

# The load balancer's own 5xx (502/503/504 when targets are missing or failing), which the
# target-5xx alarm cannot see.
resource "aws_cloudwatch_metric_alarm" "elb_5xx" {
  alarm_name          = "${var.name}-alb-elb-5xx"
  alarm_description   = "Load balancer ${var.alb_arn_suffix}: more than ${var.http_5xx_per_5min} 5xx responses of its own in 5 minutes."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "HTTPCode_ELB_5XX_Count"
  dimensions          = { LoadBalancer = var.alb_arn_suffix }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.http_5xx_per_5min
  treat_missing_data  = "notBreaching" # no requests, no errors
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "running_tasks" {
  alarm_name          = "${var.name}-ecs-running-tasks-low"
  alarm_description   = "ECS service ${var.ecs_service_name}: fewer than ${var.min_running_tasks} running tasks (no data counts as none)."
  namespace           = "ECS/ContainerInsights"
  metric_name         = "RunningTaskCount"
  dimensions          = local.ecs_dimensions
  statistic           = "Minimum"
  period              = 60
  evaluation_periods  = var.evaluation_periods
  comparison_operator = "LessThanThreshold"
  threshold           = var.min_running_tasks
  treat_missing_data  = "breaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "db_cpu" {
  alarm_name          = "${var.name}-aurora-cpu-high"
  alarm_description   = "Aurora cluster ${var.db_cluster_identifier}: an instance's CPU above ${var.cpu_percent}%."
  namespace           = "AWS/RDS"
  metric_name         = "CPUUtilization"
  dimensions          = local.db_dimensions
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = var.evaluation_periods
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.cpu_percent
  treat_missing_data  = "missing"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "db_memory" {
  alarm_name          = "${var.name}-aurora-freeable-memory-low"
  alarm_description   = "Aurora cluster ${var.db_cluster_identifier}: an instance's freeable memory below ${var.db_min_freeable_memory_mib} MiB."
  namespace           = "AWS/RDS"
  metric_name         = "FreeableMemory"
  dimensions          = local.db_dimensions
  statistic           = "Minimum"
  period              = 300
  evaluation_periods  = var.evaluation_periods
  comparison_operator = "LessThanThreshold"
  threshold           = var.db_min_freeable_memory_mib * 1048576 # the metric is in bytes
  treat_missing_data  = "missing"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "db_connections" {
  alarm_name          = "${var.name}-aurora-connections-high"
  alarm_description   = "Aurora cluster ${var.db_cluster_identifier}: an instance holds more than ${var.db_max_connections} connections."
  namespace           = "AWS/RDS"
  metric_name         = "DatabaseConnections"
  dimensions          = local.db_dimensions
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = var.evaluation_periods
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.db_max_connections
  treat_missing_data  = "missing"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "cache" {
  for_each = local.cache_alarms

  alarm_name          = "${var.name}-redis-${each.key}-high"
  alarm_description   = "Redis ${join(", ", var.cache_node_ids)}: ${each.value.what} on the worst node."
  evaluation_periods  = var.evaluation_periods
  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value.threshold
  treat_missing_data  = "missing"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  metric_query {
    id          = "worst"
    expression  = "MAX(METRICS())"
    label       = "${each.value.metric} (worst node)"
    return_data = true
  }

  dynamic "metric_query" {
    for_each = var.cache_node_ids
    content {
      id = "node${metric_query.key}"
      metric {
        namespace   = "AWS/ElastiCache"
        metric_name = each.value.metric
        dimensions  = { CacheClusterId = metric_query.value }
        stat        = each.value.stat
        period      = 300
      }
    }
  }

  tags = var.tags
}
