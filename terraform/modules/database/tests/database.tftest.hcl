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
}

variables {
  name                       = "rupaya-test"
  engine_version             = "16.6"
  instance_class             = "db.r6g.large"
  instance_count             = 3
  vpc_id                     = "vpc-0123456789abcdef0"
  subnet_ids                 = ["subnet-0000000000000000a", "subnet-0000000000000000b", "subnet-0000000000000000c"]
  availability_zones         = ["us-east-1a", "us-east-1b", "us-east-1c"]
  allowed_security_group_ids = ["sg-0000000000000000a", "sg-0000000000000000b"]
  kms_key_arn                = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  backup_retention_days      = 14
  tags                       = { Environment = "test" }
}

run "prod_like_cluster_is_encrypted_protected_and_private" {
  command = plan

  assert {
    condition     = [for i in aws_rds_cluster_instance.this : i.availability_zone] == ["us-east-1a", "us-east-1b", "us-east-1c"]
    error_message = "one instance per AZ: the writer and each reader in a different zone"
  }

  assert {
    condition     = aws_rds_cluster.this.engine == "aurora-postgresql" && aws_rds_cluster.this.engine_mode == "provisioned"
    error_message = "cluster must be provisioned Aurora PostgreSQL"
  }
  assert {
    condition     = aws_rds_cluster.this.storage_encrypted == true && aws_rds_cluster.this.kms_key_id == var.kms_key_arn
    error_message = "cluster has storage_encrypted = true with the customer-managed key"
  }
  assert {
    condition     = aws_rds_cluster.this.manage_master_user_password == true && aws_rds_cluster.this.master_user_secret_kms_key_id == var.kms_key_arn && aws_rds_cluster.this.master_password == null
    error_message = "master password is RDS-managed in Secrets Manager under the customer key, never set in Terraform"
  }
  assert {
    condition     = aws_rds_cluster.this.deletion_protection == true && aws_rds_cluster.this.skip_final_snapshot == false && aws_rds_cluster.this.final_snapshot_identifier == "rupaya-test-final"
    error_message = "deletion protection is on by default and a final snapshot is taken"
  }
  assert {
    condition     = aws_rds_cluster.this.backup_retention_period == 14 && aws_rds_cluster.this.copy_tags_to_snapshot == true
    error_message = "backup retention follows the input and snapshots carry tags"
  }
  assert {
    condition     = aws_rds_cluster.this.iam_database_authentication_enabled == true && tolist(aws_rds_cluster.this.enabled_cloudwatch_logs_exports) == tolist(["postgresql"])
    error_message = "IAM auth is on and the postgresql log is exported"
  }
  assert {
    condition     = length(aws_rds_cluster_instance.this) == 3 && alltrue([for i in aws_rds_cluster_instance.this : i.publicly_accessible == false && i.instance_class == "db.r6g.large" && i.auto_minor_version_upgrade == true])
    error_message = "3 private instances of the requested class"
  }
  assert {
    condition     = alltrue([for i in aws_rds_cluster_instance.this : i.performance_insights_enabled == true && i.performance_insights_kms_key_id == var.kms_key_arn && i.performance_insights_retention_period == 7])
    error_message = "Performance Insights is on, KMS-encrypted, 7-day retention"
  }
  assert {
    condition     = aws_rds_cluster_parameter_group.this.family == "aurora-postgresql16" && aws_db_parameter_group.this.family == "aurora-postgresql16"
    error_message = "parameter-group family is derived from the engine major version"
  }
  assert {
    condition     = anytrue([for p in aws_rds_cluster_parameter_group.this.parameter : p.name == "rds.force_ssl" && p.value == "1"])
    error_message = "cluster parameter group forces SSL"
  }
  assert {
    condition = (
      anytrue([for p in aws_rds_cluster_parameter_group.this.parameter : p.name == "log_statement" && p.value == "ddl"])
      && anytrue([for p in aws_rds_cluster_parameter_group.this.parameter : p.name == "log_min_duration_statement" && p.value == "1000"])
    )
    error_message = "query logging: DDL and statements of 1 s or more"
  }
  assert {
    condition     = alltrue([for i in aws_rds_cluster_instance.this : i.monitoring_interval == 60]) && length(aws_iam_role.monitoring) == 1
    error_message = "Enhanced Monitoring every 60 s, through the module's own role"
  }
  assert {
    condition = (
      jsondecode(aws_iam_role.monitoring[0].assume_role_policy).Statement[0].Principal.Service == "monitoring.rds.amazonaws.com"
      && endswith(aws_iam_role_policy_attachment.monitoring[0].policy_arn, ":iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole")
    )
    error_message = "the monitoring role is assumable by RDS monitoring only and has the AWS-managed monitoring policy"
  }
  assert {
    condition     = length(aws_vpc_security_group_ingress_rule.postgres) == 2 && alltrue([for r in aws_vpc_security_group_ingress_rule.postgres : r.from_port == 5432 && r.to_port == 5432 && r.cidr_ipv4 == null && r.cidr_ipv6 == null && r.referenced_security_group_id != null])
    error_message = "5432 ingress only from the allowed security groups, never from a CIDR"
  }
  assert {
    condition     = aws_cloudwatch_log_group.this[0].name == "/aws/rds/cluster/rupaya-test/postgresql" && aws_cloudwatch_log_group.this[0].kms_key_id == var.kms_key_arn
    error_message = "exported log group is pre-created with KMS"
  }
  assert {
    condition     = aws_rds_cluster.this.tags["Environment"] == "test" && aws_security_group.this.tags["Environment"] == "test"
    error_message = "tags are applied"
  }
}

