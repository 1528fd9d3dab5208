mock_provider "aws" {
  mock_data "aws_vpc" {
    defaults = {
      cidr_block = "10.30.0.0/16"
    }
  }
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
}

variables {
  name                  = "rupaya-test"
  region                = "us-east-1"
  cpu                   = 1024
  memory                = 2048
  min_tasks             = 3
  max_tasks             = 10
  cpu_target_percent    = 60
  vpc_id                = "vpc-0123456789abcdef0"
  subnet_ids            = ["subnet-0000000000000000a", "subnet-0000000000000000b"]
  alb_security_group_id = "sg-0000000000000000a"
  target_group_arn      = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/rupaya-test-tg/0123456789abcdef"
  container_image       = "123456789012.dkr.ecr.us-east-1.amazonaws.com/rupaya-backend:bootstrap"
  log_group_name        = "/ecs/rupaya-test"
  kms_key_arn           = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  secrets = {
    DATABASE_PASSWORD = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!cluster-abc-AbCdEf:password::"
    DATABASE_USERNAME = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!cluster-abc-AbCdEf:username::"
    JWT_SECRET        = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rupaya-test/jwt-GhIjKl"
    REDIS_AUTH_TOKEN  = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rupaya-test/redis-auth-token-MnOpQr"
  }
  environment = {
    NODE_ENV   = "production"
    REDIS_HOST = "clustercfg.rupaya-test.cache.amazonaws.com"
  }
  tags = { Environment = "test" }
}

run "prod_like_service_injects_secrets_and_scales" {
  command = plan

  assert {
    condition     = anytrue([for st in aws_ecs_cluster.this.setting : st.name == "containerInsights" && st.value == "enabled"])
    error_message = "cluster has Container Insights enabled"
  }
  assert {
    condition     = aws_ecs_task_definition.this.cpu == "1024" && aws_ecs_task_definition.this.memory == "2048" && aws_ecs_task_definition.this.network_mode == "awsvpc" && tolist(aws_ecs_task_definition.this.requires_compatibilities) == tolist(["FARGATE"])
    error_message = "Fargate task in awsvpc mode with the tier's cpu/memory"
  }
  assert {
    condition     = [for s in jsondecode(aws_ecs_task_definition.this.container_definitions)[0].secrets : s.name] == ["DATABASE_PASSWORD", "DATABASE_USERNAME", "JWT_SECRET", "REDIS_AUTH_TOKEN"]
    error_message = "every secret is injected through the container's secrets"
  }
  assert {
    condition     = alltrue([for s in jsondecode(aws_ecs_task_definition.this.container_definitions)[0].secrets : s.valueFrom == var.secrets[s.name]])
    error_message = "secrets are passed as valueFrom references"
  }
  assert {
    condition     = [for e in jsondecode(aws_ecs_task_definition.this.container_definitions)[0].environment : e.name] == ["NODE_ENV", "REDIS_HOST"] && !strcontains(aws_ecs_task_definition.this.container_definitions, "\"JWT_SECRET\",\"value\"")
    error_message = "environment holds only the plain variables"
  }
  assert {
    condition     = jsondecode(aws_ecs_task_definition.this.container_definitions)[0].logConfiguration.logDriver == "awslogs" && jsondecode(aws_ecs_task_definition.this.container_definitions)[0].logConfiguration.options["awslogs-group"] == "/ecs/rupaya-test" && jsondecode(aws_ecs_task_definition.this.container_definitions)[0].logConfiguration.options["awslogs-region"] == "us-east-1"
    error_message = "logs go to the given log group through awslogs"
  }
  assert {
    condition     = jsondecode(aws_ecs_task_definition.this.container_definitions)[0].readonlyRootFilesystem == true && length(aws_ecs_task_definition.this.volume) == 1
    error_message = "read-only root filesystem with a writable /tmp volume"
  }
  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : s.Resource if contains(s.Action, "secretsmanager:GetSecretValue")] == [[
      "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!cluster-abc-AbCdEf",
      "arn:aws:secretsmanager:us-east-1:123456789012:secret:rupaya-test/jwt-GhIjKl",
      "arn:aws:secretsmanager:us-east-1:123456789012:secret:rupaya-test/redis-auth-token-MnOpQr",
    ]]
    error_message = "GetSecretValue is granted on exactly the injected secrets (bare ARNs, deduplicated)"
  }
  assert {
    condition     = [for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : s.Resource if contains(s.Action, "kms:Decrypt")] == [[var.kms_key_arn]]
    error_message = "kms:Decrypt only on the stack key"
  }
  assert {
    condition     = !strcontains(aws_iam_role_policy.execution.policy, "\"*\"")
    error_message = "no wildcard action or resource in the inline policy"
  }
  assert {
    condition     = aws_iam_role_policy_attachment.execution.policy_arn == "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
    error_message = "execution role has the AWS task-execution policy"
  }
  assert {
    condition     = jsondecode(aws_iam_role.task.assume_role_policy).Statement[0].Condition.StringEquals["aws:SourceAccount"] == "123456789012"
    error_message = "task role trust is bound to this account"
  }
  assert {
    condition     = aws_ecs_service.this.launch_type == "FARGATE" && aws_ecs_service.this.desired_count == 0 && aws_ecs_service.this.network_configuration[0].assign_public_ip == false
    error_message = "Fargate service without public IPs, waiting for its first release (no task)"
  }
  assert {
    condition     = aws_ecs_service.this.deployment_circuit_breaker[0].enable == true && aws_ecs_service.this.deployment_circuit_breaker[0].rollback == true
    error_message = "deployment circuit breaker with rollback"
  }
  assert {
    condition     = one(aws_ecs_service.this.load_balancer).target_group_arn == var.target_group_arn && one(aws_ecs_service.this.load_balancer).container_port == 3000 && one(aws_ecs_service.this.load_balancer).container_name == "app"
    error_message = "service registers the app container in the target group"
  }
  assert {
    condition     = aws_vpc_security_group_ingress_rule.from_alb.referenced_security_group_id == "sg-0000000000000000a" && aws_vpc_security_group_ingress_rule.from_alb.from_port == 3000 && aws_vpc_security_group_ingress_rule.from_alb.cidr_ipv4 == null
    error_message = "container port only from the ALB security group"
  }
  assert {
    condition     = alltrue([for r in aws_vpc_security_group_egress_rule.vpc : r.cidr_ipv4 == "10.30.0.0/16"]) && aws_vpc_security_group_egress_rule.https.from_port == 443
    error_message = "egress: 443 out, data-store ports only inside the VPC"
  }
  assert {
    condition     = aws_appautoscaling_target.this.min_capacity == 0 && aws_appautoscaling_target.this.max_capacity == 10 && aws_appautoscaling_target.this.resource_id == "service/rupaya-test/rupaya-test" && output.min_tasks == 3
    error_message = "autoscaling up to max_tasks, with a floor of 0 until the first release raises it to min_tasks"
  }
  assert {
    condition     = aws_appautoscaling_policy.cpu.target_tracking_scaling_policy_configuration[0].target_value == 60 && aws_appautoscaling_policy.cpu.target_tracking_scaling_policy_configuration[0].predefined_metric_specification[0].predefined_metric_type == "ECSServiceAverageCPUUtilization"
    error_message = "CPU target tracking at cpu_target_percent"
  }
  assert {
    condition     = aws_appautoscaling_policy.memory.target_tracking_scaling_policy_configuration[0].target_value == 75 && aws_appautoscaling_policy.memory.target_tracking_scaling_policy_configuration[0].predefined_metric_specification[0].predefined_metric_type == "ECSServiceAverageMemoryUtilization"
    error_message = "memory target tracking at 75% by default"
  }
}

