variable "name" {
  description = "Name prefix for every resource (e.g. \"rupaya-dev\"); also the cluster identifier."
  type        = string

  validation {
    # RDS identifiers: lowercase letters, digits and single hyphens, starting with a letter;
    # kept short so "<name>-<n>" instance ids and parameter-group names stay within limits.
    condition     = can(regex("^[a-z][a-z0-9-]{0,38}[a-z0-9]$", var.name)) && !strcontains(var.name, "--")
    error_message = "name must be 2-40 chars of lowercase letters, digits and single hyphens, start with a letter and not end with a hyphen."
  }
}

variable "engine_version" {
  description = "Aurora PostgreSQL version the cluster is created at, as MAJOR.MINOR (e.g. \"16.6\"). The major is pinned (the parameter-group family is derived from it); the minor then follows RDS's automatic minor upgrades and is never planned back."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{2}\\.[0-9]+$", var.engine_version)) && try(tonumber(split(".", var.engine_version)[0]) >= 11, false)
    error_message = "engine_version must look like \"16.6\" (Aurora PostgreSQL major 11 or later)."
  }
}

variable "availability_zones" {
  description = "Availability zones of the database subnets, in order; instance N goes to zone N (modulo their number)."
  type        = list(string)

  validation {
    condition     = length(var.availability_zones) >= 2
    error_message = "availability_zones must name at least two zones (an Aurora subnet group spans two or more)."
  }
}

variable "instance_class" {
  description = "DB instance class for every cluster instance (from tiers.yaml, e.g. \"db.t3.medium\" or \"db.r6g.large\")."
  type        = string

  validation {
    condition     = startswith(var.instance_class, "db.")
    error_message = "instance_class must start with \"db.\" (e.g. db.t3.medium, db.r6g.large)."
  }

  validation {
    # Aurora PostgreSQL never offers these; AWS would only reject them at create time.
    condition     = !contains(["db.t3.micro", "db.t3.small", "db.t4g.micro", "db.t4g.small"], var.instance_class) && !startswith(var.instance_class, "db.t2.")
    error_message = "Aurora PostgreSQL does not offer db.t2.*, db.t3.micro/small or db.t4g.micro/small; the nearest valid classes are db.t3.medium and db.t4g.medium."
  }
}

variable "serverless" {
  description = "Aurora Serverless v2 scaling of every instance, with instance_class \"db.serverless\": ACUs from min_acu to max_acu; with min_acu = 0 an instance pauses after seconds_until_auto_pause with no connection (Aurora PostgreSQL 13.15, 14.12, 15.7, 16.3 and later). null for provisioned classes."
  type = object({
    min_acu                  = number
    max_acu                  = number
    seconds_until_auto_pause = optional(number)
  })
  default = null

  validation {
    condition     = (var.serverless == null) == (var.instance_class != "db.serverless")
    error_message = "serverless {min_acu, max_acu} goes with instance_class = \"db.serverless\", and only with it."
  }

  validation {
    condition = var.serverless == null || try(
      var.serverless.min_acu >= 0 && var.serverless.max_acu >= 1 && var.serverless.max_acu <= 256 &&
      var.serverless.min_acu <= var.serverless.max_acu &&
      floor(var.serverless.min_acu * 2) == var.serverless.min_acu * 2 && floor(var.serverless.max_acu * 2) == var.serverless.max_acu * 2,
    false)
    error_message = "serverless: min_acu from 0 and max_acu from 1 up to 256, in steps of 0.5, with min_acu <= max_acu."
  }

  validation {
    # AWS: only a 0-ACU minimum pauses, after 300 s to 86,400 s idle.
    condition = var.serverless == null || try(var.serverless.seconds_until_auto_pause == null, true) || try(
      var.serverless.min_acu == 0 && var.serverless.seconds_until_auto_pause >= 300 && var.serverless.seconds_until_auto_pause <= 86400,
    false)
    error_message = "serverless.seconds_until_auto_pause needs min_acu = 0 and is from 300 to 86400 seconds."
  }
}

variable "instance_count" {
  description = "Number of cluster instances: 1 writer plus (instance_count - 1) readers."
  type        = number

  validation {
    condition     = var.instance_count >= 1 && var.instance_count <= 16 && floor(var.instance_count) == var.instance_count
    error_message = "instance_count must be a whole number from 1 to 16 (Aurora allows 1 writer + 15 readers)."
  }
}

variable "vpc_id" {
  description = "VPC that holds the database security group."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must look like \"vpc-0123abcd\"."
  }
}

