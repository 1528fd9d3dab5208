variable "repository_name" {
  description = "Name of the ECR repository, e.g. \"rupaya-backend\" (lowercase; may contain / namespaces)."
  type        = string

  validation {
    condition     = length(var.repository_name) >= 2 && length(var.repository_name) <= 256 && can(regex("^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$", var.repository_name))
    error_message = "repository_name must be 2-256 lowercase characters: letters, digits and . _ - separators, with optional / namespaces."
  }
}

variable "kms_key_arn" {
  description = "ARN of the customer-managed KMS key that encrypts the images."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "scan_on_push" {
  description = "Scan every pushed image for vulnerabilities (basic scanning)."
  type        = bool
  default     = true
}

variable "image_tag_mutability" {
  description = "IMMUTABLE (a tag always names the same image, so a deployed tag cannot be overwritten) or MUTABLE."
  type        = string
  default     = "IMMUTABLE"

  validation {
    condition     = contains(["IMMUTABLE", "MUTABLE"], var.image_tag_mutability)
    error_message = "image_tag_mutability must be IMMUTABLE or MUTABLE."
  }
}

variable "keep_last_images" {
  description = "How many of the most recent images to keep; older ones expire (rollbacks can only go this far back)."
  type        = number
  default     = 30

  validation {
    condition     = var.keep_last_images >= 1 && var.keep_last_images <= 10000 && floor(var.keep_last_images) == var.keep_last_images
    error_message = "keep_last_images must be a whole number from 1 to 10000."
  }
}

variable "untagged_expire_days" {
  description = "Days after which untagged images (superseded build layers) expire."
  type        = number
  default     = 7

  validation {
    condition     = var.untagged_expire_days >= 1 && var.untagged_expire_days <= 3650 && floor(var.untagged_expire_days) == var.untagged_expire_days
    error_message = "untagged_expire_days must be a whole number from 1 to 3650."
  }
}

variable "force_delete" {
  description = "Let Terraform delete the repository even if it still holds images (only for throw-away environments)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
