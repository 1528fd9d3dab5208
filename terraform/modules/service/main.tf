data "aws_vpc" "this" {
  id = var.vpc_id
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  # valueFrom may carry ":json-key:version-stage:version-id"; IAM wants the bare secret ARN
  # (its first 7 colon-separated fields).
  secret_arns = distinct([for v in values(var.secrets) : join(":", slice(split(":", v), 0, 7))])

  container_definition = merge(
    {
      name      = var.container_name
      image     = var.container_image
      essential = true
      portMappings = [{
        containerPort = var.container_port
        hostPort      = var.container_port
        protocol      = "tcp"
      }]
      readonlyRootFilesystem = var.readonly_root_filesystem
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = var.log_group_name
          awslogs-region        = var.region
          awslogs-stream-prefix = var.container_name
        }
      }
    },
    # Empty lists are left out: ECS drops them and the plan would never settle.
    length(var.environment) > 0 ? {
      environment = [for k in sort(keys(var.environment)) : { name = k, value = var.environment[k] }]
    } : {},
    # Secrets are only references; ECS resolves them at task start with the execution role.
    length(var.secrets) > 0 ? {
      secrets = [for k in sort(keys(var.secrets)) : { name = k, valueFrom = var.secrets[k] }]
    } : {},
    # A read-only root still needs somewhere to write temp files.
    var.readonly_root_filesystem ? {
      mountPoints = [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }]
    } : {},
  )
}

################################################################################
# Cluster
################################################################################

resource "aws_ecs_cluster" "this" {
  name = var.name

  setting {
    name  = "containerInsights"
    value = "enabled"
  }

  tags = merge(var.tags, { Name = var.name })
}

# A service may name only the capacity providers associated with its cluster (ECS refuses the
# service otherwise). Only a tier that runs Spot needs them; its default strategy is the service's.
resource "aws_ecs_cluster_capacity_providers" "this" {
  count = var.fargate_spot == null ? 0 : 1

  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = ["FARGATE", "FARGATE_SPOT"]

  default_capacity_provider_strategy {
    capacity_provider = "FARGATE"
    base              = var.fargate_spot.on_demand_base
    weight            = 0
  }

  default_capacity_provider_strategy {
    capacity_provider = "FARGATE_SPOT"
    weight            = 1
  }
}

################################################################################
# IAM: execution role (pull image, write logs, read the given secrets) and task role
################################################################################

resource "aws_iam_role" "execution" {
  name                 = "${var.name}-ecs-execution"
  permissions_boundary = var.permissions_boundary
  description          = "ECS task execution role for ${var.name}: image pull, logs, secret injection"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "EcsTasksAssume"
      Effect    = "Allow"
      Principal = { Service = "ecs-tasks.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })

  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

resource "aws_iam_role_policy" "execution" {
  name = "${var.name}-secrets"
  role = aws_iam_role.execution.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      # Exactly the injected secrets, nothing else in the account.
      length(local.secret_arns) > 0 ? [{
        Sid      = "ReadInjectedSecrets"
        Effect   = "Allow"
        Action   = ["secretsmanager:GetSecretValue"]
        Resource = local.secret_arns
      }] : [],
      [{
        Sid      = "DecryptWithStackKey"
        Effect   = "Allow"
        Action   = ["kms:Decrypt"]
        Resource = [var.kms_key_arn]
      }],
    )
  })
}

resource "aws_iam_role" "task" {
  name                 = "${var.name}-ecs-task"
  permissions_boundary = var.permissions_boundary
  description          = "Role of the ${var.name} application containers"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "EcsTasksAssume"
      Effect    = "Allow"
      Principal = { Service = "ecs-tasks.amazonaws.com" }
      Action    = "sts:AssumeRole"
      # Confused-deputy guard: only ECS acting for this account may assume it.
      Condition = {
        ArnLike      = { "aws:SourceArn" = "arn:${local.partition}:ecs:${var.region}:${local.account_id}:*" }
        StringEquals = { "aws:SourceAccount" = local.account_id }
      }
    }]
  })

  tags = var.tags
}

resource "aws_iam_role_policy" "task" {
  count = length(var.task_role_statements) > 0 ? 1 : 0

  name = "${var.name}-app"
  role = aws_iam_role.task.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [for st in var.task_role_statements : {
      Sid      = st.sid
      Effect   = "Allow"
      Action   = st.actions
      Resource = st.resources
    }]
  })
}

################################################################################
# Task definition
################################################################################

resource "aws_ecs_task_definition" "this" {
  family                   = var.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = tostring(var.cpu)
  memory                   = tostring(var.memory)
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  dynamic "volume" {
    for_each = var.readonly_root_filesystem ? ["tmp"] : []
    content {
      name = volume.value
    }
  }

  container_definitions = jsonencode([local.container_definition])

  tags = var.tags
}

################################################################################
# Security group: container port from the ALB only
################################################################################

