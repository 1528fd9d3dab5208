mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }

  mock_data "aws_region" {
    defaults = {
      name = "us-east-1"
    }
  }
}

variables {
  name                        = "rupaya-test"
  kms_multi_region            = false
  secret_recovery_window_days = 7
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

run "key_policy_grants_root_logs_and_alarms" {
  command = plan

  assert {
    condition = contains(
      [for s in jsondecode(aws_kms_key.this.policy).Statement : s.Principal.AWS if s.Sid == "EnableAccountAdministration"],
      "arn:aws:iam::123456789012:root",
    )
    error_message = "The account root must administer the key."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_kms_key.this.policy).Statement :
      s.Condition.ArnLike["kms:EncryptionContext:aws:logs:arn"] if try(s.Principal.Service, "") == "logs.us-east-1.amazonaws.com"
    ]) == "arn:aws:logs:us-east-1:123456789012:log-group:*"
    error_message = "CloudWatch Logs may use the key only for log groups of this account and Region."
  }

  assert {
    condition     = contains([for s in jsondecode(aws_kms_key.this.policy).Statement : try(s.Principal.Service, "")], "cloudwatch.amazonaws.com")
    error_message = "CloudWatch alarms must be able to publish to the encrypted SNS topic."
  }

  assert {
    condition     = alltrue([for s in jsondecode(aws_kms_key.this.policy).Statement : try(s.Principal.AWS, "") != "*" && s.Action != "*"])
    error_message = "The key policy must have no wildcard principal and no \"*\" action."
  }
}

run "secrets_are_kms_encrypted_and_named" {
  command = plan

  assert {
    condition     = aws_secretsmanager_secret.jwt.name == "rupaya-test/jwt" && aws_secretsmanager_secret.redis_auth_token.name == "rupaya-test/redis-auth-token"
    error_message = "Secrets must be named <name>/jwt and <name>/redis-auth-token."
  }

  assert {
    condition     = aws_secretsmanager_secret.jwt.recovery_window_in_days == 7 && aws_secretsmanager_secret.redis_auth_token.recovery_window_in_days == 7
    error_message = "Secrets must use secret_recovery_window_days."
  }

  assert {
    condition     = aws_secretsmanager_secret.jwt.tags["Environment"] == "test"
    error_message = "Secrets must carry var.tags."
  }
}

run "secret_values_never_land_in_state" {
  command = plan

  assert {
    condition     = aws_secretsmanager_secret_version.jwt.secret_string == null && aws_secretsmanager_secret_version.redis_auth_token.secret_string == null
    error_message = "Secret values must only be written through the write-only secret_string_wo."
  }

  assert {
    condition     = aws_secretsmanager_secret_version.jwt.secret_string_wo_version == 1 && aws_secretsmanager_secret_version.redis_auth_token.secret_string_wo_version == 1
    error_message = "The write-only version must follow secret_values_version."
  }
}

run "secrets_encrypted_with_module_key" {
  command = apply

  assert {
    condition     = aws_secretsmanager_secret.jwt.kms_key_id == aws_kms_key.this.arn && aws_secretsmanager_secret.redis_auth_token.kms_key_id == aws_kms_key.this.arn
    error_message = "Both secrets must be encrypted with the module's KMS key."
  }

  assert {
    condition     = output.kms_alias_name == "alias/rupaya-test"
    error_message = "kms_alias_name output must be the alias."
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
