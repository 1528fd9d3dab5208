project             = "rupaya"
environment         = "dev"
region              = "us-east-1"
ecr_repository_name = "rupaya-backend"
