# The region's default AZs only: an opt-in zone (a Local Zone, say) is not one RDS, ElastiCache and the
# ALB all serve, and zone IDs the operator excludes (one short of an instance type, say) are skipped.
data "aws_availability_zones" "available" {
  state            = "available"
  exclude_zone_ids = var.excluded_zone_ids

  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }

  lifecycle {
    postcondition {
      condition     = length(self.names) >= var.az_count
      error_message = "The region offers ${length(self.names)} usable availability zone(s) (default zones, less excluded_zone_ids), fewer than the tier's az_count of ${var.az_count}."
    }
  }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

# The NAT gateways' Elastic IPs against the region's quota, read at plan time, so that an apply
# that would fail half-way with AddressLimitExceeded is refused before it starts (see aws_eip.nat).
data "aws_servicequotas_service_quota" "elastic_ips" {
  service_code = "ec2"
  quota_code   = "L-0263D0A3" # EC2-VPC Elastic IPs per region (5 by default)
}

data "aws_eips" "in_region" {}

data "aws_eips" "this_network" {
  tags = { Name = "${var.name}-nat-*" }
}

locals {
  azs = slice(data.aws_availability_zones.available.names, 0, var.az_count)

  # Fixed layout, independent of az_count, so adding an AZ later never renumbers
  # existing subnets: private subnets get the first six 1/16 blocks of the VPC
  # (room for tasks), public and database subnets get 1/256 blocks in the
  # seventh and eighth 1/16 blocks. For a /16: private /20, public and database /24.
  private_cidrs  = [for i in range(var.az_count) : cidrsubnet(var.cidr, 4, i)]
  public_cidrs   = [for i in range(var.az_count) : cidrsubnet(var.cidr, 8, 96 + i)]
  database_cidrs = [for i in range(var.az_count) : cidrsubnet(var.cidr, 8, 112 + i)]

  nat_count = { none = 0, single = 1, per_az = var.az_count }[var.nat_gateways]
  # Addresses in the region not already this network's (on a re-plan its own are counted once).
  eips_elsewhere = length(data.aws_eips.in_region.allocation_ids) - length(data.aws_eips.this_network.allocation_ids)

  flow_log_group_name = "/aws/vpc-flow-logs/${var.name}"
}

resource "aws_vpc" "this" {
  cidr_block           = var.cidr
  enable_dns_support   = true
  enable_dns_hostnames = true # needed for private DNS of interface endpoints and RDS/ElastiCache names

  tags = merge(var.tags, { Name = var.name })
}

# Take over the default security group and leave it without rules, so nothing
# placed in it by accident gets any traffic.
resource "aws_default_security_group" "this" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-default-deny" })
}

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = var.name })
}

################################################################################
# Subnets
################################################################################

resource "aws_subnet" "public" {
  count = var.az_count

  vpc_id            = aws_vpc.this.id
  cidr_block        = local.public_cidrs[count.index]
  availability_zone = local.azs[count.index]
  # The ALB and the NAT gateways live here, and in a tier without NAT the ECS tasks too; none of
  # them takes an auto-assigned address (ECS assigns the tasks' own with assign_public_ip).
  map_public_ip_on_launch = false

  tags = merge(var.tags, { Name = "${var.name}-public-${local.azs[count.index]}", Tier = "public" })
}

resource "aws_subnet" "private" {
  count = var.az_count

  vpc_id            = aws_vpc.this.id
  cidr_block        = local.private_cidrs[count.index]
  availability_zone = local.azs[count.index]

  tags = merge(var.tags, { Name = "${var.name}-private-${local.azs[count.index]}", Tier = "private" })
}

resource "aws_subnet" "database" {
  count = var.az_count

  vpc_id            = aws_vpc.this.id
  cidr_block        = local.database_cidrs[count.index]
  availability_zone = local.azs[count.index]

  tags = merge(var.tags, { Name = "${var.name}-database-${local.azs[count.index]}", Tier = "database" })
}

################################################################################
# NAT gateways
################################################################################

