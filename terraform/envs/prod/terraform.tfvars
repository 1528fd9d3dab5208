project             = "rupaya"
environment         = "prod"
region              = "us-east-1"
ecr_repository_name = "rupaya-backend-prod"
# Operator inputs, required and deliberately not committed here as placeholders (`infra inputs
# --env prod` lists what is missing): alarm_email, and for HTTPS either domain_name with
# hosted_zone_id (the certificate is validated through DNS there) or certificate_arn.
