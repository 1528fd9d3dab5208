project = "rupaya"
region  = "us-east-1"
# github_repository (required, "<org>/<repo>"): the repository whose Actions may assume the deploy
# roles. Set it here or as TF_VAR_github_repository; it is not committed as a placeholder.
# state_bucket_name: null (unset) names it rupaya-terraform-state-<account ID>, unique to the account.
# The environments of this account. One account per env is the recommended layout (apply this root in
# each account with just its env); all three here is the single-account layout (see README.md).
environments = ["dev", "staging", "prod"]
