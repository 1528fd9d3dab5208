variable "project" {
  description = "Project name; resource names start with \"<project>-<environment>\"."
  type        = string
}

variable "environment" {
  description = "Environment name: the key of this env in terraform/tiers.yaml."
  type        = string
}

variable "region" {
  description = "AWS region."
  type        = string
}

variable "ecr_repository_name" {
  description = "Name of this env's ECR repository."
  type        = string
}

variable "domain_name" {
  description = "Public name of the API (used for the ACM certificate when HTTPS is on)."
  type        = string
  default     = null
}

variable "certificate_arn" {
  description = "ARN of an issued ACM certificate for HTTPS; wins over domain_name."
  type        = string
  default     = null
}

variable "alarm_email" {
  description = "E-mail address subscribed to the alarm topic; null for none."
  type        = string
  default     = null
}

variable "kms_key_administrators" {
  description = "IAM role or user ARNs that administer the env's KMS key besides its deploy role (rupaya-deploy-<env>, made by terraform/bootstrap): a break-glass role, and whoever applies this root by hand."
  type        = list(string)
  default     = []
}

variable "aws_account_ids" {
  description = "The AWS account(s) this env lives in (one account per env is the recommended layout). Set, Terraform refuses to run with credentials of any other account; null checks nothing (the local emulator)."
  type        = list(string)
  default     = null

  validation {
    condition     = var.aws_account_ids == null || alltrue([for a in coalesce(var.aws_account_ids, []) : can(regex("^[0-9]{12}$", a))])
    error_message = "aws_account_ids must be 12-digit AWS account IDs."
  }
}
