data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  state_bucket_arn   = "arn:${local.partition}:s3:::${var.state_bucket_name}"
  deploy_role_prefix = "${var.project}-deploy"

  # Deploy role names (<project>-deploy-<env>) do not match the <project>-<env>-*
  # pattern they may manage, so a deploy role can never edit its own permissions.
  env_name = { for env in var.environments : env => "${var.project}-${env}" }
}

################################################################################
# KMS key for state
################################################################################

resource "aws_kms_key" "state" {
  description             = "${var.project}: encrypts the Terraform state bucket"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_days

  # Root delegation only: every use is granted through IAM (the deploy roles'
  # inline policies), and S3 calls KMS on the caller's behalf.
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "EnableAccountAdministration"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
    ]
  })

  tags = { Name = "${var.project}-terraform-state" }
}

resource "aws_kms_alias" "state" {
  name          = "alias/${var.project}-terraform-state"
  target_key_id = aws_kms_key.state.key_id
}

################################################################################
# State bucket
################################################################################

# prevent_destroy would be the obvious guard, but it also blocks tearing the
# emulator down; force_destroy = false (the default) already makes destroy fail
# while any state version remains.
resource "aws_s3_bucket" "state" {
  bucket        = var.state_bucket_name
  force_destroy = var.force_destroy

  tags = { Name = var.state_bucket_name }
}

resource "aws_s3_bucket_ownership_controls" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "state" {
  bucket = aws_s3_bucket.state.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "state" {
  bucket = aws_s3_bucket.state.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.state.arn
    }
    # Bucket keys cut the KMS requests (and cost) of every state read/write.
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    id     = "expire-noncurrent-state-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  # Lifecycle rules on noncurrent versions need versioning in place first.
  depends_on = [aws_s3_bucket_versioning.state]
}

resource "aws_s3_bucket_policy" "state" {
  bucket = aws_s3_bucket.state.id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid       = "DenyInsecureTransport"
          Effect    = "Deny"
          Principal = { AWS = "*" }
          Action    = "s3:*"
          Resource  = [local.state_bucket_arn, "${local.state_bucket_arn}/*"]
          Condition = { Bool = { "aws:SecureTransport" = "false" } }
        },
        {
          # Every PutObject must ask for aws:kms: one with SSE-S3 (a backend with
          # encrypt = true but no kms_key_id) or with no header at all (IfExists) is denied.
          Sid       = "DenyNonKmsEncryptionHeader"
          Effect    = "Deny"
          Principal = { AWS = "*" }
          Action    = "s3:PutObject"
          Resource  = "${local.state_bucket_arn}/*"
          Condition = { StringNotEqualsIfExists = { "s3:x-amz-server-side-encryption" = "aws:kms" } }
        },
        {
          # PowerUserAccess would otherwise let CI reconfigure or delete the bucket.
          Sid       = "DenyDeployRolesBucketAdministration"
          Effect    = "Deny"
          Principal = { AWS = "*" }
          Action = [
            "s3:DeleteBucket",
            "s3:DeleteBucketPolicy",
            "s3:PutBucketAcl",
            "s3:PutBucketOwnershipControls",
            "s3:PutBucketPolicy",
            "s3:PutBucketPublicAccessBlock",
            "s3:PutBucketVersioning",
            "s3:PutEncryptionConfiguration",
            "s3:PutLifecycleConfiguration",
          ]
          Resource  = local.state_bucket_arn
          Condition = { ArnLike = { "aws:PrincipalArn" = values(module.github_oidc.role_arns) } }
        },
      ],
      [
        # Each deploy role reaches only its own environment's state and lock file.
        for env, role_arn in module.github_oidc.role_arns : {
          Sid         = "DenyDeployRole${replace(title(env), "-", "")}OtherState"
          Effect      = "Deny"
          Principal   = { AWS = "*" }
          Action      = ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"]
          NotResource = "${local.state_bucket_arn}/envs/${env}/*"
          Condition   = { ArnEquals = { "aws:PrincipalArn" = role_arn } }
        }
      ],
    )
  })

  depends_on = [aws_s3_bucket_public_access_block.state]
}

