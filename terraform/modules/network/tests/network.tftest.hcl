mock_provider "aws" {
  mock_data "aws_availability_zones" {
    defaults = {
      names = ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f"]
    }
  }

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

  mock_data "aws_servicequotas_service_quota" {
    defaults = {
      value = 5
    }
  }

  mock_data "aws_eips" {
    defaults = {
      allocation_ids = []
    }
  }

  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{}"
    }
  }
}

variables {
  name                    = "rupaya-test"
  cidr                    = "10.10.0.0/16"
  az_count                = 2
  nat_gateways            = "single"
  flow_log_retention_days = 7
  flow_log_kms_key_arn    = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  tags                    = { Environment = "test" }
}

run "single_nat_gateway" {
  command = plan

  assert {
    condition     = length(aws_nat_gateway.this) == 1 && length(aws_eip.nat) == 1
    error_message = "nat_gateways = single must create exactly 1 NAT gateway and 1 EIP."
  }

  assert {
    condition     = length(aws_route.private_nat) == 2
    error_message = "Every private route table needs a default route through the NAT gateway."
  }
}

run "per_az_nat_gateways" {
  command = plan

  variables {
    az_count     = 3
    nat_gateways = "per_az"
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 3
    error_message = "nat_gateways = per_az must create one NAT gateway per AZ."
  }

  assert {
    condition     = [for s in aws_nat_gateway.this : s.tags["Name"]] == ["rupaya-test-nat-us-east-1a", "rupaya-test-nat-us-east-1b", "rupaya-test-nat-us-east-1c"]
    error_message = "NAT gateways must be named after their AZ."
  }
}

run "three_subnet_tiers_per_az" {
  command = plan

  variables {
    az_count = 3
  }

  assert {
    condition     = length(aws_subnet.public) == 3 && length(aws_subnet.private) == 3 && length(aws_subnet.database) == 3
    error_message = "Each of the three subnet tiers must have one subnet per AZ."
  }

  assert {
    condition     = output.azs == tolist(["us-east-1a", "us-east-1b", "us-east-1c"])
    error_message = "The first az_count available AZs must be used."
  }

  assert {
    condition     = [for s in aws_subnet.private : s.cidr_block] == ["10.10.0.0/20", "10.10.16.0/20", "10.10.32.0/20"]
    error_message = "Private subnets must be the first /20 blocks of the VPC."
  }

  assert {
    condition     = [for s in aws_subnet.public : s.cidr_block] == ["10.10.96.0/24", "10.10.97.0/24", "10.10.98.0/24"]
    error_message = "Public subnets must be /24 blocks starting at 10.10.96.0."
  }

  assert {
    condition     = [for s in aws_subnet.database : s.cidr_block] == ["10.10.112.0/24", "10.10.113.0/24", "10.10.114.0/24"]
    error_message = "Database subnets must be /24 blocks starting at 10.10.112.0."
  }

  assert {
    condition     = alltrue([for s in aws_subnet.public : s.map_public_ip_on_launch == false])
    error_message = "Public subnets must not auto-assign public IPs."
  }
}

run "six_azs_fit_without_overlap" {
  command = plan

  variables {
    az_count = 6
    cidr     = "10.30.0.0/20"
  }

  assert {
    condition = length(distinct(concat(
      [for s in aws_subnet.private : s.cidr_block],
      [for s in aws_subnet.public : s.cidr_block],
      [for s in aws_subnet.database : s.cidr_block],
    ))) == 18
    error_message = "18 distinct subnets must be carved even from the smallest allowed VPC."
  }
}

run "database_subnets_are_isolated" {
  command = plan

  assert {
    condition     = length(aws_route_table_association.database) == 2
    error_message = "Every database subnet must be associated with the database route table."
  }

  assert {
    condition     = alltrue([for r in aws_route.private_nat : r.destination_cidr_block == "0.0.0.0/0"]) && aws_route.public_internet.destination_cidr_block == "0.0.0.0/0"
    error_message = "Only the public and private tables get a default route; the database table has none."
  }
}

