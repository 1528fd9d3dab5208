variable "name" {
  description = "Name prefix (<project>-<environment>); the AppConfig application is named after it."
  type        = string
}

variable "environment" {
  description = "Environment name; the AppConfig environment inside the application is named after it."
  type        = string
}

variable "kms_key_arn" {
  description = "ARN of the customer-managed KMS key that encrypts the hosted flag documents."
  type        = string
}

variable "deployment_strategy_id" {
  description = "AppConfig deployment strategy for flag changes: one of AWS's predefined AppConfig.* strategies."
  type        = string
  default     = "AppConfig.AllAtOnce"

  validation {
    condition     = can(regex("^AppConfig\\.[A-Za-z0-9]+$", var.deployment_strategy_id))
    error_message = "deployment_strategy_id must name a predefined AppConfig strategy, e.g. AppConfig.AllAtOnce."
  }
}

variable "alarm_arns" {
  description = "CloudWatch alarms AppConfig watches during a flag deployment and its bake time; one in ALARM rolls the deployment back (at most 5)."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.alarm_arns) <= 5
    error_message = "AppConfig takes at most 5 monitors per environment."
  }
}

variable "permissions_boundary" {
  description = "ARN of the permissions boundary set on the monitor role (the deploy role may only create roles that carry it)."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every taggable resource."
  type        = map(string)
  default     = {}
}
