# A thin root: this env's entry of tiers.yaml (the single source of truth for sizing) passed to
# the platform module, which composes the concern modules. An environment name missing from
# tiers.yaml fails here with "Invalid index".
locals {
  tiers = yamldecode(file("${path.module}/../../tiers.yaml"))
  tier  = local.tiers.tiers[var.environment]
}

module "platform" {
  source = "../../modules/platform"

  project             = var.project
  environment         = var.environment
  tier                = local.tier
  policy              = local.tiers.policy
  region              = var.region
  ecr_repository_name = var.ecr_repository_name
  domain_name         = var.domain_name
  hosted_zone_id      = var.hosted_zone_id
  certificate_arn     = var.certificate_arn
  alarm_email         = var.alarm_email

  excluded_zone_ids      = var.excluded_zone_ids
  kms_key_administrators = var.kms_key_administrators
}