variable "subnet_ids" {
  description = "Private (database) subnets for the DB subnet group; at least two, in different AZs."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2 && alltrue([for s in var.subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "subnet_ids needs at least two IDs like \"subnet-0123abcd\" (RDS requires subnets in two AZs)."
  }
}

variable "allowed_security_group_ids" {
  description = "Security groups (e.g. the ECS service's) allowed to reach PostgreSQL on 5432. Nothing else is."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for s in var.allowed_security_group_ids : can(regex("^sg-[0-9a-f]+$", s))])
    error_message = "allowed_security_group_ids must contain IDs like \"sg-0123abcd\"."
  }
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key ARN for storage, the master-user secret, Performance Insights and the log group."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "backup_retention_days" {
  description = "Days of automated backups to keep (1-35)."
  type        = number
  default     = 7

  validation {
    condition     = var.backup_retention_days >= 1 && var.backup_retention_days <= 35 && floor(var.backup_retention_days) == var.backup_retention_days
    error_message = "backup_retention_days must be a whole number from 1 to 35."
  }
}

variable "deletion_protection" {
  description = "Protect the cluster from deletion. When true a final snapshot is also taken on destroy; turn off only for throwaway tiers."
  type        = bool
  default     = true
}

variable "performance_insights_enabled" {
  description = "Enable Performance Insights (KMS-encrypted, 7-day free retention) on every instance."
  type        = bool
  default     = true
}

variable "monitoring_interval" {
  description = "Enhanced Monitoring interval in seconds (OS metrics per instance, via a role this module creates); 0 turns it off."
  type        = number
  default     = 60

  validation {
    condition     = contains([0, 1, 5, 10, 15, 30, 60], var.monitoring_interval)
    error_message = "monitoring_interval must be 0 (off), 1, 5, 10, 15, 30 or 60."
  }
}

variable "log_statement" {
  description = "Which statements PostgreSQL logs (log_statement): none, ddl (schema changes, the default), mod or all."
  type        = string
  default     = "ddl"

  validation {
    condition     = contains(["none", "ddl", "mod", "all"], var.log_statement)
    error_message = "log_statement must be none, ddl, mod or all."
  }
}

variable "log_min_duration_ms" {
  description = "Log every statement that runs at least this many milliseconds (log_min_duration_statement); -1 turns it off."
  type        = number
  default     = 1000

  validation {
    condition     = var.log_min_duration_ms >= -1 && floor(var.log_min_duration_ms) == var.log_min_duration_ms
    error_message = "log_min_duration_ms must be a whole number of milliseconds, or -1."
  }
}

variable "database_name" {
  description = "Name of the database created in the cluster."
  type        = string
  default     = "app"

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9_]{0,62}$", var.database_name))
    error_message = "database_name must start with a letter and hold at most 63 letters, digits or underscores."
  }
}

variable "master_username" {
  description = "Master user name. Its password is generated and kept by RDS in Secrets Manager, never in Terraform."
  type        = string
  default     = "app_admin"

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9_]{0,62}$", var.master_username)) && !contains(["rdsadmin", "rdsrepladmin", "rds_superuser"], lower(var.master_username))
    error_message = "master_username must start with a letter, hold at most 63 letters, digits or underscores, and not be an RDS-reserved name."
  }
}

variable "preferred_backup_window" {
  description = "Daily UTC window for automated backups, hh24:mi-hh24:mi."
  type        = string
  default     = "03:00-04:00"

  validation {
    condition     = can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$", var.preferred_backup_window))
    error_message = "preferred_backup_window must look like \"03:00-04:00\" (UTC)."
  }
}

variable "preferred_maintenance_window" {
  description = "Weekly UTC maintenance window, ddd:hh24:mi-ddd:hh24:mi; must not overlap the backup window."
  type        = string
  default     = "sun:05:00-sun:06:00"

  validation {
    condition     = can(regex("^(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]-(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]$", var.preferred_maintenance_window))
    error_message = "preferred_maintenance_window must look like \"sun:05:00-sun:06:00\" (UTC)."
  }
}

variable "apply_immediately" {
  description = "Apply modifications now instead of in the maintenance window. Keep false for prod."
  type        = bool
  default     = false
}

variable "create_cloudwatch_log_group" {
  description = "Create the /aws/rds/cluster/<name>/postgresql log group (KMS-encrypted, with retention) before RDS exports to it, instead of letting RDS create an unencrypted one that never expires."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  description = "Retention of the exported PostgreSQL log group, in days (a CloudWatch Logs allowed value)."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of CloudWatch Logs' allowed values (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)."
  }
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}

variable "permissions_boundary" {
  description = "ARN of the IAM policy every role of this module carries as its permissions boundary (the one a deploy role must set: see terraform/bootstrap); null for none."
  type        = string
  default     = null

  validation {
    condition     = var.permissions_boundary == null || can(regex("^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:policy/.+$", var.permissions_boundary))
    error_message = "permissions_boundary must be an IAM policy ARN."
  }
}
