mock_provider "aws" {
  mock_data "aws_vpc" {
    defaults = {
      cidr_block = "10.30.0.0/16"
    }
  }
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }
  mock_data "aws_elb_service_account" {
    defaults = {
      arn = "arn:aws:iam::127311923021:root"
    }
  }
  mock_data "aws_route53_zone" {
    defaults = {
      name = "acme-corp.com"
    }
  }
  mock_resource "aws_acm_certificate" {
    override_during = plan
    defaults = {
      arn = "arn:aws:acm:us-east-1:123456789012:certificate/new-1234"
      domain_validation_options = [{
        domain_name           = "api.acme-corp.com"
        resource_record_name  = "_abc.api.acme-corp.com."
        resource_record_type  = "CNAME"
        resource_record_value = "_def.acm-validations.aws."
      }]
    }
  }
  mock_resource "aws_acm_certificate_validation" {
    override_during = plan
    defaults = {
      certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/new-1234"
    }
  }
}

variables {
  name                = "rupaya-test"
  vpc_id              = "vpc-0123456789abcdef0"
  public_subnet_ids   = ["subnet-0000000000000000a", "subnet-0000000000000000b", "subnet-0000000000000000c"]
  https_enabled       = true
  domain_name         = "api.acme-corp.com"
  hosted_zone_id      = "Z0123456789ABCDEFGHIJ"
  access_logs_enabled = true
  tags                = { Environment = "test" }
}

run "prod_https_redirects_http_and_logs_to_a_locked_bucket" {
  command = plan

  # Known bucket ARN at plan time, so the bucket policy can be inspected.
  override_resource {
    target          = aws_s3_bucket.logs
    override_during = plan
    values = {
      id  = "rupaya-test-alb-logs-123456789012"
      arn = "arn:aws:s3:::rupaya-test-alb-logs-123456789012"
    }
  }

  assert {
    condition     = aws_lb_listener.https[0].port == 443 && aws_lb_listener.https[0].protocol == "HTTPS" && aws_lb_listener.https[0].ssl_policy == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    error_message = "HTTPS:443 with a TLS 1.2+ policy"
  }
  assert {
    condition     = aws_lb_listener.https[0].default_action[0].type == "forward"
    error_message = "HTTPS listener forwards to the target group"
  }
  assert {
    condition     = aws_lb_listener.http.port == 80 && aws_lb_listener.http.default_action[0].type == "redirect" && aws_lb_listener.http.default_action[0].redirect[0].protocol == "HTTPS" && aws_lb_listener.http.default_action[0].redirect[0].port == "443" && aws_lb_listener.http.default_action[0].redirect[0].status_code == "HTTP_301"
    error_message = "HTTP listener only redirects to HTTPS with a 301"
  }
  assert {
    condition     = length(aws_acm_certificate.this) == 1 && aws_acm_certificate.this[0].domain_name == "api.acme-corp.com" && aws_acm_certificate.this[0].validation_method == "DNS"
    error_message = "a DNS-validated certificate is requested when no certificate_arn is given"
  }
  assert {
    condition     = aws_route53_record.validation["api.acme-corp.com"].zone_id == "Z0123456789ABCDEFGHIJ" && aws_route53_record.validation["api.acme-corp.com"].type == "CNAME"
    error_message = "the certificate's validation record is created in the operator's zone"
  }
  assert {
    condition     = length(aws_acm_certificate_validation.this) == 1 && aws_lb_listener.https[0].certificate_arn == aws_acm_certificate_validation.this[0].certificate_arn
    error_message = "the listener takes the certificate from its validation (AWS refuses one still pending)"
  }
  assert {
    condition     = aws_route53_record.api[0].name == "api.acme-corp.com" && aws_route53_record.api[0].type == "A" && aws_route53_record.api[0].alias[0].evaluate_target_health
    error_message = "the API's name is an alias of the load balancer"
  }
  assert {
    condition     = length(aws_vpc_security_group_ingress_rule.this) == 4 && alltrue([for r in aws_vpc_security_group_ingress_rule.this : contains([80, 443], r.from_port) && r.from_port == r.to_port])
    error_message = "ingress is 80 and 443 only (IPv4 and IPv6)"
  }
  assert {
    condition     = aws_vpc_security_group_egress_rule.targets.cidr_ipv4 == "10.30.0.0/16" && aws_vpc_security_group_egress_rule.targets.from_port == 3000 && aws_vpc_security_group_egress_rule.targets.to_port == 3000
    error_message = "egress only to the VPC CIDR on the target port"
  }
  assert {
    condition     = aws_lb.this.drop_invalid_header_fields == true && aws_lb.this.enable_deletion_protection == true && aws_lb.this.internal == false && aws_lb.this.load_balancer_type == "application"
    error_message = "internet-facing ALB dropping invalid headers, deletion-protected by default"
  }
  assert {
    condition     = aws_lb.this.access_logs[0].enabled == true && aws_lb.this.access_logs[0].bucket == "rupaya-test-alb-logs-123456789012"
    error_message = "access logs go to the module's bucket"
  }
  assert {
    condition     = aws_lb_target_group.this.target_type == "ip" && aws_lb_target_group.this.port == 3000 && aws_lb_target_group.this.health_check[0].path == "/health"
    error_message = "IP target group on the target port with the /health check"
  }
  assert {
    condition     = alltrue([for r in aws_s3_bucket_server_side_encryption_configuration.logs[0].rule : r.apply_server_side_encryption_by_default[0].sse_algorithm == "AES256"])
    error_message = "log bucket uses SSE-S3 (the only encryption ALB log delivery supports)"
  }
  assert {
    condition     = aws_s3_bucket_versioning.logs[0].versioning_configuration[0].status == "Enabled"
    error_message = "log bucket is versioned"
  }
  assert {
    condition     = aws_s3_bucket_public_access_block.logs[0].block_public_acls && aws_s3_bucket_public_access_block.logs[0].block_public_policy && aws_s3_bucket_public_access_block.logs[0].ignore_public_acls && aws_s3_bucket_public_access_block.logs[0].restrict_public_buckets
    error_message = "public access to the log bucket is blocked"
  }
  assert {
    condition     = aws_s3_bucket_ownership_controls.logs[0].rule[0].object_ownership == "BucketOwnerEnforced"
    error_message = "ACLs are disabled on the log bucket"
  }
  assert {
    condition     = anytrue([for s in jsondecode(aws_s3_bucket_policy.logs[0].policy).Statement : s.Effect == "Deny" && try(s.Condition.Bool["aws:SecureTransport"], "") == "false"])
    error_message = "bucket policy denies non-TLS access"
  }
  assert {
    condition     = anytrue([for s in jsondecode(aws_s3_bucket_policy.logs[0].policy).Statement : s.Effect == "Allow" && s.Action == "s3:PutObject" && try(s.Resource, "") == "arn:aws:s3:::rupaya-test-alb-logs-123456789012/AWSLogs/123456789012/*"])
    error_message = "bucket policy lets ELB write only under AWSLogs/<account>/"
  }
  assert {
    condition     = aws_s3_bucket_lifecycle_configuration.logs[0].rule[0].expiration[0].days == 90
    error_message = "access logs expire"
  }
  assert {
    condition     = output.access_logs_bucket == "rupaya-test-alb-logs-123456789012"
    error_message = "bucket name is exported"
  }
}

