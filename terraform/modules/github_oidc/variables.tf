variable "create_oidc_provider" {
  description = "Create the account's GitHub Actions OIDC provider. An account can hold only one per URL: set false and pass oidc_provider_arn when it already exists."
  type        = bool
  default     = true
}

variable "oidc_provider_arn" {
  description = "ARN of an existing token.actions.githubusercontent.com OIDC provider; used (and required) only when create_oidc_provider = false."
  type        = string
  default     = null

  validation {
    condition     = var.oidc_provider_arn == null || can(regex("^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:oidc-provider/token\\.actions\\.githubusercontent\\.com$", var.oidc_provider_arn))
    error_message = "oidc_provider_arn must be arn:aws:iam::<account>:oidc-provider/token.actions.githubusercontent.com."
  }

  validation {
    condition     = var.create_oidc_provider || var.oidc_provider_arn != null
    error_message = "oidc_provider_arn is required when create_oidc_provider = false."
  }
}

variable "oidc_thumbprints" {
  description = "Certificate thumbprints of token.actions.githubusercontent.com. AWS no longer checks them for GitHub (it trusts the IdP's CA), but the API and some emulators still expect at least one."
  type        = list(string)
  default = [
    "6938fd4d98bab03faadb97b34396831e3780aea1",
    "1c58a3a8518e8759bf075b76b750d4f2df264fcd",
  ]

  validation {
    condition     = length(var.oidc_thumbprints) >= 1 && length(var.oidc_thumbprints) <= 5 && alltrue([for t in var.oidc_thumbprints : can(regex("^[0-9a-fA-F]{40}$", t))])
    error_message = "oidc_thumbprints must hold 1-5 SHA-1 thumbprints of 40 hex characters."
  }
}

variable "github_repository" {
  description = "GitHub repository allowed to assume the roles, as \"<org>/<repo>\"."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$", var.github_repository))
    error_message = "github_repository must be \"<org>/<repo>\", e.g. \"rupaya/rupaya\" (no wildcards)."
  }
}

variable "roles" {
  description = "Roles to create, by name: the OIDC subjects (sub claims, StringLike) that may assume each, the subjects that may not (StringNotLike), and its permissions: an inline policy, managed policies and a permissions boundary. Subjects must start with repo:<github_repository>: and name a context (environment:<env>, pull_request or ref:<ref>)."
  type = map(object({
    description          = string
    subjects             = list(string)
    subjects_excluded    = optional(list(string), [])
    inline_policy        = string
    managed_policy_arns  = optional(list(string), [])
    permissions_boundary = optional(string)
    tags                 = optional(map(string), {})
  }))

  validation {
    condition     = length(var.roles) >= 1 && alltrue([for name in keys(var.roles) : can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", name))])
    error_message = "roles must hold at least one role, each named with 1-64 characters valid in IAM role names."
  }

  validation {
    condition = alltrue([
      for role in values(var.roles) : length(role.subjects) >= 1 && alltrue([
        for sub in role.subjects : startswith(sub, "repo:${var.github_repository}:") && can(regex("^repo:[^:]+:(environment:[^:*?]+|pull_request|ref:[^:]+)(:|$)", sub))
      ])
    ])
    error_message = "Every subject must start with repo:<github_repository>: followed by environment:<env> (no wildcards), pull_request or ref:<ref>."
  }

  validation {
    condition = alltrue([
      for role in values(var.roles) : alltrue([
        for arn in role.managed_policy_arns : can(regex("^arn:aws[a-zA-Z-]*:iam::(aws|[0-9]{12}):policy/.+$", arn)) && !endswith(arn, ":policy/AdministratorAccess")
      ])
    ])
    error_message = "managed_policy_arns must hold IAM policy ARNs, and never AdministratorAccess."
  }

  validation {
    condition     = alltrue([for role in values(var.roles) : can(jsondecode(role.inline_policy).Statement)])
    error_message = "inline_policy must be a JSON policy document with a Statement."
  }
}

variable "max_session_duration" {
  description = "Maximum session length of the roles, in seconds (3600-43200)."
  type        = number
  default     = 3600

  validation {
    condition     = var.max_session_duration >= 3600 && var.max_session_duration <= 43200 && floor(var.max_session_duration) == var.max_session_duration
    error_message = "max_session_duration must be a whole number of seconds from 3600 to 43200."
  }
}

variable "max_trust_policy_length" {
  description = "Longest trust policy (characters, minified) IAM accepts: 2,048 by default, 4,096 once the account's quota is raised."
  type        = number
  default     = 2048
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
