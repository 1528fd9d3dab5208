data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
}

################################################################################
# KMS key
################################################################################

locals {
  # Read-only roles (the env's plan role) see the key's configuration, and use it for nothing.
  key_readers = length(var.key_reader_arns) == 0 ? [] : [{
    Sid       = "KeyConfigurationRead"
    Effect    = "Allow"
    Principal = { AWS = var.key_reader_arns }
    Action    = ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"]
    Resource  = "*"
  }]

  # A key policy is a resource policy: "Resource": "*" in it means "this key". It names every
  # principal that may use the key; nothing is delegated to the account root, so no IAM policy
  # elsewhere in the account (PowerUserAccess's kms:*, say) reaches this key.
  key_policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(local.key_readers, [
      {
        # Managing the key, never using it; the applying role must be here (KMS refuses a policy
        # that would lock its caller out).
        Sid       = "KeyAdministration"
        Effect    = "Allow"
        Principal = { AWS = var.key_administrator_arns }
        Action = [
          "kms:CancelKeyDeletion", "kms:CreateAlias", "kms:DeleteAlias", "kms:DescribeKey", "kms:DisableKey",
          "kms:DisableKeyRotation", "kms:EnableKey", "kms:EnableKeyRotation", "kms:GetKeyPolicy",
          "kms:GetKeyRotationStatus", "kms:ListAliases", "kms:ListGrants", "kms:ListKeyPolicies",
          "kms:ListResourceTags", "kms:PutKeyPolicy", "kms:ReplicateKey", "kms:RevokeGrant",
          "kms:RotateKeyOnDemand", "kms:ScheduleKeyDeletion", "kms:TagResource", "kms:UntagResource",
          "kms:UpdateAlias", "kms:UpdateKeyDescription", "kms:UpdatePrimaryRegion",
        ]
        Resource = "*"
      },
      {
        # The named roles that encrypt and decrypt: the deploy role, and the env's workload roles.
        Sid       = "KeyUse"
        Effect    = "Allow"
        Principal = { AWS = var.key_user_arns }
        Action    = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]
        Resource  = "*"
      },
      {
        # RDS, ElastiCache, ECR and Secrets Manager keep data encrypted through grants, made on a named
        # user's behalf and only for an AWS resource.
        Sid       = "GrantsForAwsResources"
        Effect    = "Allow"
        Principal = { AWS = var.key_user_arns }
        Action    = ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]
        Resource  = "*"
        Condition = { Bool = { "kms:GrantIsForAWSResource" = "true" } }
      },
      {
        # CloudWatch Logs calls KMS itself; the context condition limits it to
        # log groups of this account and Region.
        Sid       = "AllowCloudWatchLogs"
        Effect    = "Allow"
        Principal = { Service = "logs.${local.region}.amazonaws.com" }
        Action = [
          "kms:Encrypt*",
          "kms:Decrypt*",
          "kms:ReEncrypt*",
          "kms:GenerateDataKey*",
          "kms:Describe*",
        ]
        Resource = "*"
        Condition = {
          ArnLike = {
            "kms:EncryptionContext:aws:logs:arn" = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:*"
          }
        }
      },
      {
        # CloudWatch alarms publish to the KMS-encrypted SNS topic.
        Sid       = "AllowCloudWatchAlarmsToEncryptedSns"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action = [
          "kms:Decrypt",
          "kms:GenerateDataKey*",
        ]
        Resource  = "*"
        Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
      },
    ])
  })
}

resource "aws_kms_key" "this" {
  description             = "${var.name}: encrypts logs, alarms, secrets, database, cache and images"
  key_usage               = "ENCRYPT_DECRYPT"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_days
  multi_region            = var.kms_multi_region
  policy                  = local.key_policy

  tags = merge(var.tags, { Name = var.name })
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}"
  target_key_id = aws_kms_key.this.key_id
}

################################################################################
# Secrets
################################################################################

# The secret only: its value is set by `infra secrets init` (the deploy role, in the apply job),
# never by Terraform. A value Terraform writes (even write-only, from an ephemeral generator) makes
# every plan read it back (GetSecretValue on refresh) or generate one (GetRandomPassword), which a
# read-only plan role must not be able to do. So the value is never in a plan, a state, or a plan role's reach.
resource "aws_secretsmanager_secret" "jwt" {
  name                    = "${var.name}/jwt"
  description             = "JWT signing secret of ${var.name}; its value is set by `infra secrets init`."
  kms_key_id              = aws_kms_key.this.arn
  recovery_window_in_days = var.secret_recovery_window_days

  tags = var.tags
}
