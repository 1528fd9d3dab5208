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
  github_repository = "rupaya/rupaya"
  roles = {
    "rupaya-deploy-prod" = {
      description   = "Deploys prod."
      subjects      = ["repo:rupaya/rupaya:environment:prod:job_workflow_ref:rupaya/rupaya/.github/workflows/deploy-pipeline.yml@refs/heads/main"]
      inline_policy = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b/envs/prod/*\"}]}"
      tags          = { Environment = "prod" }
    }
    "rupaya-plan-prod" = {
      description         = "Plans prod."
      subjects            = ["repo:rupaya/rupaya:pull_request:job_workflow_ref:rupaya/rupaya/.github/workflows/deploy-pipeline.yml@refs/pull/*"]
      inline_policy       = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"ec2:Describe*\",\"Resource\":\"*\"}]}"
      managed_policy_arns = ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    }
  }
  tags = { Project = "rupaya" }
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

run "one_role_per_entry_with_its_policies" {
  command = plan

  assert {
    condition     = keys(aws_iam_role.this) == ["rupaya-deploy-prod", "rupaya-plan-prod"]
    error_message = "There must be one role per entry of roles, named by its key."
  }

  assert {
    condition     = aws_iam_role.this["rupaya-deploy-prod"].max_session_duration == 3600 && aws_iam_role.this["rupaya-deploy-prod"].tags["Environment"] == "prod"
    error_message = "Roles must use max_session_duration and carry their tags."
  }

  assert {
    condition     = keys(aws_iam_role_policy.this) == ["rupaya-deploy-prod", "rupaya-plan-prod"] && strcontains(aws_iam_role_policy.this["rupaya-deploy-prod"].policy, "envs/prod/")
    error_message = "Each role must carry its own inline policy."
  }

  assert {
    condition     = keys(aws_iam_role_policy_attachment.this) == ["rupaya-plan-prod arn:aws:iam::aws:policy/ReadOnlyAccess"]
    error_message = "Managed policies attach to their role only."
  }
}

run "trust_pins_audience_and_the_subjects" {
  command = plan

  assert {
    condition     = one(data.aws_iam_policy_document.trust["rupaya-deploy-prod"].statement[0].actions) == "sts:AssumeRoleWithWebIdentity"
    error_message = "The trust policy must only allow sts:AssumeRoleWithWebIdentity."
  }

  assert {
    condition     = one(data.aws_iam_policy_document.trust["rupaya-deploy-prod"].statement[0].principals).identifiers == toset(["arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"])
    error_message = "The trusted principal must be the GitHub OIDC provider."
  }

  assert {
    condition = {
      for c in data.aws_iam_policy_document.trust["rupaya-deploy-prod"].statement[0].condition : c.variable => "${c.test} ${join(" ", sort(c.values))}"
      } == {
      "token.actions.githubusercontent.com:aud" = "StringEquals sts.amazonaws.com"
      "token.actions.githubusercontent.com:sub" = "StringLike repo:rupaya/rupaya:environment:prod:job_workflow_ref:rupaya/rupaya/.github/workflows/deploy-pipeline.yml@refs/heads/main"
    }
    error_message = "aud must equal sts.amazonaws.com, and sub must match exactly the role's subjects."
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

run "rejects_a_subject_of_another_repository" {
  command = plan

  variables {
    roles = {
      "r" = {
        description   = "x"
        subjects      = ["repo:evil/rupaya:environment:prod"]
        inline_policy = "{\"Statement\":[]}"
      }
    }
  }

  expect_failures = [var.roles]
}

run "rejects_a_wildcard_environment" {
  command = plan

  variables {
    roles = {
      "r" = {
        description   = "x"
        subjects      = ["repo:rupaya/rupaya:environment:*"]
        inline_policy = "{\"Statement\":[]}"
      }
    }
  }

  expect_failures = [var.roles]
}

run "rejects_administrator_access" {
  command = plan

  variables {
    roles = {
      "r" = {
        description         = "x"
        subjects            = ["repo:rupaya/rupaya:environment:dev"]
        inline_policy       = "{\"Statement\":[]}"
        managed_policy_arns = ["arn:aws:iam::aws:policy/AdministratorAccess"]
      }
    }
  }

  expect_failures = [var.roles]
}

run "rejects_an_inline_policy_that_is_not_a_document" {
  command = plan

  variables {
    roles = {
      "r" = {
        description   = "x"
        subjects      = ["repo:rupaya/rupaya:environment:dev"]
        inline_policy = "[]"
      }
    }
  }

  expect_failures = [var.roles]
}

run "rejects_short_session_duration" {
  command = plan

  variables {
    max_session_duration = 900
  }

  expect_failures = [var.max_session_duration]
}
