output "alb_arn" {
  description = "ALB ARN."
  value       = aws_lb.this.arn
}

output "alb_arn_suffix" {
  description = "ALB ARN suffix, the LoadBalancer dimension of CloudWatch metrics."
  value       = aws_lb.this.arn_suffix
}

output "alb_dns_name" {
  description = "Public DNS name of the ALB."
  value       = aws_lb.this.dns_name
}

output "alb_zone_id" {
  description = "Route 53 hosted zone ID of the ALB, for alias records."
  value       = aws_lb.this.zone_id
}

output "target_group_arn" {
  description = "Target group ARN, for the ECS service's load_balancer block."
  value       = aws_lb_target_group.this.arn

  # ECS rejects a target group that no load balancer uses yet, so consumers of this
  # output wait for the listeners.
  depends_on = [aws_lb_listener.http, aws_lb_listener.https]
}

output "target_group_arn_suffix" {
  description = "Target group ARN suffix, the TargetGroup dimension of CloudWatch metrics."
  value       = aws_lb_target_group.this.arn_suffix
}

output "security_group_id" {
  description = "Security group of the ALB (the service allows its container port from this group)."
  value       = aws_security_group.this.id
}

output "http_listener_arn" {
  description = "Port 80 listener ARN (forwards when HTTPS is off, redirects to 443 when on)."
  value       = aws_lb_listener.http.arn
}

output "https_listener_arn" {
  description = "Port 443 listener ARN; null when HTTPS is off."
  value       = one(aws_lb_listener.https[*].arn)
}

output "certificate_arn" {
  description = "Certificate used by the HTTPS listener (given or created); null when HTTPS is off."
  value       = var.https_enabled ? local.certificate_arn : null
}

output "certificate_validation_records" {
  description = "DNS records to create so the new ACM certificate validates; empty when no certificate is created."
  value = local.create_certificate ? [
    for o in aws_acm_certificate.this[0].domain_validation_options : {
      domain_name = o.domain_name
      name        = o.resource_record_name
      type        = o.resource_record_type
      value       = o.resource_record_value
    }
  ] : []
}

output "access_logs_bucket" {
  description = "Access-log bucket name; null when access logs are off."
  value       = one(aws_s3_bucket.logs[*].id)
}
