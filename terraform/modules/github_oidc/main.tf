locals {
  oidc_url          = "https://token.actions.githubusercontent.com"
  oidc_host         = "token.actions.githubusercontent.com"
  oidc_provider_arn = var.create_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : var.oidc_provider_arn

  environments = toset(var.environments)

  # One JSON for all roles, or a per-environment map (keys() fails on a string).
  inline_policies = var.inline_policy_json == null ? tomap({}) : (
    can(keys(var.inline_policy_json))
    ? tomap({ for env in keys(var.inline_policy_json) : env => tostring(var.inline_policy_json[env]) })
    : tomap({ for env in var.environments : env => tostring(var.inline_policy_json) })
  )

  # setproduct keyed by "<env> <policy ARN>" (no space in either).
  policy_attachments = {
    for pair in setproduct(var.environments, var.managed_policy_arns) : "${pair[0]} ${pair[1]}" => {
      environment = pair[0]
      policy_arn  = pair[1]
    }
  }
}

resource "aws_iam_openid_connect_provider" "github" {
  count = var.create_oidc_provider ? 1 : 0

  url             = local.oidc_url
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = var.oidc_thumbprints

  tags = merge(var.tags, { Name = "github-actions" })
}

# Both aud and sub are matched exactly (StringEquals): only jobs of this
# repository that run in the named GitHub environment get the role, so a
# branch or fork cannot reach prod by editing a workflow.
data "aws_iam_policy_document" "trust" {
  for_each = local.environments

  statement {
    sid     = "GitHubActionsEnvironment"
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:sub"
      values   = ["repo:${var.github_repository}:environment:${each.key}"]
    }
  }
}

resource "aws_iam_role" "this" {
  for_each = local.environments

  name                 = "${var.role_name_prefix}-${each.key}"
  description          = "GitHub Actions deploy role for ${var.github_repository}, environment ${each.key}."
  assume_role_policy   = data.aws_iam_policy_document.trust[each.key].json
  max_session_duration = var.max_session_duration

  tags = merge(var.tags, { Name = "${var.role_name_prefix}-${each.key}", Environment = each.key })
}

resource "aws_iam_role_policy_attachment" "this" {
  for_each = local.policy_attachments

  role       = aws_iam_role.this[each.value.environment].name
  policy_arn = each.value.policy_arn
}

resource "aws_iam_role_policy" "this" {
  for_each = local.inline_policies

  name   = "${var.role_name_prefix}-${each.key}"
  role   = aws_iam_role.this[each.key].id
  policy = each.value
}
