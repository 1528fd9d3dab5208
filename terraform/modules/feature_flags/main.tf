# Feature flags (the seed's workflow 15) on AWS AppConfig: one application per env, one environment
# in it, and a hosted, freeform configuration profile whose documents must satisfy the project's
# flag schema. Terraform creates the containers only; `infra flags` writes the documents (hosted
# configuration versions) and starts the deployments, so a flag change never needs a plan.

resource "aws_appconfig_application" "this" {
  name        = var.name
  description = "Feature flags of ${var.name}"
  tags        = var.tags
}

resource "aws_appconfig_environment" "this" {
  application_id = aws_appconfig_application.this.id
  name           = var.environment
  description    = "Where ${var.name}'s service reads its flags"

  # A flag deployment that sets one of these alarms off during its rollout and bake time is rolled
  # back by AppConfig itself: the tier's deployment strategy is watched, not just timed.
  dynamic "monitor" {
    for_each = var.alarm_arns
    content {
      alarm_arn      = monitor.value
      alarm_role_arn = aws_iam_role.monitor[0].arn
    }
  }

  tags = var.tags
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

# AppConfig reads the alarms' states through this role, and only for this account.
resource "aws_iam_role" "monitor" {
  count = length(var.alarm_arns) > 0 ? 1 : 0

  name        = "${var.name}-appconfig-monitor"
  description = "AppConfig reads ${var.name}'s alarms to roll back a bad flag deployment."
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "appconfig.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id } }
    }]
  })
  permissions_boundary = var.permissions_boundary
  tags                 = var.tags
}

resource "aws_iam_role_policy" "monitor" {
  count = length(var.alarm_arns) > 0 ? 1 : 0

  name = "${var.name}-describe-alarms"
  role = aws_iam_role.monitor[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "ReadTheMonitoredAlarms"
      Effect   = "Allow"
      Action   = "cloudwatch:DescribeAlarms"
      Resource = var.alarm_arns
    }]
  })
}

resource "aws_appconfig_configuration_profile" "flags" {
  application_id     = aws_appconfig_application.this.id
  name               = "feature-flags"
  description        = "Flag document of ${var.name}, validated against the project's flag schema"
  location_uri       = "hosted"
  type               = "AWS.Freeform"
  kms_key_identifier = var.kms_key_arn

  # The same schema file `infra flags` validates against before it writes anything.
  validator {
    type    = "JSON_SCHEMA"
    content = file("${path.module}/flags.schema.json")
  }

  tags = var.tags
}
