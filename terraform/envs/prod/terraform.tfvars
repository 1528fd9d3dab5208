project             = "rupaya"
environment         = "prod"
region              = "us-east-1"
ecr_repository_name = "rupaya-backend-prod"
# HTTPS: an ACM certificate is requested for this name. Replace it with your API's domain, or set
# certificate_arn to a certificate you have already validated.
domain_name = "api.rupaya.example.com"
