data "aws_vpc" "this" {
  id = var.vpc_id
}

data "aws_caller_identity" "current" {}

# The regional ELB account that writes access logs in regions older than August 2022.
data "aws_elb_service_account" "current" {}

locals {
  create_certificate = var.https_enabled && var.certificate_arn == null
  # The listener takes the certificate from its validation, never from the request: AWS refuses a
  # listener whose certificate is still PENDING_VALIDATION (UnsupportedCertificate).
  certificate_arn = local.create_certificate ? aws_acm_certificate_validation.this[0].certificate_arn : var.certificate_arn
  # With a hosted zone, the API's name points at the load balancer (and validates the certificate).
  manage_dns = var.hosted_zone_id != null && var.domain_name != null

  # The ALB is the one place that takes traffic from the internet: 80 always (to serve
  # or redirect), 443 when HTTPS is on.
  ingress_rules = merge(
    {
      http_ipv4 = { port = 80, cidr_ipv4 = "0.0.0.0/0", cidr_ipv6 = null }
      http_ipv6 = { port = 80, cidr_ipv4 = null, cidr_ipv6 = "::/0" }
    },
    var.https_enabled ? {
      https_ipv4 = { port = 443, cidr_ipv4 = "0.0.0.0/0", cidr_ipv6 = null }
      https_ipv6 = { port = 443, cidr_ipv4 = null, cidr_ipv6 = "::/0" }
    } : {}
  )

  log_bucket_name = "${var.name}-alb-logs-${data.aws_caller_identity.current.account_id}"
}

################################################################################
# Security group
################################################################################

resource "aws_security_group" "this" {
  name        = "${var.name}-alb"
  description = "Internet-facing ALB for ${var.name}: HTTP/HTTPS in, target port to the VPC out"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-alb" })
}

resource "aws_vpc_security_group_ingress_rule" "this" {
  for_each = local.ingress_rules

  security_group_id = aws_security_group.this.id
  description       = "${upper(split("_", each.key)[0])} from the internet (${split("_", each.key)[1]})"
  ip_protocol       = "tcp"
  from_port         = each.value.port
  to_port           = each.value.port
  cidr_ipv4         = each.value.cidr_ipv4
  cidr_ipv6         = each.value.cidr_ipv6

  tags = var.tags
}

resource "aws_vpc_security_group_egress_rule" "targets" {
  security_group_id = aws_security_group.this.id
  description       = "To targets and health checks on the target port inside the VPC"
  ip_protocol       = "tcp"
  from_port         = var.target_port
  to_port           = var.target_port
  cidr_ipv4         = data.aws_vpc.this.cidr_block

  tags = var.tags
}

################################################################################
# Load balancer, target group, listeners
################################################################################

resource "aws_lb" "this" {
  name               = var.name
  load_balancer_type = "application"
  internal           = false
  security_groups    = [aws_security_group.this.id]
  subnets            = var.public_subnet_ids
  idle_timeout       = var.idle_timeout

  # Reject requests with malformed headers instead of passing them to the app.
  drop_invalid_header_fields = true
  enable_deletion_protection = var.deletion_protection

  dynamic "access_logs" {
    for_each = var.access_logs_enabled ? [1] : []
    content {
      bucket  = aws_s3_bucket.logs[0].bucket
      enabled = true
    }
  }

  tags = merge(var.tags, { Name = var.name })

  # ELB tests that it can write to the bucket when logging is switched on.
  depends_on = [aws_s3_bucket_policy.logs]
}

resource "aws_lb_target_group" "this" {
  name        = "${var.name}-tg"
  port        = var.target_port
  protocol    = "HTTP"
  target_type = "ip" # Fargate tasks in awsvpc mode register by IP
  vpc_id      = var.vpc_id

  deregistration_delay = var.deregistration_delay

  health_check {
    enabled             = true
    protocol            = "HTTP"
    port                = "traffic-port"
    path                = var.health_check_path
    matcher             = var.health_check_matcher
    interval            = 30
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }

  tags = merge(var.tags, { Name = "${var.name}-tg" })
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"

  # With HTTPS on, port 80 never serves content: it only redirects.
  default_action {
    type             = var.https_enabled ? "redirect" : "forward"
    target_group_arn = var.https_enabled ? null : aws_lb_target_group.this.arn

    dynamic "redirect" {
      for_each = var.https_enabled ? [1] : []
      content {
        protocol    = "HTTPS"
        port        = "443"
        status_code = "HTTP_301"
      }
    }
  }

  tags = var.tags
}

resource "aws_lb_listener" "https" {
  count = var.https_enabled ? 1 : 0

  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = var.ssl_policy
  certificate_arn   = local.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this.arn
  }

  tags = var.tags
}

################################################################################
# ACM certificate (only when HTTPS is on and no certificate_arn is given)
################################################################################

# The zone the operator names in tfvars: the API's name must lie in it, or neither the validation
# record nor the alias could be created there.
data "aws_route53_zone" "this" {
  count = var.hosted_zone_id != null ? 1 : 0

  zone_id = var.hosted_zone_id
}

