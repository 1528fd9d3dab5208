variable "name" {
  description = "Name prefix for every resource (e.g. \"rupaya-dev\"); also the ECS cluster, service and task-definition family."
  type        = string

  validation {
    # Keeps "<name>-ecs-execution" within IAM's 64-char role-name limit.
    condition     = can(regex("^[a-z][a-z0-9-]{0,38}[a-z0-9]$", var.name)) && !strcontains(var.name, "--")
    error_message = "name must be 2-40 chars of lowercase letters, digits and single hyphens, start with a letter and not end with a hyphen."
  }
}

variable "region" {
  description = "AWS region of the log group (awslogs-region of the container's log driver)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]+$", var.region))
    error_message = "region must look like \"us-east-1\"."
  }
}

variable "cpu" {
  description = "Task CPU units (Fargate: 256, 512, 1024, 2048, 4096, 8192 or 16384)."
  type        = number

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096, 8192, 16384], var.cpu)
    error_message = "cpu must be a Fargate size: 256, 512, 1024, 2048, 4096, 8192 or 16384."
  }
}

variable "memory" {
  description = "Task memory in MiB; must be valid for the chosen cpu on Fargate."
  type        = number

  validation {
    # Fargate's CPU/memory table; any other pair is rejected only when the task is registered.
    condition = (
      var.cpu == 256 ? contains([512, 1024, 2048], var.memory) :
      var.cpu == 512 ? var.memory >= 1024 && var.memory <= 4096 && var.memory % 1024 == 0 :
      var.cpu == 1024 ? var.memory >= 2048 && var.memory <= 8192 && var.memory % 1024 == 0 :
      var.cpu == 2048 ? var.memory >= 4096 && var.memory <= 16384 && var.memory % 1024 == 0 :
      var.cpu == 4096 ? var.memory >= 8192 && var.memory <= 30720 && var.memory % 1024 == 0 :
      var.cpu == 8192 ? var.memory >= 16384 && var.memory <= 61440 && var.memory % 4096 == 0 :
      var.cpu == 16384 ? var.memory >= 32768 && var.memory <= 122880 && var.memory % 8192 == 0 :
      false
    )
    error_message = "memory is not valid for this cpu on Fargate (256: 512/1024/2048; 512: 1024-4096; 1024: 2048-8192; 2048: 4096-16384; 4096: 8192-30720, all in 1024 steps; 8192: 16384-61440 in 4096 steps; 16384: 32768-122880 in 8192 steps)."
  }
}

variable "min_tasks" {
  description = "Minimum (and initial desired) number of tasks."
  type        = number

  validation {
    condition     = var.min_tasks >= 0 && floor(var.min_tasks) == var.min_tasks
    error_message = "min_tasks must be a whole number >= 0."
  }
}

variable "max_tasks" {
  description = "Maximum number of tasks autoscaling may run."
  type        = number

  validation {
    condition     = var.max_tasks >= 1 && var.max_tasks >= var.min_tasks && floor(var.max_tasks) == var.max_tasks
    error_message = "max_tasks must be a whole number >= 1 and >= min_tasks."
  }
}

variable "cpu_target_percent" {
  description = "Average service CPU utilisation that target tracking holds."
  type        = number

  validation {
    condition     = var.cpu_target_percent >= 10 && var.cpu_target_percent <= 95
    error_message = "cpu_target_percent must be from 10 to 95."
  }
}

variable "memory_target_percent" {
  description = "Average service memory utilisation that target tracking holds."
  type        = number
  default     = 75

  validation {
    condition     = var.memory_target_percent >= 10 && var.memory_target_percent <= 95
    error_message = "memory_target_percent must be from 10 to 95."
  }
}

variable "scale_in_cooldown" {
  description = "Seconds after a scale-in before another scale-in."
  type        = number
  default     = 300

  validation {
    condition     = var.scale_in_cooldown >= 0 && var.scale_in_cooldown <= 3600
    error_message = "scale_in_cooldown must be from 0 to 3600 seconds."
  }
}

variable "scale_out_cooldown" {
  description = "Seconds after a scale-out before another scale-out."
  type        = number
  default     = 60

  validation {
    condition     = var.scale_out_cooldown >= 0 && var.scale_out_cooldown <= 3600
    error_message = "scale_out_cooldown must be from 0 to 3600 seconds."
  }
}

variable "vpc_id" {
  description = "VPC of the service's security group; its CIDR bounds the in-VPC egress."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must look like \"vpc-0123abcd\"."
  }
}

variable "subnet_ids" {
  description = "Subnets for the tasks: private ones routed through NAT, or, with assign_public_ip, public ones."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 1 && alltrue([for s in var.subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "subnet_ids needs at least one ID like \"subnet-0123abcd\"."
  }
}

variable "assign_public_ip" {
  description = "Give each task a public IPv4 address, for tasks in public subnets of a network without NAT (they reach ECR, Secrets Manager and CloudWatch Logs through the internet gateway). The security group still admits only the ALB."
  type        = bool
  default     = false
}

variable "fargate_spot" {
  description = "Run tasks on Fargate Spot: the first on_demand_base tasks on on-demand Fargate, every later one on Spot. null runs every task on on-demand Fargate (launch type FARGATE). ECS never moves a task from Spot to on-demand by itself: the base is what always runs."
  type = object({
    on_demand_base = number
  })
  default = null

  validation {
    condition     = var.fargate_spot == null || try(var.fargate_spot.on_demand_base >= 0 && floor(var.fargate_spot.on_demand_base) == var.fargate_spot.on_demand_base && var.fargate_spot.on_demand_base <= 100000, false)
    error_message = "fargate_spot.on_demand_base must be a whole number from 0 to 100000."
  }
}

variable "alb_security_group_id" {
  description = "Security group of the ALB; the only source allowed to reach the container port."
  type        = string

  validation {
    condition     = can(regex("^sg-[0-9a-f]+$", var.alb_security_group_id))
    error_message = "alb_security_group_id must look like \"sg-0123abcd\"."
  }
}

variable "target_group_arn" {
  description = "ALB target group the service registers its tasks in."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:targetgroup/.+$", var.target_group_arn))
    error_message = "target_group_arn must be an ELBv2 target group ARN."
  }
}

