mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }

  mock_data "aws_region" {
    defaults = {
      name = "us-east-1"
    }
  }

  # A real-looking ARN lets the topic policy be decoded at plan time.
  mock_resource "aws_sns_topic" {
    override_during = plan
    defaults = {
      arn = "arn:aws:sns:us-east-1:123456789012:rupaya-test-alarms"
    }
  }
}

variables {
  name                       = "rupaya-test"
  retention_days             = 14
  kms_key_arn                = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  ecs_cluster_name           = "rupaya-test"
  ecs_service_name           = "rupaya-test-api"
  alb_arn_suffix             = "app/rupaya-test/50dc6c495c0c9188"
  target_group_arn_suffix    = "targetgroup/rupaya-test/73e2d6bc24d8a067"
  cpu_percent                = 85
  memory_percent             = 80
  unhealthy_hosts            = 1
  http_5xx_per_5min          = 50
  min_running_tasks          = 3
  db_cluster_identifier      = "rupaya-test"
  db_min_freeable_memory_mib = 1024
  db_max_connections         = 1400
  cache_node_ids             = ["rupaya-test-0001-001", "rupaya-test-0001-002", "rupaya-test-0001-003"]
  cache_evictions_per_5min   = 0
  tags                       = { Environment = "test" }
}

run "app_log_group_is_encrypted_with_retention" {
  command = plan

  assert {
    condition     = aws_cloudwatch_log_group.app.name == "/ecs/rupaya-test"
    error_message = "The app log group must be /ecs/<name>."
  }

  assert {
    condition     = aws_cloudwatch_log_group.app.kms_key_id == var.kms_key_arn && aws_cloudwatch_log_group.app.retention_in_days == 14
    error_message = "The app log group must be KMS-encrypted and keep logs retention_days days."
  }
}

run "topic_is_encrypted_and_cloudwatch_may_publish" {
  command = plan

  assert {
    condition     = aws_sns_topic.alarms.kms_master_key_id == var.kms_key_arn
    error_message = "The alarm topic must be KMS-encrypted."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_sns_topic_policy.alarms.policy).Statement :
      s.Condition.ArnLike["aws:SourceArn"] if s.Sid == "AllowCloudWatchAlarms"
    ]) == "arn:aws:cloudwatch:us-east-1:123456789012:alarm:*"
    error_message = "Only this account's CloudWatch alarms may publish to the topic."
  }

  assert {
    condition     = contains([for s in jsondecode(aws_sns_topic_policy.alarms.policy).Statement : s.Effect if s.Sid == "DenyInsecureTransport"], "Deny")
    error_message = "The topic must refuse requests without TLS."
  }
}

run "every_alarm_notifies_the_topic" {
  command = plan

  assert {
    condition = alltrue([
      for a in concat([
        aws_cloudwatch_metric_alarm.cpu, aws_cloudwatch_metric_alarm.memory, aws_cloudwatch_metric_alarm.unhealthy_hosts,
        aws_cloudwatch_metric_alarm.http_5xx, aws_cloudwatch_metric_alarm.no_healthy_hosts, aws_cloudwatch_metric_alarm.elb_5xx,
        aws_cloudwatch_metric_alarm.running_tasks, aws_cloudwatch_metric_alarm.db_cpu, aws_cloudwatch_metric_alarm.db_memory,
      aws_cloudwatch_metric_alarm.db_connections], values(aws_cloudwatch_metric_alarm.cache)) :
      a.alarm_actions == toset(["arn:aws:sns:us-east-1:123456789012:rupaya-test-alarms"]) && a.ok_actions == toset(["arn:aws:sns:us-east-1:123456789012:rupaya-test-alarms"])
    ])
    error_message = "Every alarm must send ALARM and OK notifications to the SNS topic."
  }

  assert {
    condition = output.alarm_names == {
      cpu              = "rupaya-test-ecs-cpu-high"
      memory           = "rupaya-test-ecs-memory-high"
      unhealthy_hosts  = "rupaya-test-alb-unhealthy-hosts"
      http_5xx         = "rupaya-test-alb-target-5xx"
      no_healthy_hosts = "rupaya-test-alb-no-healthy-hosts"
      elb_5xx          = "rupaya-test-alb-elb-5xx"
      running_tasks    = "rupaya-test-ecs-running-tasks-low"
      db_cpu           = "rupaya-test-aurora-cpu-high"
      db_memory        = "rupaya-test-aurora-freeable-memory-low"
      db_connections   = "rupaya-test-aurora-connections-high"
      cache_cpu        = "rupaya-test-redis-cpu-high"
      cache_memory     = "rupaya-test-redis-memory-high"
      cache_evictions  = "rupaya-test-redis-evictions-high"
    }
    error_message = "alarm_names must map every kind to its alarm name."
  }
}

