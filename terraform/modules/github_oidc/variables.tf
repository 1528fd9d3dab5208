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

variable "environments" {
  description = "GitHub environment names; one role per environment, assumable only by jobs that run in that environment."
  type        = list(string)

  validation {
    condition     = length(var.environments) >= 1 && length(distinct(var.environments)) == length(var.environments)
    error_message = "environments must list at least one environment, each once."
  }

  validation {
    condition     = alltrue([for e in var.environments : can(regex("^[A-Za-z0-9._-]{1,40}$", e))])
    error_message = "Each environment must be 1-40 letters, digits, dots, hyphens or underscores (no wildcards)."
  }
}

variable "role_name_prefix" {
  description = "Role names are <role_name_prefix>-<environment>, e.g. \"rupaya-deploy\" -> rupaya-deploy-dev."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,23}$", var.role_name_prefix))
    error_message = "role_name_prefix must be 1-23 characters valid in IAM role names (letters, digits, +=,.@_-), leaving room for -<environment> within 64."
  }
}

variable "managed_policy_arns" {
  description = "ARNs of managed IAM policies attached to every role."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.managed_policy_arns : can(regex("^arn:aws[a-zA-Z-]*:iam::(aws|[0-9]{12}):policy/.+$", a))])
    error_message = "managed_policy_arns must hold IAM policy ARNs (arn:aws:iam::aws:policy/... or arn:aws:iam::<account>:policy/...)."
  }

  validation {
    condition     = !contains([for a in var.managed_policy_arns : split(":", a)[5] if can(split(":", a)[5])], "policy/AdministratorAccess")
    error_message = "AdministratorAccess must not be attached to a CI role: attach PowerUserAccess plus a scoped IAM policy instead."
  }
}

variable "inline_policy_json" {
  description = "Inline policy for the roles: one JSON document for every role, or a map of environment -> JSON document (environments without an entry get none). null = no inline policy. Whether it is a string or a map, and the map's keys, must be known at plan time."
  type        = any
  default     = null

  validation {
    condition = (
      var.inline_policy_json == null ||
      can(jsondecode(var.inline_policy_json).Statement) ||
      try(alltrue([for env, doc in var.inline_policy_json : can(jsondecode(doc).Statement)]), false)
    )
    error_message = "inline_policy_json must be null, a JSON policy document (with a Statement), or a map of environment -> JSON policy document."
  }

  validation {
    condition     = try(alltrue([for env in keys(var.inline_policy_json) : contains(var.environments, env)]), true)
    error_message = "Every key of an inline_policy_json map must be one of the environments."
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

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