run "flow_logs_are_encrypted_and_capture_all" {
  command = plan

  assert {
    condition     = aws_cloudwatch_log_group.flow_logs.kms_key_id == var.flow_log_kms_key_arn
    error_message = "The flow log group must be encrypted with the given KMS key."
  }

  assert {
    condition     = aws_cloudwatch_log_group.flow_logs.retention_in_days == 7
    error_message = "The flow log group must use flow_log_retention_days."
  }

  assert {
    condition     = aws_flow_log.this.traffic_type == "ALL" && aws_flow_log.this.log_destination_type == "cloud-watch-logs"
    error_message = "The VPC flow log must capture ALL traffic to CloudWatch Logs."
  }

  assert {
    condition     = aws_iam_role.flow_logs.name == "rupaya-test-vpc-flow-logs"
    error_message = "The delivery role name must derive from name (deploy roles may only manage <name>-* roles)."
  }
}

run "tags_are_applied" {
  command = plan

  assert {
    condition     = aws_vpc.this.tags["Environment"] == "test" && aws_vpc.this.tags["Name"] == "rupaya-test"
    error_message = "The VPC must carry var.tags and a Name tag."
  }

  assert {
    condition     = aws_vpc.this.enable_dns_hostnames && aws_vpc.this.enable_dns_support
    error_message = "DNS support and hostnames must be on."
  }
}

# Three NAT addresses with three of the region's five held by other stacks: refused at plan time,
# before anything is created (AWS would refuse the fourth allocation half-way: AddressLimitExceeded).
run "refuses_nat_addresses_past_the_elastic_ip_quota" {
  command = plan

  variables {
    az_count     = 3
    nat_gateways = "per_az"
  }

  override_data {
    target = data.aws_eips.in_region
    values = { allocation_ids = ["eipalloc-0a", "eipalloc-0b", "eipalloc-0c"] }
  }

  expect_failures = [aws_eip.nat]
}

# On a re-plan the network's own addresses are in the region's count once, not twice.
run "counts_its_own_nat_addresses_once" {
  command = plan

  variables {
    az_count     = 3
    nat_gateways = "per_az"
  }

  override_data {
    target = data.aws_eips.in_region
    values = { allocation_ids = ["eipalloc-0a", "eipalloc-0b", "eipalloc-1a", "eipalloc-1b", "eipalloc-1c"] }
  }

  override_data {
    target = data.aws_eips.this_network
    values = { allocation_ids = ["eipalloc-1a", "eipalloc-1b", "eipalloc-1c"] }
  }

  assert {
    condition     = length(aws_eip.nat) == 3
    error_message = "two addresses elsewhere and this network's three fit the quota of five"
  }
}

run "rejects_one_az" {
  command = plan

  variables {
    az_count = 1
  }

  expect_failures = [var.az_count]
}

run "no_nat_gateway" {
  command = plan

  variables {
    nat_gateways = "none"
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 0 && length(aws_eip.nat) == 0
    error_message = "nat_gateways = none must create no NAT gateway and no EIP."
  }

  assert {
    condition     = length(aws_route.private_nat) == 0 && length(aws_route_table.private) == 2
    error_message = "Without NAT the private route tables stay, with no default route out of the VPC."
  }
}

run "rejects_unknown_nat_mode" {
  command = plan

  variables {
    nat_gateways = "nat_instance"
  }

  expect_failures = [var.nat_gateways]
}

run "rejects_invalid_cidr" {
  command = plan

  variables {
    cidr = "10.10.0.1/16"
  }

  expect_failures = [var.cidr]
}

run "rejects_oversized_cidr" {
  command = plan

  variables {
    cidr = "10.0.0.0/8"
  }

  expect_failures = [var.cidr]
}

run "rejects_bad_retention" {
  command = plan

  variables {
    flow_log_retention_days = 10
  }

  expect_failures = [var.flow_log_retention_days]
}

run "rejects_non_kms_arn" {
  command = plan

  variables {
    flow_log_kms_key_arn = "alias/rupaya"
  }

  expect_failures = [var.flow_log_kms_key_arn]
}
