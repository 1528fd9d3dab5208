project           = "rupaya"
region            = "us-east-1"
github_repository = "rupaya/rupaya" # placeholder: set to the real "<org>/<repo>" before applying
state_bucket_name = "rupaya-terraform-state"
