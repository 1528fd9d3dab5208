# The whole stack of one environment, composed from the concern modules. Env roots call this
# module with their tier from tiers.yaml, so the three roots hold no resource logic of their own
# and cannot drift apart: every difference between tiers is data.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  name = "${var.project}-${var.environment}"
  tier = var.tier

  # terraform/bootstrap's names: the role that applies this env, and the permissions boundary that
  # role must set on every role it creates (its IAM rights require it; see bootstrap's README).
  iam                  = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}"
  deploy_role_arn      = "${local.iam}:role/${var.project}-deploy-${var.environment}"
  plan_role_arn        = "${local.iam}:role/${var.project}-plan-${var.environment}"
  permissions_boundary = "${local.iam}:policy/${var.project}-boundary-${var.environment}"

  # Without NAT the private subnets have no way out (to ECR, say): the tasks run in the public
  # subnets with their own addresses, reachable only from the ALB's security group.
  tasks_in_public_subnets = local.tier.network.nat_gateways == "none"
}

module "security" {
  source = "../security"

  name                        = local.name
  key_administrator_arns      = distinct(concat([local.deploy_role_arn], var.kms_key_administrators))
  key_user_arns               = [local.deploy_role_arn, module.service.execution_role_arn, module.service.task_role_arn]
  key_reader_arns             = [local.plan_role_arn]
  kms_multi_region            = local.tier.security.kms_multi_region
  secret_recovery_window_days = local.tier.security.secret_recovery_window_days
  tags                        = var.tags
}

module "network" {
  source = "../network"

  name                    = local.name
  cidr                    = local.tier.network.cidr
  az_count                = local.tier.network.az_count
  excluded_zone_ids       = var.excluded_zone_ids
  nat_gateways            = local.tier.network.nat_gateways
  flow_log_retention_days = local.tier.logs.retention_days
  flow_log_kms_key_arn    = module.security.kms_key_arn
  permissions_boundary    = local.permissions_boundary
  tags                    = var.tags
}

module "registry" {
  source = "../registry"

  repository_name = var.ecr_repository_name
  kms_key_arn     = module.security.kms_key_arn
  # Off in every tier; only infra's teardown override (never committed) sets it, so that a
  # throw-away stack holding deployed images can be destroyed.
  force_delete = local.tier.teardown.ecr_force_delete
  tags         = var.tags
}

module "load_balancer" {
  source = "../load_balancer"

  name                 = local.name
  vpc_id               = module.network.vpc_id
  public_subnet_ids    = module.network.public_subnet_ids
  https_enabled        = local.tier.load_balancer.https
  ssl_policy           = var.policy.tls_policies[0]
  allowed_ssl_policies = var.policy.tls_policies
  domain_name          = var.domain_name
  hosted_zone_id       = var.hosted_zone_id
  certificate_arn      = var.certificate_arn
  access_logs_enabled  = local.tier.load_balancer.access_logs
  target_port          = var.container_port
  health_check_path    = var.health_check_path
  deletion_protection  = local.tier.load_balancer.deletion_protection
  tags                 = var.tags
}

module "database" {
  source = "../database"

  name                         = local.name
  engine_version               = local.tier.database.engine_version
  instance_class               = local.tier.database.instance_class
  serverless                   = local.tier.database.serverless
  instance_count               = local.tier.database.instances
  availability_zones           = module.network.azs
  vpc_id                       = module.network.vpc_id
  subnet_ids                   = module.network.database_subnet_ids
  allowed_security_group_ids   = [module.service.security_group_id]
  kms_key_arn                  = module.security.kms_key_arn
  backup_retention_days        = local.tier.database.backup_retention_days
  deletion_protection          = local.tier.database.deletion_protection
  performance_insights_enabled = local.tier.database.performance_insights
  log_retention_days           = local.tier.logs.retention_days
  permissions_boundary         = local.permissions_boundary
  tags                         = var.tags
}

module "cache" {
  source = "../cache"

  name                       = local.name
  engine_version             = local.tier.cache.engine_version
  node_type                  = local.tier.cache.node_type
  cluster_mode               = local.tier.cache.cluster_mode
  shards                     = local.tier.cache.shards
  replicas_per_shard         = local.tier.cache.replicas_per_shard
  availability_zones         = module.network.azs
  multi_az                   = local.tier.cache.multi_az
  vpc_id                     = module.network.vpc_id
  subnet_ids                 = module.network.database_subnet_ids
  allowed_security_group_ids = [module.service.security_group_id]
  kms_key_arn                = module.security.kms_key_arn
  tags                       = var.tags
}

module "observability" {
  source = "../observability"

