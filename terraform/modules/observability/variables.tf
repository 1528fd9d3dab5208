variable "name" {
  description = "Name prefix, e.g. \"rupaya-dev\": the app log group is /ecs/<name>, the topic <name>-alarms."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 characters of lowercase letters, digits and hyphens, start with a letter and not end with a hyphen."
  }
}

variable "retention_days" {
  description = "Retention in days of the application log group (a value CloudWatch Logs accepts)."
  type        = number

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.retention_days)
    error_message = "retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "kms_key_arn" {
  description = "ARN of the customer-managed KMS key for the log group and the SNS topic (its key policy must allow CloudWatch Logs and cloudwatch.amazonaws.com)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "ecs_cluster_name" {
  description = "Name of the ECS cluster whose service is watched (ClusterName dimension)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,255}$", var.ecs_cluster_name))
    error_message = "ecs_cluster_name must be 1-255 letters, digits, hyphens or underscores."
  }
}

variable "ecs_service_name" {
  description = "Name of the ECS service that is watched (ServiceName dimension)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,255}$", var.ecs_service_name))
    error_message = "ecs_service_name must be 1-255 letters, digits, hyphens or underscores."
  }
}

variable "alb_arn_suffix" {
  description = "ARN suffix of the ALB (app/<name>/<id>), the LoadBalancer dimension."
  type        = string

  validation {
    condition     = can(regex("^app/[A-Za-z0-9-]+/[0-9a-f]+$", var.alb_arn_suffix))
    error_message = "alb_arn_suffix must look like app/<name>/<id> (the load_balancer module's alb_arn_suffix output)."
  }
}

variable "target_group_arn_suffix" {
  description = "ARN suffix of the target group (targetgroup/<name>/<id>), the TargetGroup dimension."
  type        = string

  validation {
    condition     = can(regex("^targetgroup/[A-Za-z0-9-]+/[0-9a-f]+$", var.target_group_arn_suffix))
    error_message = "target_group_arn_suffix must look like targetgroup/<name>/<id> (the load_balancer module's target_group_arn_suffix output)."
  }
}

variable "cpu_percent" {
  description = "Alarm when the service's average CPU utilisation stays above this percentage."
  type        = number
  default     = 80

  validation {
    condition     = var.cpu_percent > 0 && var.cpu_percent <= 100
    error_message = "cpu_percent must be greater than 0 and at most 100."
  }
}

variable "memory_percent" {
  description = "Alarm when the service's average memory utilisation stays above this percentage."
  type        = number
  default     = 80

  validation {
    condition     = var.memory_percent > 0 && var.memory_percent <= 100
    error_message = "memory_percent must be greater than 0 and at most 100."
  }
}

variable "unhealthy_hosts" {
  description = "Alarm when at least this many targets are unhealthy."
  type        = number
  default     = 1

  validation {
    condition     = var.unhealthy_hosts >= 1 && floor(var.unhealthy_hosts) == var.unhealthy_hosts
    error_message = "unhealthy_hosts must be a whole number >= 1."
  }
}

variable "http_5xx_per_5min" {
  description = "Alarm when the targets return more than this many 5xx responses in 5 minutes."
  type        = number
  default     = 10

  validation {
    condition     = var.http_5xx_per_5min >= 1 && floor(var.http_5xx_per_5min) == var.http_5xx_per_5min
    error_message = "http_5xx_per_5min must be a whole number >= 1."
  }
}

variable "min_running_tasks" {
  description = "Alarm when the service runs fewer tasks than this (the tier's min_tasks), from Container Insights' RunningTaskCount; no data counts as none running."
  type        = number

  validation {
    condition     = var.min_running_tasks >= 1 && floor(var.min_running_tasks) == var.min_running_tasks
    error_message = "min_running_tasks must be a whole number >= 1."
  }
}

variable "db_cluster_identifier" {
  description = "Aurora cluster whose CPU, freeable memory and connections are watched (DBClusterIdentifier dimension)."
  type        = string
}

variable "db_min_freeable_memory_mib" {
  description = "Alarm when an Aurora instance's freeable memory falls below this many MiB."
  type        = number

  validation {
    condition     = var.db_min_freeable_memory_mib >= 1
    error_message = "db_min_freeable_memory_mib must be at least 1."
  }
}

variable "db_max_connections" {
  description = "Alarm when an Aurora instance holds more than this many connections (set below the class's max_connections)."
  type        = number

  validation {
    condition     = var.db_max_connections >= 1 && floor(var.db_max_connections) == var.db_max_connections
    error_message = "db_max_connections must be a whole number >= 1."
  }
}

variable "cache_node_ids" {
  description = "IDs of the Redis nodes (the cache module's node_ids); each cache alarm watches the worst node."
  type        = list(string)

  validation {
    # A metric-math alarm takes at most 10 metrics: the nodes and the MAX expression.
    condition     = length(var.cache_node_ids) >= 1 && length(var.cache_node_ids) <= 9
    error_message = "cache_node_ids must name 1 to 9 nodes (a metric-math alarm takes at most 10 metrics)."
  }
}

variable "cache_evictions_per_5min" {
  description = "Alarm when Redis evicts more than this many keys in 5 minutes on any node (evictions mean the working set no longer fits)."
  type        = number

  validation {
    condition     = var.cache_evictions_per_5min >= 0 && floor(var.cache_evictions_per_5min) == var.cache_evictions_per_5min
    error_message = "cache_evictions_per_5min must be a whole number >= 0."
  }
}

variable "evaluation_periods" {
  description = "Consecutive periods (5 minutes each for CPU/memory, 1 minute for unhealthy hosts) a breach must last before CPU, memory and unhealthy-host alarms fire."
  type        = number
  default     = 2

  validation {
    condition     = var.evaluation_periods >= 1 && var.evaluation_periods <= 10 && floor(var.evaluation_periods) == var.evaluation_periods
    error_message = "evaluation_periods must be a whole number from 1 to 10."
  }
}

variable "alarm_email" {
  description = "E-mail address subscribed to the alarm topic (the recipient must confirm it). null = no subscription."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_email == null || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alarm_email))
    error_message = "alarm_email must be an e-mail address or null."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