resource "aws_security_group" "this" {
  name        = "${var.name}-svc"
  description = "ECS tasks of ${var.name}: container port from the ALB only"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-svc" })
}

resource "aws_vpc_security_group_ingress_rule" "from_alb" {
  security_group_id            = aws_security_group.this.id
  description                  = "Container port from the ALB"
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
  referenced_security_group_id = var.alb_security_group_id

  tags = var.tags
}

resource "aws_vpc_security_group_egress_rule" "https" {
  security_group_id = aws_security_group.this.id
  # No VPC endpoints: ECR, Secrets Manager and CloudWatch Logs are reached through NAT, or through the
  # internet gateway with the task's own public address where the network has no NAT.
  description = "HTTPS to AWS APIs and external services"
  ip_protocol = "tcp"
  from_port   = 443
  to_port     = 443
  cidr_ipv4   = "0.0.0.0/0"

  tags = var.tags
}

resource "aws_vpc_security_group_egress_rule" "vpc" {
  count = length(var.vpc_egress_ports)

  security_group_id = aws_security_group.this.id
  description       = "TCP ${var.vpc_egress_ports[count.index]} to data stores inside the VPC"
  ip_protocol       = "tcp"
  from_port         = var.vpc_egress_ports[count.index]
  to_port           = var.vpc_egress_ports[count.index]
  cidr_ipv4         = data.aws_vpc.this.cidr_block

  tags = var.tags
}

################################################################################
# Service
################################################################################

resource "aws_ecs_service" "this" {
  name            = var.name
  cluster         = aws_ecs_cluster.this.id
  task_definition = aws_ecs_task_definition.this.arn
  # No task runs until the first release: the first revision names an image that no build has
  # pushed yet (ECS would retry CannotPullContainerError forever). `infra deploy` raises the count
  # to the tier's floor with the first image it releases; see the autoscaling target below.
  desired_count = 0
  # On-demand Fargate by launch type, or, for a tier on Spot, the strategy: the base on on-demand
  # Fargate, every further task on Fargate Spot (ARM64 tasks too, from platform version 1.4.0).
  launch_type      = var.fargate_spot == null ? "FARGATE" : null
  platform_version = "LATEST"

  dynamic "capacity_provider_strategy" {
    for_each = var.fargate_spot == null ? [] : [
      { provider = "FARGATE", base = var.fargate_spot.on_demand_base, weight = 0 },
      { provider = "FARGATE_SPOT", base = 0, weight = 1 },
    ]
    content {
      capacity_provider = capacity_provider_strategy.value.provider
      base              = capacity_provider_strategy.value.base
      weight            = capacity_provider_strategy.value.weight
    }
  }

  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  health_check_grace_period_seconds  = var.health_check_grace_period

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  deployment_controller {
    type = "ECS"
  }

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = [aws_security_group.this.id]
    assign_public_ip = var.assign_public_ip
  }

  load_balancer {
    target_group_arn = var.target_group_arn
    container_name   = var.container_name
    container_port   = var.container_port
  }

  enable_ecs_managed_tags = true
  propagate_tags          = "SERVICE"

  tags = merge(var.tags, { Name = var.name })

  # CI registers new task-definition revisions and autoscaling moves the count;
  # Terraform must not roll either back.
  lifecycle {
    ignore_changes = [task_definition, desired_count]
  }

  # Tasks started before the execution role can read secrets would fail to launch, and a strategy
  # naming a provider the cluster does not have yet is refused.
  depends_on = [aws_iam_role_policy_attachment.execution, aws_iam_role_policy.execution, aws_ecs_cluster_capacity_providers.this]
}

################################################################################
# Autoscaling
################################################################################

resource "aws_appautoscaling_target" "this" {
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.this.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  # Registering a target moves an active service's count into [min, max] at once, so a floor of
  # min_tasks would start the first revision's missing image. Until the first release the floor is
  # 0; `infra deploy` registers min_tasks with it, and from then on the service's refreshed count
  # (never below the floor) keeps this at min_tasks: Terraform and the deploy agree, no drift.
  min_capacity = aws_ecs_service.this.desired_count > 0 ? var.min_tasks : 0
  max_capacity = var.max_tasks

  tags = var.tags
}

resource "aws_appautoscaling_policy" "cpu" {
  name               = "${var.name}-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this.service_namespace
  resource_id        = aws_appautoscaling_target.this.resource_id
  scalable_dimension = aws_appautoscaling_target.this.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.cpu_target_percent
    scale_in_cooldown  = var.scale_in_cooldown
    scale_out_cooldown = var.scale_out_cooldown

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

resource "aws_appautoscaling_policy" "memory" {
  name               = "${var.name}-memory"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this.service_namespace
  resource_id        = aws_appautoscaling_target.this.resource_id
  scalable_dimension = aws_appautoscaling_target.this.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.memory_target_percent
    scale_in_cooldown  = var.scale_in_cooldown
    scale_out_cooldown = var.scale_out_cooldown

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageMemoryUtilization"
    }
  }
}
