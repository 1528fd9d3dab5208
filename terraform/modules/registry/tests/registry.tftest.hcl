mock_provider "aws" {}

variables {
  repository_name = "rupaya-backend"
  kms_key_arn     = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  tags            = { Environment = "test" }
}

run "secure_defaults" {
  command = plan

  assert {
    condition     = aws_ecr_repository.this.image_tag_mutability == "IMMUTABLE"
    error_message = "Tags must be immutable by default."
  }

  assert {
    condition     = aws_ecr_repository.this.image_scanning_configuration[0].scan_on_push == true
    error_message = "Images must be scanned on push by default."
  }

  assert {
    condition     = aws_ecr_repository.this.force_delete == false
    error_message = "force_delete must be off by default."
  }

  assert {
    condition     = aws_ecr_repository.this.encryption_configuration[0].encryption_type == "KMS" && aws_ecr_repository.this.encryption_configuration[0].kms_key == var.kms_key_arn
    error_message = "The repository must be encrypted with the given customer-managed KMS key."
  }

  assert {
    condition     = aws_ecr_repository.this.tags["Environment"] == "test"
    error_message = "The repository must carry var.tags."
  }
}

run "lifecycle_policy_expires_untagged_then_keeps_last_n" {
  command = plan

  variables {
    keep_last_images     = 15
    untagged_expire_days = 3
  }

  assert {
    condition     = jsondecode(aws_ecr_lifecycle_policy.this.policy).rules[0].selection.tagStatus == "untagged" && jsondecode(aws_ecr_lifecycle_policy.this.policy).rules[0].selection.countNumber == 3
    error_message = "Rule 1 must expire untagged images after untagged_expire_days."
  }

  assert {
    condition     = jsondecode(aws_ecr_lifecycle_policy.this.policy).rules[1].selection.tagStatus == "any" && jsondecode(aws_ecr_lifecycle_policy.this.policy).rules[1].selection.countNumber == 15
    error_message = "The last rule must keep the keep_last_images most recent images."
  }
}

run "explicit_opt_out" {
  command = plan

  variables {
    image_tag_mutability = "MUTABLE"
    force_delete         = true
  }

  assert {
    condition     = aws_ecr_repository.this.image_tag_mutability == "MUTABLE" && aws_ecr_repository.this.force_delete == true
    error_message = "A caller must be able to turn safeguards off explicitly."
  }
}

run "rejects_unknown_mutability" {
  command = plan

  variables {
    image_tag_mutability = "immutable"
  }

  expect_failures = [var.image_tag_mutability]
}

run "rejects_uppercase_repository_name" {
  command = plan

  variables {
    repository_name = "Rupaya-Backend"
  }

  expect_failures = [var.repository_name]
}

run "rejects_non_kms_arn" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:s3:::bucket"
  }

  expect_failures = [var.kms_key_arn]
}

run "rejects_zero_images_kept" {
  command = plan

  variables {
    keep_last_images = 0
  }

  expect_failures = [var.keep_last_images]
}
