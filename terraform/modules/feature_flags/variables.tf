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

variable "tags" {
  description = "Tags for every taggable resource."
  type        = map(string)
  default     = {}
}
