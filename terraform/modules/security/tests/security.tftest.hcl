# The real provider plans offline: dummy credentials (not secrets; nothing is ever called), every
# skip_* flag on, and the one data source that would call AWS overridden. Real rather than mocked
# so that the data sources' computed values (partition, Region) are the provider's own. Only plan
# runs: nothing can be applied.
provider "aws" {
  region                      = "us-east-1"
  access_key                  = "offline-test"
  secret_key                  = "offline-test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

override_data {
  target          = data.aws_caller_identity.current
  override_during = plan
  values = {
    account_id = "123456789012"
  }
}

# Known ARN at plan time, so the secrets' kms_key_id can be compared with it.
override_resource {
  target          = aws_kms_key.this
  override_during = plan
  values = {
    arn    = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    key_id = "11111111-2222-3333-4444-555555555555"
  }
}

variables {
  name                        = "rupaya-test"
  kms_multi_region            = false
  secret_recovery_window_days = 7
  key_administrator_arns      = ["arn:aws:iam::123456789012:role/rupaya-deploy-test", "arn:aws:iam::123456789012:role/break-glass"]
  key_user_arns               = ["arn:aws:iam::123456789012:role/rupaya-deploy-test", "arn:aws:iam::123456789012:role/rupaya-test-ecs-task"]
  tags                        = { Environment = "test" }
}

run "kms_key_is_rotated_and_aliased" {
  command = plan

  assert {
    condition     = aws_kms_key.this.enable_key_rotation == true
    error_message = "Key rotation must be on."
  }

  assert {
    condition     = aws_kms_key.this.multi_region == false
    error_message = "multi_region must follow kms_multi_region."
  }

  assert {
    condition     = aws_kms_key.this.deletion_window_in_days == 30
    error_message = "The deletion window must default to 30 days."
  }

  assert {
    condition     = aws_kms_alias.this.name == "alias/rupaya-test"
    error_message = "The alias must be alias/<name>."
  }

  assert {
    condition     = aws_kms_key.this.tags["Environment"] == "test" && aws_kms_key.this.tags["Name"] == "rupaya-test"
    error_message = "The key must carry var.tags and a Name tag."
  }
}

run "multi_region_key" {
  command = plan

  variables {
    kms_multi_region = true
  }

  assert {
    condition     = aws_kms_key.this.multi_region == true
    error_message = "kms_multi_region = true must create a multi-Region key."
  }
}

run "key_policy_names_its_principals_logs_and_alarms" {
  command = plan

  assert {
    condition = [for s in jsondecode(output.kms_key_policy).Statement : s.Principal.AWS if s.Sid == "KeyAdministration"] == [[
      "arn:aws:iam::123456789012:role/rupaya-deploy-test", "arn:aws:iam::123456789012:role/break-glass",
    ]]
    error_message = "Exactly the named administrators administer the key."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(output.kms_key_policy).Statement : !contains(flatten([try(s.Principal.AWS, [])]), "arn:aws:iam::123456789012:root")
    ])
    error_message = "No statement delegates to the account root: IAM policies elsewhere must not reach the key."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(output.kms_key_policy).Statement : !contains(s.Action, "kms:Decrypt") if s.Sid == "KeyAdministration"
    ])
    error_message = "Administrators manage the key; they do not use it."
  }

  assert {
    condition     = [for s in jsondecode(output.kms_key_policy).Statement : s.Condition.Bool["kms:GrantIsForAWSResource"] if s.Sid == "GrantsForAwsResources"] == ["true"]
    error_message = "Grants only for AWS resources (RDS, ElastiCache, ECR, Secrets Manager)."
  }

  assert {
    condition = one([
      for s in jsondecode(output.kms_key_policy).Statement :
      s.Condition.ArnLike["kms:EncryptionContext:aws:logs:arn"] if try(s.Principal.Service, "") == "logs.us-east-1.amazonaws.com"
    ]) == "arn:aws:logs:us-east-1:123456789012:log-group:*"
    error_message = "CloudWatch Logs may use the key only for log groups of this account and Region."
  }

  assert {
    condition     = contains([for s in jsondecode(output.kms_key_policy).Statement : try(s.Principal.Service, "")], "cloudwatch.amazonaws.com")
    error_message = "CloudWatch alarms must be able to publish to the encrypted SNS topic."
  }

  assert {
    condition     = alltrue([for s in jsondecode(output.kms_key_policy).Statement : try(s.Principal.AWS, "") != "*" && s.Action != "*"])
    error_message = "The key policy must have no wildcard principal and no \"*\" action."
  }
}

run "key_readers_read_the_configuration_only" {
  command = plan

  variables {
    key_reader_arns = ["arn:aws:iam::123456789012:role/rupaya-plan-test"]
  }

  assert {
    condition = [for s in jsondecode(output.kms_key_policy).Statement : s.Action if s.Sid == "KeyConfigurationRead"] == [[
      "kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags",
    ]]
    error_message = "Readers get the key's configuration and nothing that uses or changes it."
  }

  assert {
    condition     = [for s in jsondecode(output.kms_key_policy).Statement : s.Principal.AWS if s.Sid == "KeyConfigurationRead"] == [["arn:aws:iam::123456789012:role/rupaya-plan-test"]]
    error_message = "Exactly the named readers read the key."
  }
}

run "no_readers_no_read_statement" {
  command = plan

  assert {
    condition     = length([for s in jsondecode(output.kms_key_policy).Statement : s if s.Sid == "KeyConfigurationRead"]) == 0
    error_message = "Without key_reader_arns the policy has no read statement (an empty Principal list is invalid)."
  }
}

run "secrets_are_kms_encrypted_and_named" {
  command = plan

  assert {
    condition     = aws_secretsmanager_secret.jwt.name == "rupaya-test/jwt"
    error_message = "The JWT secret must be named <name>/jwt."
  }

  assert {
    condition     = aws_secretsmanager_secret.jwt.kms_key_id == "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    error_message = "The secret must be encrypted with the module's KMS key."
  }

  assert {
    condition     = aws_secretsmanager_secret.jwt.recovery_window_in_days == 7
    error_message = "Secrets must use secret_recovery_window_days."
  }

  assert {
    condition     = aws_secretsmanager_secret.jwt.tags["Environment"] == "test"
    error_message = "Secrets must carry var.tags."
  }
}

run "rejects_short_deletion_window" {
  command = plan

  variables {
    kms_deletion_window_days = 3
  }

  expect_failures = [var.kms_deletion_window_days]
}

run "rejects_bad_recovery_window" {
  command = plan

  variables {
    secret_recovery_window_days = 5
  }

  expect_failures = [var.secret_recovery_window_days]
}

run "rejects_bad_name" {
  command = plan

  variables {
    name = "Rupaya_Dev"
  }

  expect_failures = [var.name]
}

run "rejects_the_account_root_as_administrator" {
  command = plan

  variables {
    key_administrator_arns = ["arn:aws:iam::123456789012:root"]
  }

  expect_failures = [var.key_administrator_arns]
}