# On real AWS the HTTPS listener only accepts an ISSUED certificate. A new certificate is validated
# through DNS in the operator's hosted zone, and the listener waits for the validation; without a
# zone, the operator passes certificate_arn of a certificate that is already issued.
resource "aws_acm_certificate" "this" {
  count = local.create_certificate ? 1 : 0

  domain_name       = var.domain_name
  validation_method = "DNS"

  tags = merge(var.tags, { Name = var.domain_name })

  lifecycle {
    create_before_destroy = true

    precondition {
      condition     = var.hosted_zone_id != null
      error_message = "HTTPS is on and certificate_arn is not set, so a new certificate must be validated through DNS: set hosted_zone_id to the Route 53 zone that holds ${coalesce(var.domain_name, "domain_name")}, or set certificate_arn to a certificate that is already issued."
    }
    precondition {
      condition     = var.hosted_zone_id == null || endswith(".${var.domain_name}", ".${trimsuffix(one(data.aws_route53_zone.this[*].name), ".")}")
      error_message = "domain_name ${coalesce(var.domain_name, "(null)")} is not inside the hosted zone ${coalesce(one(data.aws_route53_zone.this[*].name), "(none)")} that hosted_zone_id names."
    }
  }
}

# One record per name on the certificate, keyed by the name (known from the configuration, so the
# plan lists the records; the validation options themselves are known only once ACM answers).
resource "aws_route53_record" "validation" {
  for_each = local.create_certificate && var.hosted_zone_id != null ? toset([var.domain_name]) : toset([])

  zone_id         = var.hosted_zone_id
  name            = one([for o in aws_acm_certificate.this[0].domain_validation_options : o.resource_record_name if o.domain_name == each.key])
  type            = one([for o in aws_acm_certificate.this[0].domain_validation_options : o.resource_record_type if o.domain_name == each.key])
  records         = [for o in aws_acm_certificate.this[0].domain_validation_options : o.resource_record_value if o.domain_name == each.key]
  ttl             = 300
  allow_overwrite = true # a re-requested certificate for the same name reuses the record
}

resource "aws_acm_certificate_validation" "this" {
  count = local.create_certificate ? 1 : 0

  certificate_arn         = aws_acm_certificate.this[0].arn
  validation_record_fqdns = [for r in aws_route53_record.validation : r.fqdn]
}

# The API's public name, pointing at the load balancer.
resource "aws_route53_record" "api" {
  count = local.manage_dns ? 1 : 0

  zone_id = var.hosted_zone_id
  name    = var.domain_name
  type    = "A"

  alias {
    name                   = aws_lb.this.dns_name
    zone_id                = aws_lb.this.zone_id
    evaluate_target_health = true
  }
}

################################################################################
# Access-log bucket
################################################################################

# The bucket's settings name it by `.bucket` (known at plan) rather than `.id` (known only after
# apply), so a plan, and the scanners of the policy gate that read it, show which bucket each
# public access block, encryption or versioning setting belongs to.
resource "aws_s3_bucket" "logs" {
  count = var.access_logs_enabled ? 1 : 0

  bucket        = local.log_bucket_name
  force_destroy = var.access_logs_force_destroy

  tags = merge(var.tags, { Name = local.log_bucket_name })
}

resource "aws_s3_bucket_public_access_block" "logs" {
  count = var.access_logs_enabled ? 1 : 0

  bucket                  = aws_s3_bucket.logs[0].bucket
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "logs" {
  count = var.access_logs_enabled ? 1 : 0

  bucket = aws_s3_bucket.logs[0].bucket

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "logs" {
  count = var.access_logs_enabled ? 1 : 0

  bucket = aws_s3_bucket.logs[0].bucket

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "logs" {
  count = var.access_logs_enabled ? 1 : 0

  bucket = aws_s3_bucket.logs[0].bucket

  rule {
    # ALB access-log delivery supports only SSE-S3 (AES256); with SSE-KMS delivery fails.
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "logs" {
  count = var.access_logs_enabled ? 1 : 0

  bucket = aws_s3_bucket.logs[0].bucket

  rule {
    id     = "expire-access-logs"
    status = "Enabled"

    filter {}

    expiration {
      days = var.access_logs_expiration_days
    }

    noncurrent_version_expiration {
      noncurrent_days = var.access_logs_expiration_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.logs]
}

resource "aws_s3_bucket_policy" "logs" {
  count = var.access_logs_enabled ? 1 : 0

  bucket = aws_s3_bucket.logs[0].bucket
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.logs[0].arn, "${aws_s3_bucket.logs[0].arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
      {
        # Older regions deliver as the regional ELB account, newer ones as the service.
        Sid    = "AllowELBLogDelivery"
        Effect = "Allow"
        Principal = {
          AWS     = data.aws_elb_service_account.current.arn
          Service = "logdelivery.elasticloadbalancing.amazonaws.com"
        }
        Action   = "s3:PutObject"
        Resource = "${aws_s3_bucket.logs[0].arn}/AWSLogs/${data.aws_caller_identity.current.account_id}/*"
      },
    ]
  })

  # A policy cannot be attached while the public access block is still being set up.
  depends_on = [aws_s3_bucket_public_access_block.logs]
}
