project           = "rupaya"
region            = "us-east-1"
github_repository = "rupaya/rupaya" # placeholder: set to the real "<org>/<repo>" before applying
state_bucket_name = "rupaya-terraform-state"
# The environments of this account. One account per env is the recommended layout (apply this root in
# each account with just its env); all three here is the single-account layout (see README.md).
environments = ["dev", "staging", "prod"]
