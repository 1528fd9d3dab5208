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
  tags           = var.tags
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
