project             = "rupaya"
environment         = "staging"
region              = "us-east-1"
ecr_repository_name = "rupaya-backend-staging"
# Operator input, required and deliberately not committed as a placeholder: alarm_email.
