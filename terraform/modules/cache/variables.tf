variable "name" {
  description = "Name prefix for every resource (e.g. \"rupaya-dev\"); also the replication group ID."
  type        = string

  validation {
    # Replication group IDs: at most 40 chars, lowercase letters, digits, single hyphens, letter first.
    condition     = can(regex("^[a-z][a-z0-9-]{0,38}[a-z0-9]$", var.name)) && !strcontains(var.name, "--")
    error_message = "name must be 2-40 chars of lowercase letters, digits and single hyphens, start with a letter and not end with a hyphen."
  }
}

variable "engine_version" {
  description = "Redis OSS engine version, 7.x (e.g. \"7.1\"); the parameter group family is redis7."
  type        = string

  validation {
    condition     = can(regex("^7\\.[0-9]+$", var.engine_version))
    error_message = "engine_version must be a Redis 7 version like \"7.1\" (the parameter group family is redis7)."
  }
}

variable "node_type" {
  description = "Cache node type (from tiers.yaml, e.g. \"cache.t3.micro\" or \"cache.r6g.xlarge\")."
  type        = string

  validation {
    condition     = can(regex("^cache\\.[a-z0-9]+\\.[a-z0-9]+$", var.node_type))
    error_message = "node_type must look like \"cache.t3.micro\"."
  }
}

variable "cluster_mode" {
  description = "Redis cluster mode (sharded, served through the configuration endpoint). false = one shard served through the primary endpoint."
  type        = bool
  default     = false
}

variable "shards" {
  description = "Number of shards (node groups). Must be 1 unless cluster_mode is true."
  type        = number
  default     = 1

  validation {
    condition     = var.shards >= 1 && var.shards <= 500 && floor(var.shards) == var.shards
    error_message = "shards must be a whole number from 1 to 500."
  }

  validation {
    condition     = var.cluster_mode || var.shards == 1
    error_message = "shards > 1 needs cluster_mode = true."
  }
}

variable "replicas_per_shard" {
  description = "Read replicas in each shard (0-5). 0 means a single node per shard."
  type        = number

  validation {
    condition     = var.replicas_per_shard >= 0 && var.replicas_per_shard <= 5 && floor(var.replicas_per_shard) == var.replicas_per_shard
    error_message = "replicas_per_shard must be a whole number from 0 to 5."
  }
}

variable "availability_zones" {
  description = "Availability zones of the cache subnets, in order: node N of a cluster-mode-disabled group goes to zone N (modulo their number)."
  type        = list(string)

  validation {
    condition     = length(var.availability_zones) >= 1
    error_message = "availability_zones must name at least one zone."
  }
}

variable "multi_az" {
  description = "Multi-AZ with automatic failover. Needs at least one replica per shard."
  type        = bool

  validation {
    # A failover target has to exist; AWS would only reject this at create time.
    condition     = !var.multi_az || var.replicas_per_shard >= 1
    error_message = "multi_az = true needs replicas_per_shard >= 1."
  }
}

variable "vpc_id" {
  description = "VPC that holds the cache security group."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must look like \"vpc-0123abcd\"."
  }
}

variable "subnet_ids" {
  description = "Private (database) subnets for the cache subnet group."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 1 && alltrue([for s in var.subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "subnet_ids needs at least one ID like \"subnet-0123abcd\"."
  }
}

variable "allowed_security_group_ids" {
  description = "Security groups (e.g. the ECS service's) allowed to reach Redis on 6379. Nothing else is."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for s in var.allowed_security_group_ids : can(regex("^sg-[0-9a-f]+$", s))])
    error_message = "allowed_security_group_ids must contain IDs like \"sg-0123abcd\"."
  }
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key ARN for at-rest encryption."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "app_access_string" {
  description = "Redis ACL of the application's IAM-authenticated user (keys, commands)."
  type        = string
  default     = "on ~* +@all -@dangerous"

  validation {
    condition     = startswith(var.app_access_string, "on ")
    error_message = "app_access_string must start with \"on \" (an ACL that enables the user)."
  }
}

variable "parameter_group_name" {
  description = "Use this existing parameter group (e.g. \"default.redis7.cluster.on\") instead of creating one. It must match cluster_mode (cluster-enabled yes/no). null = create \"<name>-redis7[-cluster]\"."
  type        = string
  default     = null

  validation {
    condition     = var.parameter_group_name == null || can(regex("^[a-zA-Z][a-zA-Z0-9.-]{0,254}$", var.parameter_group_name))
    error_message = "parameter_group_name must start with a letter and hold letters, digits, dots and hyphens."
  }
}

variable "snapshot_retention_days" {
  description = "Days of automatic snapshots to keep (0 turns them off)."
  type        = number
  default     = 7

  validation {
    condition     = var.snapshot_retention_days >= 0 && var.snapshot_retention_days <= 35 && floor(var.snapshot_retention_days) == var.snapshot_retention_days
    error_message = "snapshot_retention_days must be a whole number from 0 to 35."
  }
}

variable "snapshot_window" {
  description = "Daily UTC window for automatic snapshots, hh24:mi-hh24:mi."
  type        = string
  default     = "03:00-04:00"

  validation {
    condition     = can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$", var.snapshot_window))
    error_message = "snapshot_window must look like \"03:00-04:00\" (UTC)."
  }
}

variable "maintenance_window" {
  description = "Weekly UTC maintenance window, ddd:hh24:mi-ddd:hh24:mi; must not overlap the snapshot window."
  type        = string
  default     = "sun:05:00-sun:06:00"

  validation {
    condition     = can(regex("^(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]-(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]$", var.maintenance_window))
    error_message = "maintenance_window must look like \"sun:05:00-sun:06:00\" (UTC)."
  }
}

variable "apply_immediately" {
  description = "Apply modifications now instead of in the maintenance window. Fine for non-prod; keep false for prod."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}
