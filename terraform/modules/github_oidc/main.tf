locals {
  oidc_url          = "https://token.actions.githubusercontent.com"
  oidc_host         = "token.actions.githubusercontent.com"
  oidc_provider_arn = var.create_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : var.oidc_provider_arn

  # setproduct keyed by "<role> <policy ARN>" (no space in either).
  policy_attachments = merge([
    for name, role in var.roles : {
      for arn in role.managed_policy_arns : "${name} ${arn}" => { role = name, policy_arn = arn }
    }
  ]...)
}

resource "aws_iam_openid_connect_provider" "github" {
  count = var.create_oidc_provider ? 1 : 0

  url             = local.oidc_url
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = var.oidc_thumbprints

  tags = merge(var.tags, { Name = "github-actions" })
}

# aud is matched exactly; sub with StringLike against the role's subjects, each of which starts with
# repo:<org>/<repo>: (a variable validation refuses anything else). With the repository's customised
# claim template (repo, context, job_workflow_ref) a subject names the GitHub environment or the event,
# and the workflow file and ref that run the job: a role can require the deploy pipeline on main.
data "aws_iam_policy_document" "trust" {
  for_each = var.roles

  statement {
    sid     = "GitHubActions"
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
      test     = "StringLike"
      variable = "${local.oidc_host}:sub"
      values   = each.value.subjects
    }

    dynamic "condition" {
      for_each = length(each.value.subjects_excluded) > 0 ? [1] : []
      content {
        test     = "StringNotLike"
        variable = "${local.oidc_host}:sub"
        values   = each.value.subjects_excluded
      }
    }
  }
}

resource "aws_iam_role" "this" {
  for_each = var.roles

  name                 = each.key
  description          = each.value.description
  assume_role_policy   = data.aws_iam_policy_document.trust[each.key].json
  max_session_duration = var.max_session_duration
  permissions_boundary = each.value.permissions_boundary

  tags = merge(var.tags, each.value.tags, { Name = each.key })

  lifecycle {
    precondition {
      # IAM refuses a longer trust policy (the quota can be raised to 4,096).
      condition     = length(data.aws_iam_policy_document.trust[each.key].minified_json) <= var.max_trust_policy_length
      error_message = "The trust policy of ${each.key} is ${length(data.aws_iam_policy_document.trust[each.key].minified_json)} characters, over IAM's ${var.max_trust_policy_length}: name fewer subjects (workflows or refs), or raise the quota and max_trust_policy_length."
    }
  }
}

resource "aws_iam_role_policy_attachment" "this" {
  for_each = local.policy_attachments

  role       = aws_iam_role.this[each.value.role].name
  policy_arn = each.value.policy_arn
}

resource "aws_iam_role_policy" "this" {
  for_each = var.roles

  name   = each.key
  role   = aws_iam_role.this[each.key].id
  policy = each.value.inline_policy
}
