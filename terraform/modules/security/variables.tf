variable "name" {
  description = "Name prefix, e.g. \"rupaya-dev\": the key alias is alias/<name>, the JWT secret <name>/jwt."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 characters of lowercase letters, digits and hyphens, start with a letter and not end with a hyphen."
  }
}

variable "kms_multi_region" {
  description = "Create the KMS key as a multi-Region primary key (replicas can then be made in other Regions for DR)."
  type        = bool
  default     = false
}

variable "kms_deletion_window_days" {
  description = "Waiting period, in days, before a scheduled KMS key deletion completes (7-30)."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_days >= 7 && var.kms_deletion_window_days <= 30 && floor(var.kms_deletion_window_days) == var.kms_deletion_window_days
    error_message = "kms_deletion_window_days must be a whole number from 7 to 30."
  }
}

variable "secret_recovery_window_days" {
  description = "Days Secrets Manager keeps a deleted secret recoverable: 0 deletes at once (only for throw-away environments), otherwise 7-30."
  type        = number
  default     = 30

  validation {
    condition     = var.secret_recovery_window_days == 0 || (var.secret_recovery_window_days >= 7 && var.secret_recovery_window_days <= 30 && floor(var.secret_recovery_window_days) == var.secret_recovery_window_days)
    error_message = "secret_recovery_window_days must be 0 or a whole number from 7 to 30."
  }
}

variable "key_administrator_arns" {
  description = "IAM principals that administer the KMS key (never use it): the role that applies this stack, plus any break-glass administrator. KMS refuses a key policy that locks out the role creating it."
  type        = list(string)

  validation {
    condition     = length(var.key_administrator_arns) >= 1 && alltrue([for a in var.key_administrator_arns : can(regex("^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:(role|user)/.+$", a))])
    error_message = "key_administrator_arns must hold at least one IAM role or user ARN (not the account root)."
  }
}

variable "key_user_arns" {
  description = "IAM roles that encrypt and decrypt with the key, and may create grants for AWS resources: the deploy role and the env's workload roles."
  type        = list(string)

  validation {
    condition     = length(var.key_user_arns) >= 1
    error_message = "key_user_arns must name at least one role."
  }
}

variable "key_reader_arns" {
  description = "IAM roles that may read the key's configuration (DescribeKey, GetKeyPolicy, rotation status, tags) and nothing else: the env's read-only plan role, whose refresh of the key needs it."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