run "given_certificate_is_used_instead_of_a_new_one" {
  command = plan

  variables {
    domain_name     = null
    certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/abcd-1234"
    ssl_policy      = "ELBSecurityPolicy-TLS13-1-3-2021-06"
  }

  assert {
    condition     = length(aws_acm_certificate.this) == 0 && aws_lb_listener.https[0].certificate_arn == "arn:aws:acm:us-east-1:123456789012:certificate/abcd-1234"
    error_message = "the listener uses the given certificate and none is created"
  }
  assert {
    condition     = aws_lb_listener.https[0].ssl_policy == "ELBSecurityPolicy-TLS13-1-3-2021-06"
    error_message = "ssl_policy is passed through"
  }
  assert {
    condition     = length(output.certificate_validation_records) == 0
    error_message = "no validation records without a new certificate"
  }
}

run "dev_plain_http_forwards_without_logs" {
  command = plan

  variables {
    https_enabled       = false
    domain_name         = null
    access_logs_enabled = false
    deletion_protection = false
  }

  assert {
    condition     = aws_lb_listener.http.default_action[0].type == "forward" && length(aws_lb_listener.https) == 0
    error_message = "HTTP:80 forwards and there is no HTTPS listener"
  }
  assert {
    condition     = length(aws_vpc_security_group_ingress_rule.this) == 2 && alltrue([for r in aws_vpc_security_group_ingress_rule.this : r.from_port == 80])
    error_message = "only port 80 is open without HTTPS"
  }
  assert {
    condition     = length(aws_s3_bucket.logs) == 0 && length(aws_lb.this.access_logs) == 0 && length(aws_acm_certificate.this) == 0
    error_message = "no log bucket and no certificate"
  }
  assert {
    condition     = output.https_listener_arn == null && output.access_logs_bucket == null && output.certificate_arn == null
    error_message = "optional outputs are null when off"
  }
}

run "rejects_a_policy_the_caller_does_not_allow" {
  command = plan

  variables {
    ssl_policy           = "ELBSecurityPolicy-2016-08"
    allowed_ssl_policies = ["ELBSecurityPolicy-TLS13-1-2-2021-06", "ELBSecurityPolicy-TLS13-1-3-2021-06"]
  }

  expect_failures = [var.ssl_policy]
}

run "rejects_a_new_certificate_without_a_zone_to_validate_it_in" {
  command = plan

  variables {
    hosted_zone_id = null
  }

  expect_failures = [var.https_enabled]
}

run "rejects_a_domain_outside_the_hosted_zone" {
  command = plan

  variables {
    domain_name = "api.acme-corp.org"
  }

  expect_failures = [aws_acm_certificate.this]
}

run "rejects_https_without_certificate_or_domain" {
  command = plan

  variables {
    domain_name = null
  }

  expect_failures = [var.https_enabled]
}

run "rejects_name_too_long_for_target_group" {
  command = plan

  variables {
    name = "rupaya-a-very-long-environment-name"
  }

  expect_failures = [var.name]
}

run "rejects_single_subnet" {
  command = plan

  variables {
    public_subnet_ids = ["subnet-0000000000000000a"]
  }

  expect_failures = [var.public_subnet_ids]
}
