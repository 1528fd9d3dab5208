locals {
  port   = 6379
  family = "redis7"

  nodes_per_shard = 1 + var.replicas_per_shard
  node_count      = var.shards * local.nodes_per_shard
  # The node (cache cluster) IDs ElastiCache gives a group's members: <group>-001.. without cluster
  # mode, <group>-0001-001.. (shard, node) with it. Known at plan time, unlike member_clusters, so
  # per-node alarms can be planned.
  node_ids = var.cluster_mode ? flatten([
    for s in range(1, var.shards + 1) : [for n in range(1, local.nodes_per_shard + 1) : format("%s-%04d-%03d", var.name, s, n)]
  ]) : [for n in range(1, local.node_count + 1) : format("%s-%03d", var.name, n)]

  parameter_group_name = var.parameter_group_name == null ? aws_elasticache_parameter_group.this[0].name : var.parameter_group_name
}

################################################################################
# Who may connect: IAM authentication, no password anywhere
################################################################################

# An AUTH token would sit in Terraform's state (provider 5.100 has no write-only argument for it), and
# every plan would have to read it from Secrets Manager. With IAM authentication no password exists:
# a client signs a short-lived token with its role (elasticache:Connect on this group and user).
# Redis requires a user named "default" in every user group; this one is switched off.
resource "aws_elasticache_user" "default" {
  user_id       = "${var.name}-default"
  user_name     = "default"
  engine        = "redis"
  access_string = "off -@all"

  authentication_mode {
    type = "no-password-required"
  }

  tags = var.tags
}

# IAM users must have user_id == user_name.
resource "aws_elasticache_user" "app" {
  user_id       = "${var.name}-app"
  user_name     = "${var.name}-app"
  engine        = "redis"
  access_string = var.app_access_string

  authentication_mode {
    type = "iam"
  }

  tags = var.tags
}

resource "aws_elasticache_user_group" "this" {
  user_group_id = var.name
  engine        = "redis"
  user_ids      = [aws_elasticache_user.default.user_id, aws_elasticache_user.app.user_id]

  tags = var.tags
}

resource "aws_elasticache_subnet_group" "this" {
  name        = "${var.name}-cache"
  description = "Cache subnets for ${var.name}"
  subnet_ids  = var.subnet_ids

  tags = merge(var.tags, { Name = "${var.name}-cache" })
}

################################################################################
# Security group: Redis only from the listed security groups, no egress
################################################################################

resource "aws_security_group" "this" {
  name        = "${var.name}-cache"
  description = "ElastiCache Redis for ${var.name}: 6379 from allowed security groups only"
  vpc_id      = var.vpc_id

  # Without egress rules the provider removes AWS's default allow-all egress: the
  # cache never opens connections itself.
  tags = merge(var.tags, { Name = "${var.name}-cache" })
}

resource "aws_vpc_security_group_ingress_rule" "redis" {
  # count, not for_each: the IDs usually come from other modules and are unknown at plan.
  count = length(var.allowed_security_group_ids)

  security_group_id            = aws_security_group.this.id
  description                  = "Redis from allowed security group ${count.index + 1}"
  ip_protocol                  = "tcp"
  from_port                    = local.port
  to_port                      = local.port
  referenced_security_group_id = var.allowed_security_group_ids[count.index]

  tags = var.tags
}

################################################################################
# Parameter group
################################################################################

resource "aws_elasticache_parameter_group" "this" {
  count = var.parameter_group_name == null ? 1 : 0

  # cluster-enabled cannot change on a group in use, so the mode is part of the name
  # and a mode switch builds a new group first.
  name        = "${var.name}-${local.family}${var.cluster_mode ? "-cluster" : ""}"
  family      = local.family
  description = "Redis parameters for ${var.name}"

  # "no" is the redis7 default, so the parameter is only set for cluster mode.
  dynamic "parameter" {
    for_each = var.cluster_mode ? [1] : []
    content {
      name  = "cluster-enabled"
      value = "yes"
    }
  }

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

################################################################################
# Replication group (also for a single node, so encryption and sign-in are the same in every tier)
################################################################################

resource "aws_elasticache_replication_group" "this" {
  replication_group_id = var.name
  description          = "Redis for ${var.name}"

  engine               = "redis"
  engine_version       = var.engine_version
  node_type            = var.node_type
  port                 = local.port
  parameter_group_name = local.parameter_group_name

  # Non-cluster mode: one shard of 1 primary + replicas. Cluster mode: shards x (1 + replicas).
  num_cache_clusters      = var.cluster_mode ? null : local.nodes_per_shard
  num_node_groups         = var.cluster_mode ? var.shards : null
  replicas_per_node_group = var.cluster_mode ? var.replicas_per_shard : null

  # One node per AZ, in the subnets' order, the primary in the first. Only without cluster mode:
  # provider 5.100 has no node_group_configuration, so a cluster-mode shard's zones are ElastiCache's
  # choice, which `infra verify` checks on the live group (nodes in distinct AZs when multi-AZ).
  preferred_cache_cluster_azs = var.cluster_mode ? null : [
    for n in range(local.nodes_per_shard) : var.availability_zones[n % length(var.availability_zones)]
  ]

  # Cluster-mode-enabled groups require automatic failover even without replicas.
  automatic_failover_enabled = var.multi_az || var.cluster_mode
  multi_az_enabled           = var.multi_az

  subnet_group_name  = aws_elasticache_subnet_group.this.name
  security_group_ids = [aws_security_group.this.id]

  at_rest_encryption_enabled = true
  kms_key_id                 = var.kms_key_arn
  transit_encryption_enabled = true
  user_group_ids             = [aws_elasticache_user_group.this.user_group_id]

  snapshot_retention_limit   = var.snapshot_retention_days
  snapshot_window            = var.snapshot_window
  maintenance_window         = var.maintenance_window
  auto_minor_version_upgrade = true
  apply_immediately          = var.apply_immediately

  tags = merge(var.tags, { Name = var.name })
}