################################################################################
# GitHub OIDC deploy roles
################################################################################

data "aws_iam_policy_document" "deploy" {
  for_each = toset(var.environments)

  statement {
    sid = "ManageEnvironmentRoles"
    actions = [
      "iam:CreateRole",
      "iam:DeleteRole",
      "iam:GetRole",
      "iam:UpdateRole",
      "iam:UpdateRoleDescription",
      "iam:UpdateAssumeRolePolicy",
      "iam:TagRole",
      "iam:UntagRole",
      "iam:ListRoleTags",
      "iam:PutRolePolicy",
      "iam:GetRolePolicy",
      "iam:DeleteRolePolicy",
      "iam:ListRolePolicies",
      "iam:ListAttachedRolePolicies",
      "iam:ListInstanceProfilesForRole",
      "iam:PassRole",
    ]
    resources = ["arn:${local.partition}:iam::${local.account_id}:role/${local.env_name[each.key]}-*"]
  }

  # Only AWS service-role policies and the environment's own policies may be
  # attached, so CI cannot hand an environment role AdministratorAccess.
  statement {
    sid       = "AttachScopedPolicies"
    actions   = ["iam:AttachRolePolicy", "iam:DetachRolePolicy"]
    resources = ["arn:${local.partition}:iam::${local.account_id}:role/${local.env_name[each.key]}-*"]

    condition {
      test     = "ArnLike"
      variable = "iam:PolicyARN"
      values = [
        "arn:${local.partition}:iam::aws:policy/service-role/*",
        "arn:${local.partition}:iam::${local.account_id}:policy/${local.env_name[each.key]}-*",
      ]
    }
  }

  statement {
    sid = "ManageEnvironmentPolicies"
    actions = [
      "iam:CreatePolicy",
      "iam:DeletePolicy",
      "iam:GetPolicy",
      "iam:GetPolicyVersion",
      "iam:ListPolicyVersions",
      "iam:CreatePolicyVersion",
      "iam:DeletePolicyVersion",
      "iam:TagPolicy",
      "iam:UntagPolicy",
      "iam:ListPolicyTags",
    ]
    resources = ["arn:${local.partition}:iam::${local.account_id}:policy/${local.env_name[each.key]}-*"]
  }

  statement {
    sid       = "ReadAwsManagedPolicies"
    actions   = ["iam:GetPolicy", "iam:GetPolicyVersion"]
    resources = ["arn:${local.partition}:iam::aws:policy/*"]
  }

  statement {
    sid       = "ListStateBucket"
    actions   = ["s3:ListBucket"]
    resources = [local.state_bucket_arn]
  }

  # State and its lock file (use_lockfile writes <key>.tflock next to the state).
  statement {
    sid       = "ReadWriteOwnState"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${local.state_bucket_arn}/envs/${each.key}/*"]
  }

  statement {
    sid       = "UseStateKey"
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    resources = [aws_kms_key.state.arn]
  }
}

module "github_oidc" {
  source = "../modules/github_oidc"

  create_oidc_provider = var.create_oidc_provider
  oidc_provider_arn    = var.oidc_provider_arn
  github_repository    = var.github_repository
  environments         = var.environments
  role_name_prefix     = local.deploy_role_prefix
  max_session_duration = var.deploy_role_max_session_duration

  # PowerUserAccess covers every service of the env roots except IAM; the
  # inline policy adds IAM scoped to the environment's own roles and policies,
  # and the state bucket/key (kept explicit so they survive a narrower
  # managed policy later).
  managed_policy_arns = ["arn:${local.partition}:iam::aws:policy/PowerUserAccess"]
  inline_policy_json  = { for env, doc in data.aws_iam_policy_document.deploy : env => doc.json }

  tags = { Component = "github-oidc" }
}