run "dev_like_cluster_without_protection_skips_final_snapshot" {
  command = plan

  variables {
    engine_version               = "15.4"
    instance_class               = "db.t3.medium"
    instance_count               = 1
    backup_retention_days        = 1
    deletion_protection          = false
    performance_insights_enabled = false
    allowed_security_group_ids   = []
    monitoring_interval          = 0
  }

  assert {
    condition     = aws_rds_cluster_instance.this[0].monitoring_interval == 0 && length(aws_iam_role.monitoring) == 0 && length(aws_iam_role_policy_attachment.monitoring) == 0
    error_message = "monitoring_interval = 0 turns Enhanced Monitoring and its role off"
  }

  assert {
    condition     = aws_rds_cluster.this.skip_final_snapshot == true && aws_rds_cluster.this.final_snapshot_identifier == null && aws_rds_cluster.this.deletion_protection == false
    error_message = "without deletion protection no final snapshot is taken"
  }
  assert {
    condition     = length(aws_rds_cluster_instance.this) == 1 && aws_rds_cluster_instance.this[0].performance_insights_enabled == false
    error_message = "a single instance without Performance Insights"
  }
  assert {
    condition     = aws_rds_cluster_parameter_group.this.family == "aurora-postgresql15"
    error_message = "family follows the major version"
  }
  assert {
    condition     = length(aws_vpc_security_group_ingress_rule.postgres) == 0
    error_message = "no allowed groups means no ingress at all"
  }
  assert {
    condition     = aws_rds_cluster.this.storage_encrypted == true
    error_message = "encryption stays on in every tier"
  }
}

run "rejects_instance_class_aurora_never_offers" {
  command = plan

  variables {
    instance_class = "db.t3.micro"
  }

  expect_failures = [var.instance_class]
}

run "rejects_class_without_db_prefix" {
  command = plan

  variables {
    instance_class = "r6g.large"
  }

  expect_failures = [var.instance_class]
}

run "rejects_instance_count_out_of_range" {
  command = plan

  variables {
    instance_count = 17
  }

  expect_failures = [var.instance_count]
}

run "rejects_backup_retention_out_of_range" {
  command = plan

  variables {
    backup_retention_days = 0
  }

  expect_failures = [var.backup_retention_days]
}

run "rejects_non_kms_arn" {
  command = plan

  variables {
    kms_key_arn = "alias/rupaya"
  }

  expect_failures = [var.kms_key_arn]
}

run "rejects_engine_version_without_minor" {
  command = plan

  variables {
    engine_version = "16"
  }

  expect_failures = [var.engine_version]
}

run "rejects_unsupported_monitoring_interval" {
  command = plan

  variables {
    monitoring_interval = 45
  }

  expect_failures = [var.monitoring_interval]
}