variable "container_image" {
  description = "Image of the first task-definition revision (e.g. \"<repository_url>:bootstrap\"); later revisions come from the deploy tooling."
  type        = string

  validation {
    condition     = can(regex("^[^\\s]+$", var.container_image))
    error_message = "container_image must be a non-empty image reference without spaces."
  }
}

variable "container_name" {
  description = "Name of the application container (the deploy tooling and the ALB attachment refer to it)."
  type        = string
  default     = "app"

  validation {
    condition     = can(regex("^[a-zA-Z0-9][a-zA-Z0-9_-]{0,254}$", var.container_name))
    error_message = "container_name must be 1-255 letters, digits, hyphens or underscores."
  }
}

variable "container_port" {
  description = "Port the container listens on (and the target group sends to)."
  type        = number
  default     = 3000

  validation {
    condition     = var.container_port >= 1 && var.container_port <= 65535 && floor(var.container_port) == var.container_port
    error_message = "container_port must be a whole number from 1 to 65535."
  }
}

variable "cpu_architecture" {
  description = "CPU architecture of the image: X86_64 or ARM64."
  type        = string
  default     = "X86_64"

  validation {
    condition     = contains(["X86_64", "ARM64"], var.cpu_architecture)
    error_message = "cpu_architecture must be X86_64 or ARM64."
  }
}

variable "readonly_root_filesystem" {
  description = "Mount the container's root filesystem read-only (a writable /tmp is provided)."
  type        = bool
  default     = true
}

variable "log_group_name" {
  description = "Existing CloudWatch log group for the container's awslogs driver (e.g. the observability module's /ecs/<name>)."
  type        = string

  validation {
    condition     = can(regex("^[.\\-_/#A-Za-z0-9]{1,512}$", var.log_group_name))
    error_message = "log_group_name must be 1-512 chars of letters, digits and . - _ / #."
  }
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key that encrypts the injected secrets; the execution role may decrypt with it."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "secrets" {
  description = "Container env var NAME -> Secrets Manager secret ARN (optionally with \":json-key:version-stage:version-id\", e.g. \"<arn>:password::\"). ECS resolves them at task start: the task definition holds only the ARN, never the value."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.secrets) : can(regex("^[A-Za-z_][A-Za-z0-9_]*$", k))])
    error_message = "secrets keys must be environment variable names ([A-Za-z_][A-Za-z0-9_]*)."
  }

  validation {
    condition     = alltrue([for v in values(var.secrets) : can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[^:]+(:[^:]*:[^:]*:[^:]*)?$", v))])
    error_message = "secrets values must be Secrets Manager secret ARNs, optionally followed by :json-key:version-stage:version-id."
  }
}

variable "environment" {
  description = "Plain, NON-secret container environment variables (NAME -> value). Secrets go in `secrets`."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.environment) : can(regex("^[A-Za-z_][A-Za-z0-9_]*$", k))])
    error_message = "environment keys must be environment variable names ([A-Za-z_][A-Za-z0-9_]*)."
  }

  validation {
    # Guard against a secret pasted in as plain text: it would sit readable in the task definition.
    condition     = !anytrue([for k in keys(var.environment) : can(regex("(?i)(^|_)(PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|PRIVATE_KEY)$", k))])
    error_message = "environment must not hold secrets (a name ending in PASSWORD, SECRET, TOKEN, API_KEY or PRIVATE_KEY); pass a Secrets Manager ARN in `secrets` instead."
  }

  validation {
    condition     = !anytrue([for v in values(var.environment) : can(regex("://[^/@\\s:]+:[^/@\\s]+@", v))])
    error_message = "environment values must not embed credentials in a URL (user:password@host); inject the password through `secrets`."
  }

  validation {
    condition     = length(setintersection(keys(var.environment), keys(var.secrets))) == 0
    error_message = "a name cannot be both in environment and in secrets."
  }
}

variable "task_role_statements" {
  description = "What the application itself may call in AWS: statements of the task role's inline policy (none: the task role has no permissions). A list, so its length is known at plan even when the ARNs are not."
  type = list(object({
    sid       = string
    actions   = list(string)
    resources = list(string)
  }))
  default = []
}

variable "vpc_egress_ports" {
  description = "TCP ports the tasks may reach inside the VPC (defaults: PostgreSQL and Redis)."
  type        = list(number)
  default     = [5432, 6379]

  validation {
    condition     = alltrue([for p in var.vpc_egress_ports : p >= 1 && p <= 65535 && floor(p) == p])
    error_message = "vpc_egress_ports must be whole numbers from 1 to 65535."
  }
}

variable "health_check_grace_period" {
  description = "Seconds the service ignores failing ALB health checks after a task starts."
  type        = number
  default     = 60

  validation {
    condition     = var.health_check_grace_period >= 0 && var.health_check_grace_period <= 2147483647 && floor(var.health_check_grace_period) == var.health_check_grace_period
    error_message = "health_check_grace_period must be a whole number of seconds >= 0."
  }
}

variable "tags" {
  description = "Tags applied to every resource."
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
