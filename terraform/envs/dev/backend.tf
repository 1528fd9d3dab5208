# State in the bucket made by terraform/bootstrap, one key per env, locked with an S3 lock file
# (use_lockfile), so no DynamoDB table is needed. To use another bucket without editing this file:
#   terraform init -backend-config="bucket=<your-bucket>"
terraform {
  backend "s3" {
    bucket       = "rupaya-terraform-state"
    key          = "envs/dev/terraform.tfstate"
    region       = "us-east-1"
    encrypt      = true
    use_lockfile = true
    kms_key_id   = "alias/rupaya-terraform-state"
  }
}