run "dev_like_service_without_secrets" {
  command = plan

  variables {
    cpu                      = 512
    memory                   = 1024
    min_tasks                = 1
    max_tasks                = 2
    cpu_target_percent       = 70
    secrets                  = {}
    environment              = {}
    readonly_root_filesystem = false
  }

  assert {
    condition     = length([for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : s if contains(s.Action, "secretsmanager:GetSecretValue")]) == 0
    error_message = "no secret access without secrets"
  }
  assert {
    condition     = !can(jsondecode(aws_ecs_task_definition.this.container_definitions)[0].secrets) && !can(jsondecode(aws_ecs_task_definition.this.container_definitions)[0].environment)
    error_message = "empty secrets/environment are left out of the container definition"
  }
  assert {
    condition     = length(aws_ecs_task_definition.this.volume) == 0 && jsondecode(aws_ecs_task_definition.this.container_definitions)[0].readonlyRootFilesystem == false
    error_message = "no tmp volume when the root filesystem is writable"
  }
  assert {
    condition     = output.min_tasks == 1 && aws_appautoscaling_target.this.max_capacity == 2
    error_message = "1-2 tasks"
  }
}

run "rejects_invalid_fargate_pair" {
  command = plan

  variables {
    cpu    = 1024
    memory = 1024
  }

  expect_failures = [var.memory]
}

run "rejects_secret_in_plain_environment" {
  command = plan

  variables {
    secrets     = {}
    environment = { JWT_SECRET = "hunter2" }
  }

  expect_failures = [var.environment]
}

run "rejects_credentials_in_url" {
  command = plan

  variables {
    environment = { DATABASE_URL = "postgres://app_admin:hunter2@db.internal:5432/app" }
  }

  expect_failures = [var.environment]
}

run "rejects_secret_that_is_not_a_secrets_manager_arn" {
  command = plan

  variables {
    secrets = { DATABASE_PASSWORD = "hunter2" }
  }

  expect_failures = [var.secrets]
}

run "rejects_max_below_min" {
  command = plan

  variables {
    min_tasks = 4
    max_tasks = 2
  }

  expect_failures = [var.max_tasks]
}
