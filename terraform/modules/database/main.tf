locals {
  engine = "aurora-postgresql"
  port   = 5432

  # Parameter groups are versioned by major: "16.6" -> "aurora-postgresql16".
  major_version = split(".", var.engine_version)[0]
  family        = "${local.engine}${local.major_version}"

  log_group_name = "/aws/rds/cluster/${var.name}/postgresql"

  enhanced_monitoring = var.monitoring_interval > 0
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

resource "aws_db_subnet_group" "this" {
  name        = "${var.name}-db"
  description = "Database subnets for ${var.name}"
  subnet_ids  = var.subnet_ids

  tags = merge(var.tags, { Name = "${var.name}-db" })
}

################################################################################
# Security group: PostgreSQL only from the listed security groups, no egress
################################################################################

resource "aws_security_group" "this" {
  name        = "${var.name}-db"
  description = "Aurora PostgreSQL for ${var.name}: 5432 from allowed security groups only"
  vpc_id      = var.vpc_id

  # Without egress rules the provider removes AWS's default allow-all egress: the
  # database never opens connections itself.
  tags = merge(var.tags, { Name = "${var.name}-db" })
}

resource "aws_vpc_security_group_ingress_rule" "postgres" {
  # count, not for_each: the IDs usually come from other modules and are unknown at plan.
  count = length(var.allowed_security_group_ids)

  security_group_id            = aws_security_group.this.id
  description                  = "PostgreSQL from allowed security group ${count.index + 1}"
  ip_protocol                  = "tcp"
  from_port                    = local.port
  to_port                      = local.port
  referenced_security_group_id = var.allowed_security_group_ids[count.index]

  tags = var.tags
}

################################################################################
# Parameter groups
################################################################################

resource "aws_rds_cluster_parameter_group" "this" {
  name        = "${var.name}-${local.family}"
  family      = local.family
  description = "Cluster parameters for ${var.name} (${local.family})"

  # Reject unencrypted client connections at the server.
  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }

  # Query logging into the exported postgresql log: schema changes (an audit trail of DDL) and
  # every statement slower than the threshold, never all statements (volume, and data in them).
  parameter {
    name  = "log_statement"
    value = var.log_statement
  }

  parameter {
    name  = "log_min_duration_statement"
    value = tostring(var.log_min_duration_ms)
  }

  tags = var.tags

  # The name carries the family, so a major upgrade creates the new group first.
  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_db_parameter_group" "this" {
  name        = "${var.name}-${local.family}-instance"
  family      = local.family
  description = "Instance parameters for ${var.name} (${local.family})"

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

################################################################################
# Log group for the exported PostgreSQL log
################################################################################

resource "aws_cloudwatch_log_group" "this" {
  count = var.create_cloudwatch_log_group ? 1 : 0

  # RDS writes to this exact name; creating it first lets us set KMS and retention.
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn

  tags = var.tags
}

################################################################################
# Enhanced Monitoring role (OS metrics of the instances, published by RDS to CloudWatch Logs)
################################################################################

resource "aws_iam_role" "monitoring" {
  count = local.enhanced_monitoring ? 1 : 0

  name                 = "${var.name}-rds-monitoring"
  permissions_boundary = var.permissions_boundary
  description          = "Lets RDS publish Enhanced Monitoring metrics of ${var.name} to CloudWatch Logs."
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "RdsMonitoringAssume"
      Effect    = "Allow"
      Principal = { Service = "monitoring.rds.amazonaws.com" }
      Action    = "sts:AssumeRole"
      # Confused-deputy guard: only RDS acting for this account may assume it.
      Condition = { StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id } }
    }]
  })

  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "monitoring" {
  count = local.enhanced_monitoring ? 1 : 0

  role       = aws_iam_role.monitoring[0].name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}

################################################################################
# Cluster and instances
################################################################################