  name                       = local.name
  retention_days             = local.tier.logs.retention_days
  kms_key_arn                = module.security.kms_key_arn
  ecs_cluster_name           = module.service.cluster_name
  ecs_service_name           = module.service.service_name
  alb_arn_suffix             = module.load_balancer.alb_arn_suffix
  target_group_arn_suffix    = module.load_balancer.target_group_arn_suffix
  cpu_percent                = local.tier.alarms.cpu_percent
  memory_percent             = local.tier.alarms.memory_percent
  unhealthy_hosts            = local.tier.alarms.unhealthy_hosts
  http_5xx_per_5min          = local.tier.alarms.http_5xx_per_5min
  min_running_tasks          = local.tier.service.min_tasks
  db_cluster_identifier      = module.database.cluster_identifier
  db_min_freeable_memory_mib = local.tier.alarms.db_min_freeable_memory_mib
  db_max_connections         = local.tier.alarms.db_max_connections
  cache_node_ids             = module.cache.node_ids
  cache_evictions_per_5min   = local.tier.alarms.cache_evictions_per_5min
  alarm_email                = var.alarm_email
  tags                       = var.tags
}

module "feature_flags" {
  source = "../feature_flags"

  name                   = local.name
  environment            = var.environment
  kms_key_arn            = module.security.kms_key_arn
  deployment_strategy_id = local.tier.feature_flags.deployment_strategy
  # The alarms that say the service is failing its users: a flag rollout that sets one off is undone.
  alarm_arns           = [for kind in ["http_5xx", "elb_5xx", "unhealthy_hosts", "no_healthy_hosts"] : module.observability.alarm_arns[kind]]
  permissions_boundary = local.permissions_boundary
  tags                 = var.tags
}

module "service" {
  source = "../service"

  name                  = local.name
  region                = var.region
  cpu                   = local.tier.service.cpu
  memory                = local.tier.service.memory
  min_tasks             = local.tier.service.min_tasks
  max_tasks             = local.tier.service.max_tasks
  cpu_target_percent    = local.tier.service.cpu_target_percent
  cpu_architecture      = local.tier.service.cpu_architecture
  fargate_spot          = local.tier.service.fargate_spot
  vpc_id                = module.network.vpc_id
  subnet_ids            = local.tasks_in_public_subnets ? module.network.public_subnet_ids : module.network.private_subnet_ids
  assign_public_ip      = local.tasks_in_public_subnets
  alb_security_group_id = module.load_balancer.security_group_id
  target_group_arn      = module.load_balancer.target_group_arn
  container_image       = coalesce(var.container_image, "${module.registry.repository_url}:bootstrap")
  container_port        = var.container_port
  log_group_name        = module.observability.app_log_group_name
  kms_key_arn           = module.security.kms_key_arn
  permissions_boundary  = local.permissions_boundary

  # What the application calls as itself: Redis and Aurora, each signing in with an IAM token as the
  # application's own user, and its flags.
  task_role_statements = [
    {
      sid       = "ConnectToRedis"
      actions   = ["elasticache:Connect"]
      resources = [module.cache.replication_group_arn, module.cache.app_user_arn]
    },
    {
      # The database, as the application's own role (IAM database authentication).
      sid       = "ConnectToAurora"
      actions   = ["rds-db:connect"]
      resources = ["arn:${data.aws_partition.current.partition}:rds-db:${var.region}:${data.aws_caller_identity.current.account_id}:dbuser:${module.database.cluster_resource_id}/${module.database.app_username}"]
    },
    {
      # The flags, read through AppConfig's data plane (or its agent) with the names below.
      sid       = "ReadFeatureFlags"
      actions   = ["appconfig:StartConfigurationSession", "appconfig:GetLatestConfiguration"]
      resources = [module.feature_flags.configuration_arn]
    },
  ]

  # Secrets reach the container through ECS's `secrets` (valueFrom), never as plain variables. The
  # database has none: the application signs in as its own role with IAM authentication (a token from
  # the task role), never as the master user, whose password RDS rotates every 7 days while running
  # tasks keep the one they started with.
  secrets = {
    JWT_SECRET = module.security.jwt_secret_arn
  }
  environment = {
    APP_ENV     = var.environment
    DB_HOST     = module.database.endpoint
    DB_PORT     = tostring(module.database.port)
    DB_NAME     = module.database.database_name
    DB_USERNAME = module.database.app_username # created by `infra migrate` (infra/delivery/platform_migrations)
    DB_IAM_AUTH = "true"                       # password = an RDS auth token signed with the task role
    DB_SSLMODE  = "require"                    # IAM authentication only works over TLS
    REDIS_HOST  = coalesce(module.cache.configuration_endpoint_address, module.cache.primary_endpoint_address)
    REDIS_PORT  = tostring(module.cache.port)
    REDIS_TLS   = "true"
    REDIS_USER  = module.cache.app_user_name # IAM authentication: sign a token with the task role
    # Names, not IDs: the environment's ID waits on its monitors, the monitors on the alarms, and
    # the alarms on the service, which this task definition belongs to. AppConfig's data plane
    # takes either.
    APPCONFIG_APPLICATION = local.name
    APPCONFIG_ENVIRONMENT = var.environment
    APPCONFIG_PROFILE     = module.feature_flags.configuration_profile_name
  }
  tags = var.tags
}
