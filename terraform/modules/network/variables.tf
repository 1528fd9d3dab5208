variable "name" {
  description = "Name prefix for every resource, e.g. \"rupaya-dev\"."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 characters of lowercase letters, digits and hyphens, start with a letter and not end with a hyphen."
  }
}

variable "cidr" {
  description = "IPv4 CIDR block of the VPC; a /16 to /20 (the subnet layout needs room for 6 AZs x 3 tiers)."
  type        = string

  validation {
    condition     = can(cidrnetmask(var.cidr)) && can(regex("/(1[6-9]|20)$", var.cidr)) && try(cidrhost(var.cidr, 0) == split("/", var.cidr)[0], false)
    error_message = "cidr must be a valid network address (host bits zero) with a prefix length from /16 to /20, e.g. \"10.10.0.0/16\"."
  }
}

variable "az_count" {
  description = "Number of availability zones to spread the subnets over (the first az_count available AZs of the region)."
  type        = number

  validation {
    condition     = var.az_count >= 2 && var.az_count <= 6 && floor(var.az_count) == var.az_count
    error_message = "az_count must be a whole number from 2 to 6 (RDS and ALB need at least two AZs)."
  }
}

variable "excluded_zone_ids" {
  description = "Availability zone IDs (e.g. \"use1-az3\") never to use. Zone IDs, not names: names map to different zones in each account."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for z in var.excluded_zone_ids : can(regex("^[a-z]{2,4}[0-9]-az[0-9]+$", z))])
    error_message = "excluded_zone_ids must be zone IDs such as \"use1-az3\" (not zone names such as \"us-east-1c\")."
  }
}

variable "nat_gateways" {
  description = "\"single\" for one NAT gateway shared by every private subnet (cheaper), \"per_az\" for one per AZ (survives an AZ outage), \"none\" for no NAT at all: the private subnets then have no route out of the VPC, and whatever needs the internet runs in the public subnets with a public address."
  type        = string
  default     = "per_az"

  validation {
    condition     = contains(["none", "single", "per_az"], var.nat_gateways)
    error_message = "nat_gateways must be \"none\", \"single\" or \"per_az\"."
  }
}

variable "flow_log_retention_days" {
  description = "Retention in days of the VPC flow log group (a value CloudWatch Logs accepts)."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_log_retention_days)
    error_message = "flow_log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "flow_log_kms_key_arn" {
  description = "ARN of the customer-managed KMS key that encrypts the flow log group (its key policy must allow logs.<region>.amazonaws.com)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.flow_log_kms_key_arn))
    error_message = "flow_log_kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "flow_log_traffic_type" {
  description = "Traffic the VPC flow log captures: ACCEPT, REJECT or ALL."
  type        = string
  default     = "ALL"

  validation {
    condition     = contains(["ACCEPT", "REJECT", "ALL"], var.flow_log_traffic_type)
    error_message = "flow_log_traffic_type must be ACCEPT, REJECT or ALL."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

variable "permissions_boundary" {
  description = "ARN of the IAM policy every role of this module carries as its permissions boundary (the one a deploy role must set: see terraform/bootstrap); null for none."
  type        = string
  default     = null

  validation {
    condition     = var.permissions_boundary == null || can(regex("^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:policy/.+$", var.permissions_boundary))
    error_message = "permissions_boundary must be an IAM policy ARN."
  }
}