resource "aws_rds_cluster" "this" {
  cluster_identifier = var.name
  engine             = local.engine
  engine_mode        = "provisioned"
  engine_version     = var.engine_version
  database_name      = var.database_name
  port               = local.port

  master_username = var.master_username
  # RDS generates and rotates the password in Secrets Manager; it never enters state.
  manage_master_user_password   = true
  master_user_secret_kms_key_id = var.kms_key_arn

  db_subnet_group_name            = aws_db_subnet_group.this.name
  vpc_security_group_ids          = [aws_security_group.this.id]
  db_cluster_parameter_group_name = aws_rds_cluster_parameter_group.this.name

  storage_encrypted                   = true
  kms_key_id                          = var.kms_key_arn
  iam_database_authentication_enabled = true

  backup_retention_period      = var.backup_retention_days
  preferred_backup_window      = var.preferred_backup_window
  preferred_maintenance_window = var.preferred_maintenance_window
  copy_tags_to_snapshot        = true

  deletion_protection = var.deletion_protection
  # A protected cluster keeps a final snapshot; an unprotected one is disposable by choice.
  skip_final_snapshot       = !var.deletion_protection
  final_snapshot_identifier = var.deletion_protection ? "${var.name}-final" : null

  enabled_cloudwatch_logs_exports = ["postgresql"]
  apply_immediately               = var.apply_immediately

  # Aurora Serverless v2 (db.serverless instances): every instance scales within this range.
  dynamic "serverlessv2_scaling_configuration" {
    for_each = var.serverless == null ? [] : [var.serverless]
    content {
      min_capacity             = serverlessv2_scaling_configuration.value.min_acu
      max_capacity             = serverlessv2_scaling_configuration.value.max_acu
      seconds_until_auto_pause = serverlessv2_scaling_configuration.value.min_acu == 0 ? serverlessv2_scaling_configuration.value.seconds_until_auto_pause : null
    }
  }

  tags = merge(var.tags, { Name = var.name })

  lifecycle {
    # engine_version is the version the cluster is created at. After that, RDS's automatic minor
    # upgrades own the minor version (auto_minor_version_upgrade on the instances): without this, the
    # plan after an upgrade to 16.8 "upgrades" back to 16.6, which RDS refuses
    # (InvalidParameterCombination), and provider 5.100 does not suppress that diff.
    ignore_changes = [engine_version]

    # The major version stays the one tiers.yaml names: a major upgrade is a deliberate procedure
    # (a snapshot, then allow_major_version_upgrade or a blue/green deployment), never a side effect.
    postcondition {
      condition     = split(".", self.engine_version_actual)[0] == local.major_version
      error_message = "The cluster ${self.cluster_identifier} runs Aurora PostgreSQL ${self.engine_version_actual}, but tiers.yaml names major ${local.major_version}. Minor versions follow RDS's automatic upgrades; a major upgrade is done on purpose (snapshot, then a blue/green deployment or allow_major_version_upgrade), not by editing engine_version."
    }
  }

  depends_on = [aws_cloudwatch_log_group.this]
}

resource "aws_rds_cluster_instance" "this" {
  count = var.instance_count

  identifier         = "${var.name}-${count.index + 1}"
  cluster_identifier = aws_rds_cluster.this.id
  # One instance per AZ, in the subnets' order: the writer and each reader in a different zone, so a
  # zone's outage leaves a reader to fail over to (RDS alone may put two in one zone).
  availability_zone = var.availability_zones[count.index % length(var.availability_zones)]
  engine            = aws_rds_cluster.this.engine
  engine_version    = aws_rds_cluster.this.engine_version
  instance_class    = var.instance_class

  db_subnet_group_name    = aws_db_subnet_group.this.name
  db_parameter_group_name = aws_db_parameter_group.this.name
  publicly_accessible     = false

  performance_insights_enabled          = var.performance_insights_enabled
  performance_insights_kms_key_id       = var.performance_insights_enabled ? var.kms_key_arn : null
  performance_insights_retention_period = var.performance_insights_enabled ? 7 : null

  monitoring_interval = var.monitoring_interval
  monitoring_role_arn = local.enhanced_monitoring ? aws_iam_role.monitoring[0].arn : null

  auto_minor_version_upgrade = true
  copy_tags_to_snapshot      = true
  apply_immediately          = var.apply_immediately

  tags = merge(var.tags, { Name = "${var.name}-${count.index + 1}" })

  lifecycle {
    ignore_changes = [engine_version] # the cluster's, upgraded by RDS (see aws_rds_cluster.this)
  }

  # RDS checks that it can assume the role when the instance is created.
  depends_on = [aws_iam_role_policy_attachment.monitoring]
}
