mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{}"
    }
  }

  mock_resource "aws_iam_openid_connect_provider" {
    override_during = plan
    defaults = {
      arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    }
  }
}

variables {
  github_repository   = "rupaya/rupaya"
  environments        = ["dev", "staging", "prod"]
  role_name_prefix    = "rupaya-deploy"
  managed_policy_arns = ["arn:aws:iam::aws:policy/PowerUserAccess"]
  tags                = { Project = "rupaya" }
}

run "creates_provider_for_github_with_sts_audience" {
  command = plan

  assert {
    condition     = length(aws_iam_openid_connect_provider.github) == 1
    error_message = "create_oidc_provider = true must create the OIDC provider."
  }

  assert {
    condition     = aws_iam_openid_connect_provider.github[0].url == "https://token.actions.githubusercontent.com"
    error_message = "The provider must point at GitHub Actions' token issuer."
  }

  assert {
    condition     = aws_iam_openid_connect_provider.github[0].client_id_list == toset(["sts.amazonaws.com"])
    error_message = "The only audience must be sts.amazonaws.com."
  }
}

run "one_role_per_environment" {
  command = plan

  assert {
    condition     = keys(aws_iam_role.this) == ["dev", "prod", "staging"]
    error_message = "There must be one role per environment."
  }

  assert {
    condition     = output.role_names == { dev = "rupaya-deploy-dev", prod = "rupaya-deploy-prod", staging = "rupaya-deploy-staging" }
    error_message = "Roles must be named <role_name_prefix>-<environment>."
  }

  assert {
    condition     = aws_iam_role.this["prod"].max_session_duration == 3600 && aws_iam_role.this["prod"].tags["Environment"] == "prod"
    error_message = "Roles must use max_session_duration and carry an Environment tag."
  }

  assert {
    condition     = length(aws_iam_role_policy_attachment.this) == 3
    error_message = "Every managed policy must be attached to every role."
  }
}

run "trust_is_pinned_to_repository_environment_and_audience" {
  command = plan

  assert {
    condition     = one(data.aws_iam_policy_document.trust["prod"].statement[0].actions) == "sts:AssumeRoleWithWebIdentity"
    error_message = "The trust policy must only allow sts:AssumeRoleWithWebIdentity."
  }

  assert {
    condition     = one(data.aws_iam_policy_document.trust["prod"].statement[0].principals).identifiers == toset(["arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"])
    error_message = "The trusted principal must be the GitHub OIDC provider."
  }

  assert {
    condition = alltrue([
      for c in data.aws_iam_policy_document.trust["prod"].statement[0].condition : c.test == "StringEquals"
    ])
    error_message = "aud and sub must be matched exactly (StringEquals), never with wildcards."
  }

  assert {
    condition = {
      for c in data.aws_iam_policy_document.trust["prod"].statement[0].condition : c.variable => one(c.values)
      } == {
      "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com"
      "token.actions.githubusercontent.com:sub" = "repo:rupaya/rupaya:environment:prod"
    }
    error_message = "The prod role must trust only repo:rupaya/rupaya:environment:prod with audience sts.amazonaws.com."
  }

  assert {
    condition = [
      for c in data.aws_iam_policy_document.trust["dev"].statement[0].condition : one(c.values) if c.variable == "token.actions.githubusercontent.com:sub"
    ] == ["repo:rupaya/rupaya:environment:dev"]
    error_message = "Each role must trust only its own environment."
  }
}

run "existing_provider_is_reused" {
  command = plan

  variables {
    create_oidc_provider = false
    oidc_provider_arn    = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
  }

  assert {
    condition     = length(aws_iam_openid_connect_provider.github) == 0
    error_message = "create_oidc_provider = false must not create a provider."
  }

  assert {
    condition     = output.oidc_provider_arn == "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    error_message = "The given provider ARN must be used and output."
  }
}

run "shared_inline_policy_goes_to_every_role" {
  command = plan

  variables {
    inline_policy_json = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b/k\"}]}"
  }

  assert {
    condition     = keys(aws_iam_role_policy.this) == ["dev", "prod", "staging"]
    error_message = "A single JSON document must become the inline policy of every role."
  }
}

run "per_environment_inline_policies" {
  command = plan

  variables {
    inline_policy_json = {
      prod = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b/envs/prod/*\"}]}"
    }
  }

  assert {
    condition     = keys(aws_iam_role_policy.this) == ["prod"] && strcontains(aws_iam_role_policy.this["prod"].policy, "envs/prod/")
    error_message = "A map must give each listed environment its own inline policy and no policy to the others."
  }
}

run "rejects_missing_provider_arn" {
  command = plan

  variables {
    create_oidc_provider = false
  }

  expect_failures = [var.oidc_provider_arn]
}

run "rejects_wildcard_repository" {
  command = plan

  variables {
    github_repository = "rupaya/*"
  }

  expect_failures = [var.github_repository]
}

run "rejects_duplicate_environments" {
  command = plan

  variables {
    environments = ["dev", "dev"]
  }

  expect_failures = [var.environments]
}

run "rejects_administrator_access" {
  command = plan

  variables {
    managed_policy_arns = ["arn:aws:iam::aws:policy/AdministratorAccess"]
  }

  expect_failures = [var.managed_policy_arns]
}

run "rejects_inline_policy_for_unknown_environment" {
  command = plan

  variables {
    inline_policy_json = {
      production = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }

  expect_failures = [var.inline_policy_json]
}

run "rejects_short_session_duration" {
  command = plan

  variables {
    max_session_duration = 900
  }

  expect_failures = [var.max_session_duration]
}