resource "aws_eip" "nat" {
  count = local.nat_count

  domain = "vpc"

  tags = merge(var.tags, { Name = "${var.name}-nat-${local.azs[count.index]}" })

  depends_on = [aws_internet_gateway.this]

  lifecycle {
    # The addresses other stacks hold, plus this network's NAT addresses, within the quota.
    precondition {
      condition     = local.eips_elsewhere + local.nat_count <= data.aws_servicequotas_service_quota.elastic_ips.value
      error_message = "${var.name} needs ${local.nat_count} Elastic IP(s) for its NAT gateway(s), and ${local.eips_elsewhere} of the ${data.aws_servicequotas_service_quota.elastic_ips.value} that ${data.aws_region.current.name} allows this account (quota L-0263D0A3) are held elsewhere: request an increase in Service Quotas, or release addresses, before applying."
    }
  }
}

resource "aws_nat_gateway" "this" {
  count = local.nat_count

  allocation_id = aws_eip.nat[count.index].id
  subnet_id     = aws_subnet.public[count.index].id

  tags = merge(var.tags, { Name = "${var.name}-nat-${local.azs[count.index]}" })

  depends_on = [aws_internet_gateway.this]
}

################################################################################
# Routing
################################################################################

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-public" })
}

resource "aws_route" "public_internet" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.this.id
}

resource "aws_route_table_association" "public" {
  count = var.az_count

  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public.id
}

# One table per AZ even with a single NAT gateway, so switching to per_az only
# changes routes, never subnet associations.
resource "aws_route_table" "private" {
  count = var.az_count

  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-private-${local.azs[count.index]}" })
}

resource "aws_route" "private_nat" {
  count = local.nat_count > 0 ? var.az_count : 0

  route_table_id         = aws_route_table.private[count.index].id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.this[var.nat_gateways == "single" ? 0 : count.index].id
}

resource "aws_route_table_association" "private" {
  count = var.az_count

  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private[count.index].id
}

# Database subnets get no route out of the VPC: RDS and ElastiCache never
# initiate connections to the internet.
resource "aws_route_table" "database" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-database" })
}

resource "aws_route_table_association" "database" {
  count = var.az_count

  subnet_id      = aws_subnet.database[count.index].id
  route_table_id = aws_route_table.database.id
}

################################################################################
# VPC flow logs
################################################################################

resource "aws_cloudwatch_log_group" "flow_logs" {
  name              = local.flow_log_group_name
  retention_in_days = var.flow_log_retention_days
  kms_key_id        = var.flow_log_kms_key_arn

  tags = var.tags
}

data "aws_iam_policy_document" "flow_logs_assume" {
  statement {
    sid     = "VpcFlowLogsAssume"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["vpc-flow-logs.amazonaws.com"]
    }

    # Confused-deputy guard: only flow logs of this account may use the role.
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "flow_logs" {
  name                 = "${var.name}-vpc-flow-logs"
  permissions_boundary = var.permissions_boundary
  description          = "Delivers the VPC flow logs of ${var.name} to CloudWatch Logs."
  assume_role_policy   = data.aws_iam_policy_document.flow_logs_assume.json

  tags = var.tags
}

data "aws_iam_policy_document" "flow_logs" {
  statement {
    sid = "WriteFlowLogs"
    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "logs:DescribeLogStreams",
    ]
    resources = [
      aws_cloudwatch_log_group.flow_logs.arn,
      "${aws_cloudwatch_log_group.flow_logs.arn}:*",
    ]
  }

  statement {
    sid       = "DescribeLogGroups"
    actions   = ["logs:DescribeLogGroups"]
    resources = ["arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:*"]
  }
}

resource "aws_iam_role_policy" "flow_logs" {
  name   = "${var.name}-vpc-flow-logs"
  role   = aws_iam_role.flow_logs.id
  policy = data.aws_iam_policy_document.flow_logs.json
}

resource "aws_flow_log" "this" {
  vpc_id               = aws_vpc.this.id
  traffic_type         = var.flow_log_traffic_type
  log_destination_type = "cloud-watch-logs"
  log_destination      = aws_cloudwatch_log_group.flow_logs.arn
  iam_role_arn         = aws_iam_role.flow_logs.arn

  tags = merge(var.tags, { Name = var.name })
}