run "a_full_outage_alarms" {
  command = plan

  assert {
    condition     = aws_cloudwatch_metric_alarm.no_healthy_hosts.metric_name == "HealthyHostCount" && aws_cloudwatch_metric_alarm.no_healthy_hosts.comparison_operator == "LessThanThreshold" && aws_cloudwatch_metric_alarm.no_healthy_hosts.threshold == 1 && aws_cloudwatch_metric_alarm.no_healthy_hosts.treat_missing_data == "breaching"
    error_message = "No healthy host alarms, and no data (no target registered) counts as breaching."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.elb_5xx.metric_name == "HTTPCode_ELB_5XX_Count" && aws_cloudwatch_metric_alarm.elb_5xx.dimensions == tomap({ LoadBalancer = "app/rupaya-test/50dc6c495c0c9188" })
    error_message = "The load balancer's own 5xx are watched."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.running_tasks.namespace == "ECS/ContainerInsights" && aws_cloudwatch_metric_alarm.running_tasks.metric_name == "RunningTaskCount" && aws_cloudwatch_metric_alarm.running_tasks.threshold == 3 && aws_cloudwatch_metric_alarm.running_tasks.treat_missing_data == "breaching"
    error_message = "Fewer running tasks than the tier's minimum alarms, and no data counts as none."
  }
}

run "database_and_cache_alarms" {
  command = plan

  assert {
    condition     = aws_cloudwatch_metric_alarm.db_memory.metric_name == "FreeableMemory" && aws_cloudwatch_metric_alarm.db_memory.threshold == 1024 * 1048576 && aws_cloudwatch_metric_alarm.db_memory.dimensions == tomap({ DBClusterIdentifier = "rupaya-test" })
    error_message = "Freeable memory is watched in bytes against the MiB floor."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.db_cpu.threshold == 85 && aws_cloudwatch_metric_alarm.db_connections.threshold == 1400
    error_message = "Aurora CPU and connections use the tier's thresholds."
  }
  assert {
    condition     = length(aws_cloudwatch_metric_alarm.cache["evictions"].metric_query) == 4 && aws_cloudwatch_metric_alarm.cache["evictions"].threshold == 0
    error_message = "Each cache alarm watches every node (3) through one MAX expression."
  }
}

run "rejects_too_many_cache_nodes_for_one_alarm" {
  command = plan

  variables {
    cache_node_ids = [for i in range(10) : "rupaya-test-${i}"]
  }

  expect_failures = [var.cache_node_ids]
}

run "alarms_watch_the_right_metrics_and_thresholds" {
  command = plan

  assert {
    condition     = aws_cloudwatch_metric_alarm.cpu.metric_name == "CPUUtilization" && aws_cloudwatch_metric_alarm.cpu.namespace == "AWS/ECS" && aws_cloudwatch_metric_alarm.cpu.threshold == 85
    error_message = "The CPU alarm must watch AWS/ECS CPUUtilization at cpu_percent."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.cpu.dimensions == tomap({ ClusterName = "rupaya-test", ServiceName = "rupaya-test-api" })
    error_message = "The ECS alarms must be scoped to the cluster and service."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.memory.metric_name == "MemoryUtilization" && aws_cloudwatch_metric_alarm.memory.threshold == 80
    error_message = "The memory alarm must watch MemoryUtilization at memory_percent."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.unhealthy_hosts.metric_name == "UnHealthyHostCount" && aws_cloudwatch_metric_alarm.unhealthy_hosts.comparison_operator == "GreaterThanOrEqualToThreshold" && aws_cloudwatch_metric_alarm.unhealthy_hosts.threshold == 1
    error_message = "The unhealthy-hosts alarm must fire at unhealthy_hosts or more."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.http_5xx.metric_name == "HTTPCode_Target_5XX_Count" && aws_cloudwatch_metric_alarm.http_5xx.statistic == "Sum" && aws_cloudwatch_metric_alarm.http_5xx.period == 300 && aws_cloudwatch_metric_alarm.http_5xx.threshold == 50
    error_message = "The 5xx alarm must sum target 5xx responses over 5 minutes against http_5xx_per_5min."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.http_5xx.dimensions == tomap({ LoadBalancer = "app/rupaya-test/50dc6c495c0c9188", TargetGroup = "targetgroup/rupaya-test/73e2d6bc24d8a067" })
    error_message = "The ALB alarms must be scoped to the load balancer and target group."
  }
}

run "no_email_subscription_by_default" {
  command = plan

  assert {
    condition     = length(aws_sns_topic_subscription.email) == 0
    error_message = "alarm_email = null must not subscribe anyone."
  }
}

run "email_subscription_when_given" {
  command = plan

  variables {
    alarm_email = "oncall@example.com"
  }

  assert {
    condition     = length(aws_sns_topic_subscription.email) == 1 && aws_sns_topic_subscription.email[0].protocol == "email" && aws_sns_topic_subscription.email[0].endpoint == "oncall@example.com"
    error_message = "alarm_email must create one e-mail subscription."
  }
}

run "rejects_retention_cloudwatch_does_not_allow" {
  command = plan

  variables {
    retention_days = 10
  }

  expect_failures = [var.retention_days]
}

run "rejects_cpu_over_100" {
  command = plan

  variables {
    cpu_percent = 150
  }

  expect_failures = [var.cpu_percent]
}

run "rejects_full_alb_arn_instead_of_suffix" {
  command = plan

  variables {
    alb_arn_suffix = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/rupaya-test/50dc6c495c0c9188"
  }

  expect_failures = [var.alb_arn_suffix]
}

run "rejects_bad_email" {
  command = plan

  variables {
    alarm_email = "not-an-email"
  }

  expect_failures = [var.alarm_email]
}
