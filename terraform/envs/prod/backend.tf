# State in the bucket made by terraform/bootstrap, one key per env, locked with an S3 lock file
# (use_lockfile), so no DynamoDB table is needed. The bucket's name carries the account ID (bucket
# names are global), so it is given at init, never committed (CI: the TF_STATE_BUCKET variable):
#   terraform init -backend-config="bucket=$(terraform -chdir=../../bootstrap output -raw state_bucket_name)"
terraform {
  backend "s3" {
    key          = "envs/prod/terraform.tfstate"
    region       = "us-east-1"
    encrypt      = true
    use_lockfile = true
    kms_key_id   = "alias/rupaya-terraform-state"
  }
}
