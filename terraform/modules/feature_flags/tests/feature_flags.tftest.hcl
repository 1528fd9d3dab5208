mock_provider "aws" {}

variables {
  name        = "rupaya-test"
  environment = "test"
  kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  tags        = { Environment = "test" }
}

run "hosted_profile_validated_by_the_project_schema" {
  command = plan

  assert {
    condition     = aws_appconfig_configuration_profile.flags.location_uri == "hosted" && aws_appconfig_configuration_profile.flags.type == "AWS.Freeform"
    error_message = "Flags must live in a hosted, freeform configuration profile."
  }

  assert {
    condition     = one(aws_appconfig_configuration_profile.flags.validator).type == "JSON_SCHEMA" && jsondecode(one(aws_appconfig_configuration_profile.flags.validator).content).required == ["schema_version", "flags"]
    error_message = "The profile must validate every document against flags.schema.json."
  }

  assert {
    condition     = aws_appconfig_configuration_profile.flags.kms_key_identifier == var.kms_key_arn
    error_message = "Hosted flag documents must be encrypted with the env's KMS key."
  }

  assert {
    condition     = aws_appconfig_environment.this.name == "test" && aws_appconfig_application.this.name == "rupaya-test"
    error_message = "The application is named after the stack and its environment after the env."
  }

  assert {
    condition     = aws_appconfig_application.this.tags["Environment"] == "test" && aws_appconfig_environment.this.tags["Environment"] == "test" && aws_appconfig_configuration_profile.flags.tags["Environment"] == "test"
    error_message = "Every taggable resource must carry var.tags."
  }

  assert {
    condition     = output.deployment_strategy_id == "AppConfig.AllAtOnce"
    error_message = "Flag changes deploy all at once unless the tier says otherwise."
  }
}

run "no_alarms_no_monitor_role" {
  command = plan

  assert {
    condition     = length(aws_iam_role.monitor) == 0 && length(aws_appconfig_environment.this.monitor) == 0
    error_message = "Without alarms there is nothing to watch and no role to watch it with."
  }
}

run "a_bad_flag_rollout_is_rolled_back_by_the_alarms" {
  command = plan

  variables {
    alarm_arns           = ["arn:aws:cloudwatch:us-east-1:123456789012:alarm:rupaya-test-alb-elb-5xx", "arn:aws:cloudwatch:us-east-1:123456789012:alarm:rupaya-test-alb-no-healthy-hosts"]
    permissions_boundary = "arn:aws:iam::123456789012:policy/rupaya-boundary-test"
  }

  assert {
    condition     = toset([for m in aws_appconfig_environment.this.monitor : m.alarm_arn]) == toset(var.alarm_arns)
    error_message = "The environment watches every alarm it is given during a deployment."
  }
  assert {
    condition     = aws_iam_role.monitor[0].permissions_boundary == var.permissions_boundary && strcontains(aws_iam_role.monitor[0].assume_role_policy, "appconfig.amazonaws.com")
    error_message = "AppConfig assumes a bounded role of its own to read the alarms."
  }
  assert {
    condition     = jsondecode(aws_iam_role_policy.monitor[0].policy).Statement[0].Action == "cloudwatch:DescribeAlarms" && tolist(jsondecode(aws_iam_role_policy.monitor[0].policy).Statement[0].Resource) == var.alarm_arns
    error_message = "The monitor role may only describe the watched alarms."
  }
}

run "rejects_more_monitors_than_appconfig_takes" {
  command = plan

  variables {
    alarm_arns = [for i in range(6) : "arn:aws:cloudwatch:us-east-1:123456789012:alarm:a${i}"]
  }

  expect_failures = [var.alarm_arns]
}

run "rejects_a_strategy_that_is_not_predefined" {
  command = plan

  variables {
    deployment_strategy_id = "my-strategy"
  }

  expect_failures = [var.deployment_strategy_id]
}
