variable "name" {
  description = "Name prefix for every resource (e.g. \"rupaya-dev\"); also the ALB name."
  type        = string

  validation {
    # ALB and target-group names are capped at 32 chars ("<name>-tg"), and the log bucket
    # name must be lowercase.
    condition     = can(regex("^[a-z][a-z0-9-]{0,27}[a-z0-9]$", var.name)) && !strcontains(var.name, "--")
    error_message = "name must be 2-29 chars of lowercase letters, digits and single hyphens, start with a letter and not end with a hyphen."
  }
}

variable "vpc_id" {
  description = "VPC of the ALB and its target group; its CIDR bounds the ALB's egress."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must look like \"vpc-0123abcd\"."
  }
}

variable "public_subnet_ids" {
  description = "Public subnets for the internet-facing ALB; at least two, in different AZs."
  type        = list(string)

  validation {
    condition     = length(var.public_subnet_ids) >= 2 && alltrue([for s in var.public_subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "public_subnet_ids needs at least two IDs like \"subnet-0123abcd\" (an ALB spans two AZs or more)."
  }
}

variable "https_enabled" {
  description = "Serve HTTPS on 443 and make port 80 only redirect to it. Turning it off serves plain HTTP on 80 (non-prod only)."
  type        = bool
  default     = true

  validation {
    condition     = !var.https_enabled || var.certificate_arn != null || (var.domain_name != null && var.hosted_zone_id != null)
    error_message = "https_enabled = true needs certificate_arn (an issued ACM certificate), or domain_name and hosted_zone_id (a new certificate validated through DNS in that Route 53 zone)."
  }
}

variable "hosted_zone_id" {
  description = "Route 53 hosted zone that holds domain_name: a new certificate is validated through DNS there, and domain_name is pointed at the load balancer. null = no DNS records (then HTTPS needs certificate_arn)."
  type        = string
  default     = null

  validation {
    condition     = var.hosted_zone_id == null || can(regex("^[A-Z0-9]{1,32}$", var.hosted_zone_id))
    error_message = "hosted_zone_id must be a Route 53 hosted zone ID such as \"Z0123456789ABCDEFGHIJ\" (the ID alone, without \"/hostedzone/\")."
  }
}

variable "domain_name" {
  description = "Domain for a new DNS-validated ACM certificate, used when https_enabled and certificate_arn is null."
  type        = string
  default     = null

  validation {
    condition     = var.domain_name == null || can(regex("^(\\*\\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.domain_name))
    error_message = "domain_name must be a lowercase DNS name such as \"api.example.com\"."
  }
}

variable "certificate_arn" {
  description = "Existing ACM certificate ARN for the HTTPS listener. null = request one for domain_name."
  type        = string
  default     = null

  validation {
    condition     = var.certificate_arn == null || can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/.+$", var.certificate_arn))
    error_message = "certificate_arn must be an ACM certificate ARN."
  }
}

variable "ssl_policy" {
  description = "TLS policy of the HTTPS listener."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"

  validation {
    condition     = var.allowed_ssl_policies == null || contains(coalesce(var.allowed_ssl_policies, []), var.ssl_policy)
    error_message = "ssl_policy must be one of allowed_ssl_policies (the TLS 1.2+ policies of the caller's policy)."
  }
}

variable "allowed_ssl_policies" {
  description = "TLS policies the caller's policy allows (the platform passes tiers.yaml's policy.tls_policies); null allows any."
  type        = list(string)
  default     = null
}

variable "access_logs_enabled" {
  description = "Write ALB access logs to a new S3 bucket."
  type        = bool
  default     = true
}

variable "access_logs_expiration_days" {
  description = "Days after which access-log objects (current and noncurrent versions) expire."
  type        = number
  default     = 90

  validation {
    condition     = var.access_logs_expiration_days >= 1 && floor(var.access_logs_expiration_days) == var.access_logs_expiration_days
    error_message = "access_logs_expiration_days must be a whole number >= 1."
  }
}

variable "access_logs_force_destroy" {
  description = "Let destroy delete the access-log bucket with its objects. Off by default so logs outlive a mistaken destroy."
  type        = bool
  default     = false
}

variable "target_port" {
  description = "Port the targets (Fargate tasks) listen on."
  type        = number
  default     = 3000

  validation {
    condition     = var.target_port >= 1 && var.target_port <= 65535 && floor(var.target_port) == var.target_port
    error_message = "target_port must be a whole number from 1 to 65535."
  }
}

variable "health_check_path" {
  description = "HTTP path the target group probes."
  type        = string
  default     = "/health"

  validation {
    condition     = startswith(var.health_check_path, "/") && length(var.health_check_path) <= 1024
    error_message = "health_check_path must start with \"/\" and be at most 1024 chars."
  }
}

variable "health_check_matcher" {
  description = "HTTP codes that count as healthy (e.g. \"200\" or \"200-299\")."
  type        = string
  default     = "200"

  validation {
    condition     = can(regex("^[1-5][0-9]{2}((-|,)[1-5][0-9]{2})*$", var.health_check_matcher))
    error_message = "health_check_matcher must look like \"200\", \"200,204\" or \"200-299\"."
  }
}

variable "deregistration_delay" {
  description = "Seconds the target group drains a deregistering task."
  type        = number
  default     = 30

  validation {
    condition     = var.deregistration_delay >= 0 && var.deregistration_delay <= 3600
    error_message = "deregistration_delay must be from 0 to 3600 seconds."
  }
}

variable "idle_timeout" {
  description = "ALB idle connection timeout in seconds."
  type        = number
  default     = 60

  validation {
    condition     = var.idle_timeout >= 1 && var.idle_timeout <= 4000
    error_message = "idle_timeout must be from 1 to 4000 seconds."
  }
}

variable "deletion_protection" {
  description = "Protect the ALB from deletion."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}
