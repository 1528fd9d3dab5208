variable "project" {
  description = "Project name; every resource name starts with \"<project>-<environment>\"."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.project))
    error_message = "project must be 2-21 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "environment" {
  description = "Environment (tier) name, a key of terraform/tiers.yaml."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,15}$", var.environment))
    error_message = "environment must be 2-16 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "tier" {
  description = "This environment's entry of terraform/tiers.yaml. Only the attributes the module uses are typed; the policy-only ones (allowed classes, budget, delivery) are dropped by the conversion. The infra CLI checks the whole file against its JSON schema first."
  type = object({
    network = object({
      cidr         = string
      az_count     = number
      nat_gateways = string
    })
    database = object({
      engine_version        = string
      instance_class        = string
      instances             = number
      backup_retention_days = number
      deletion_protection   = bool
      performance_insights  = bool
      serverless = optional(object({
        min_acu                  = number
        max_acu                  = number
        seconds_until_auto_pause = optional(number)
      }))
    })
    cache = object({
      engine_version     = string
      node_type          = string
      cluster_mode       = bool
      shards             = number
      replicas_per_shard = number
      multi_az           = bool
    })
    service = object({
      cpu                = number
      memory             = number
      min_tasks          = number
      max_tasks          = number
      cpu_target_percent = number
      cpu_architecture   = string
      fargate_spot = optional(object({
        on_demand_base = number
      }))
    })
    load_balancer = object({
      https               = bool
      access_logs         = bool
      deletion_protection = bool
    })
    logs = object({
      retention_days = number
    })
    security = object({
      kms_multi_region            = bool
      secret_recovery_window_days = number
    })
    feature_flags = object({
      deployment_strategy = string
    })
    alarms = object({
      cpu_percent                = number
      memory_percent             = number
      unhealthy_hosts            = number
      http_5xx_per_5min          = number
      db_min_freeable_memory_mib = number
      db_max_connections         = number
      cache_evictions_per_5min   = number
      subscriber_required        = bool
    })
    # Never in tiers.yaml: only infra's teardown override (never committed) sets it.
    teardown = optional(object({
      ecr_force_delete = optional(bool, false)
    }), {})
  })
}

variable "policy" {
  description = "The policy section of terraform/tiers.yaml; Terraform enforces the parts it can (TLS policies, reserved domains)."
  type = object({
    tls_policies     = list(string)
    reserved_domains = list(string)
  })
}

variable "region" {
  description = "AWS region the stack runs in."
  type        = string
}

variable "ecr_repository_name" {
  description = "Name of the environment's ECR repository."
  type        = string
}

variable "container_image" {
  description = "Image of the first task-definition revision. Later revisions come from `infra deploy`, so changing this after the first apply has no effect on the running service. Null means \"<repository_url>:bootstrap\"."
  type        = string
  default     = null
}

variable "container_port" {
  description = "Port the application listens on inside the task."
  type        = number
  default     = 3000
}

variable "health_check_path" {
  description = "HTTP path the load balancer (and `infra health`) probe."
  type        = string
  default     = "/health"
}

# The operator's inputs. Which of them a tier requires is tier data (load_balancer.https,
# alarms.subscriber_required), so the checks below read the tier; `infra inputs` reports the same
# requirements in one line before any plan.

variable "domain_name" {
  description = "Public name of the API. With hosted_zone_id, it is pointed at the load balancer, and with HTTPS on and no certificate_arn, a certificate for it is requested and validated through DNS."
  type        = string
  default     = null

  validation {
    condition = var.domain_name == null || alltrue([
      for d in var.policy.reserved_domains : lower(coalesce(var.domain_name, "-")) != d && !endswith(lower(coalesce(var.domain_name, "-")), ".${d}")
    ])
    error_message = "domain_name ${coalesce(var.domain_name, "-")} is a reserved placeholder name (RFC 2606/6761: policy.reserved_domains in tiers.yaml); set your API's real domain."
  }
}

variable "hosted_zone_id" {
  description = "Route 53 hosted zone that holds domain_name: new certificates are validated through DNS there, and domain_name is pointed at the load balancer."
  type        = string
  default     = null
}

variable "certificate_arn" {
  description = "ARN of an issued ACM certificate for the HTTPS listener; wins over requesting one for domain_name."
  type        = string
  default     = null

  validation {
    condition     = !var.tier.load_balancer.https || var.certificate_arn != null || (var.domain_name != null && var.hosted_zone_id != null)
    error_message = "This tier serves HTTPS (load_balancer.https in tiers.yaml), so the listener needs a certificate: set domain_name and hosted_zone_id (a new certificate, validated through DNS in that zone), or certificate_arn (a certificate that is already issued)."
  }
}

variable "alarm_email" {
  description = "E-mail address subscribed to the alarm topic (the recipient must confirm it); null for none, which only tiers with alarms.subscriber_required = false allow."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_email != null || !var.tier.alarms.subscriber_required
    error_message = "This tier's alarms need a subscriber (alarms.subscriber_required in tiers.yaml): set alarm_email to an address that someone reads."
  }
  validation {
    condition = var.alarm_email == null || alltrue([
      for d in var.policy.reserved_domains : !endswith(lower(coalesce(var.alarm_email, "-")), "@${d}") && !endswith(lower(coalesce(var.alarm_email, "-")), ".${d}")
    ])
    error_message = "alarm_email ${coalesce(var.alarm_email, "-")} is at a reserved placeholder domain (RFC 2606/6761: policy.reserved_domains in tiers.yaml); nobody would receive the alarms."
  }
}

variable "excluded_zone_ids" {
  description = "Availability zone IDs (e.g. \"use1-az3\") the env never uses; the tier's az_count zones are the region's first default zones otherwise."
  type        = list(string)
  default     = []
}

variable "kms_key_administrators" {
  description = "IAM principals that administer the env's KMS key besides its deploy role (a break-glass role, say); whoever applies the env by hand must be one, or KMS refuses the key policy."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags added to every resource (the provider's default_tags add more)."
  type        = map(string)
  default     = {}
}
