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
  description = "This environment's entry of terraform/tiers.yaml (network, database, cache, service, load_balancer, logs, security, feature_flags, alarms). The infra CLI checks the file against its JSON schema."
  type        = any

  validation {
    condition = alltrue([
      for key in ["network", "database", "cache", "service", "load_balancer", "logs", "security", "feature_flags", "alarms"] : can(var.tier[key])
    ])
    error_message = "tier must have the sections network, database, cache, service, load_balancer, logs, security, feature_flags and alarms."
  }
}

variable "policy" {
  description = "The policy section of terraform/tiers.yaml; Terraform enforces the parts it can (TLS policies)."
  type = object({
    tls_policies = list(string)
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

variable "domain_name" {
  description = "Public name of the API; with HTTPS on and no certificate_arn, an ACM certificate is requested for it."
  type        = string
  default     = null
}

variable "certificate_arn" {
  description = "ARN of an issued ACM certificate for the HTTPS listener; wins over domain_name."
  type        = string
  default     = null
}

variable "alarm_email" {
  description = "E-mail address subscribed to the alarm topic; null for none."
  type        = string
  default     = null
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
