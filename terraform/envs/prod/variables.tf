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

# The operator's inputs: no placeholders here or in terraform.tfvars. Which ones this env needs
# follows its tier in tiers.yaml; `infra inputs --env <env>` lists what is missing in one line.

variable "domain_name" {
  description = "Public name of the API (needed with hosted_zone_id when the tier serves HTTPS and certificate_arn is not set)."
  type        = string
  default     = null
}

variable "hosted_zone_id" {
  description = "Route 53 hosted zone ID that holds domain_name: the certificate is validated and the API's name published there."
  type        = string
  default     = null
}

variable "certificate_arn" {
  description = "ARN of an issued ACM certificate for HTTPS; wins over requesting one for domain_name."
  type        = string
  default     = null
}

variable "alarm_email" {
  description = "E-mail address subscribed to the alarm topic. Required: null (no subscriber) is accepted only where the tier allows it (alarms.subscriber_required)."
  type        = string
}

variable "excluded_zone_ids" {
  description = "Availability zone IDs (e.g. \"use1-az3\") this env never uses, such as a zone that lacks an instance class the tier needs. Zone IDs name the same zone in every account; zone names do not."
  type        = list(string)
  default     = []
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
