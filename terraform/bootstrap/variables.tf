variable "project" {
  description = "Project name; prefixes the env names (<project>-<env>) whose IAM roles the deploy roles may manage."
  type        = string
  default     = "rupaya"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.project))
    error_message = "project must be 2-21 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "region" {
  description = "AWS Region of the state bucket and of the environments."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS Region name such as us-east-1."
  }
}

variable "github_repository" {
  description = "GitHub repository whose Actions jobs may assume the deploy roles, as \"<org>/<repo>\"."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$", var.github_repository))
    error_message = "github_repository must be \"<org>/<repo>\"."
  }
}

variable "environments" {
  description = "Environments that get a deploy role and a state prefix envs/<env>/ (also the GitHub environment names)."
  type        = list(string)
  default     = ["dev", "staging", "prod"]

  validation {
    condition     = length(var.environments) >= 1 && alltrue([for e in var.environments : can(regex("^[a-z][a-z0-9-]{0,15}$", e))])
    error_message = "environments must be 1-16 character lowercase names."
  }
}

variable "state_bucket_name" {
  description = "Name of the S3 bucket for Terraform state (globally unique)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.state_bucket_name)) && !can(regex("\\.\\.|^\\d+\\.\\d+\\.\\d+\\.\\d+$|^xn--|-s3alias$", var.state_bucket_name))
    error_message = "state_bucket_name must be a valid S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)."
  }
}

variable "force_destroy" {
  description = "Allow terraform destroy to delete the state bucket with every state version in it. Only for throw-away accounts such as the local emulator."
  type        = bool
  default     = false
}

variable "noncurrent_version_expiration_days" {
  description = "Days a superseded state version is kept (how far back a state can be restored)."
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days
    error_message = "noncurrent_version_expiration_days must be a whole number >= 1."
  }
}

variable "kms_deletion_window_days" {
  description = "Waiting period before a scheduled deletion of the state KMS key completes (7-30 days)."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_days >= 7 && var.kms_deletion_window_days <= 30
    error_message = "kms_deletion_window_days must be from 7 to 30."
  }
}

variable "create_oidc_provider" {
  description = "Create the account's GitHub OIDC provider; false when one already exists (pass oidc_provider_arn)."
  type        = bool
  default     = true
}

variable "oidc_provider_arn" {
  description = "ARN of an existing GitHub OIDC provider, when create_oidc_provider = false."
  type        = string
  default     = null
}

variable "deploy_role_max_session_duration" {
  description = "Maximum session length of the deploy roles, in seconds; a prod apply that creates an Aurora cluster can take over an hour."
  type        = number
  default     = 7200
}
