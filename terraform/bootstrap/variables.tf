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
  description = "Environments of this account: each gets a deploy role, a plan role, a permissions boundary and a state prefix envs/<env>/ (also the GitHub environment names; each must be a tier of terraform/tiers.yaml). One account per environment is the recommended layout: apply bootstrap once per account with that account's environment."
  type        = list(string)

  validation {
    condition     = length(var.environments) >= 1 && alltrue([for e in var.environments : can(regex("^[a-z][a-z0-9-]{0,15}$", e))])
    error_message = "environments must be 1-16 character lowercase names."
  }
}

variable "state_bucket_name" {
  description = "Name of the S3 bucket for Terraform state (globally unique); null means \"<project>-terraform-state-<account ID>\"."
  type        = string
  default     = null

  validation {
    condition     = var.state_bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.state_bucket_name)) && !can(regex("\\.\\.|^\\d+\\.\\d+\\.\\d+\\.\\d+$|^xn--|-s3alias$", var.state_bucket_name))
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

variable "deploy_workflows" {
  description = "Workflow files whose jobs may assume a deploy role (the job_workflow_ref of the OIDC token): the reusable deploy pipeline and image build, and the manual feature-flag and OIDC-test workflows."
  type        = list(string)
  default     = ["deploy-pipeline.yml", "build-image.yml", "15-feature-flags.yml", "00-test-oidc.yml"]

  validation {
    condition     = length(var.deploy_workflows) >= 1 && alltrue([for w in var.deploy_workflows : can(regex("^[A-Za-z0-9._-]+\\.ya?ml$", w))])
    error_message = "deploy_workflows must name workflow files of .github/workflows (e.g. deploy-pipeline.yml), no paths or wildcards."
  }
}

variable "plan_workflow" {
  description = "The workflow file whose jobs may assume the read-only plan roles, from pull requests included."
  type        = string
  default     = "deploy-pipeline.yml"

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]+\\.ya?ml$", var.plan_workflow))
    error_message = "plan_workflow must name a workflow file of .github/workflows."
  }
}

variable "key_administrators" {
  description = "IAM principal ARNs that administer the state key besides whoever applies bootstrap (a break-glass role, say). The key policy names no one else: KMS keys never delegate to the account root here."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.key_administrators : can(regex("^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:(role|user)/.+$", a))])
    error_message = "key_administrators must hold IAM role or user ARNs."
  }
}
