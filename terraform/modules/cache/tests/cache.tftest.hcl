mock_provider "aws" {}

variables {
  name                       = "rupaya-test"
  engine_version             = "7.1"
  node_type                  = "cache.t3.micro"
  cluster_mode               = false
  shards                     = 1
  replicas_per_shard         = 0
  multi_az                   = false
  vpc_id                     = "vpc-0123456789abcdef0"
  subnet_ids                 = ["subnet-0000000000000000a", "subnet-0000000000000000b"]
  availability_zones         = ["us-east-1a", "us-east-1b"]
  allowed_security_group_ids = ["sg-0000000000000000a"]
  kms_key_arn                = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  tags                       = { Environment = "test" }
}

run "dev_single_node_is_still_an_encrypted_replication_group" {
  command = plan

  assert {
    condition     = aws_elasticache_replication_group.this.num_cache_clusters == 1
    error_message = "a single node is a replication group with num_cache_clusters = 1"
  }
  assert {
    condition     = aws_elasticache_replication_group.this.at_rest_encryption_enabled == "true" && aws_elasticache_replication_group.this.kms_key_id == var.kms_key_arn && aws_elasticache_replication_group.this.transit_encryption_enabled == true
    error_message = "at-rest (customer key) and in-transit encryption are on"
  }
  assert {
    condition     = aws_elasticache_replication_group.this.auth_token == null && length(aws_elasticache_replication_group.this.user_group_ids) == 1
    error_message = "no AUTH token (it would sit in state): clients sign in with IAM through the user group"
  }
  assert {
    condition     = aws_elasticache_user.app.authentication_mode[0].type == "iam" && aws_elasticache_user.app.user_id == aws_elasticache_user.app.user_name
    error_message = "the application's user signs in with IAM, and IAM users need user_id == user_name"
  }
  assert {
    condition     = aws_elasticache_user.default.user_name == "default" && startswith(aws_elasticache_user.default.access_string, "off ")
    error_message = "the user named default, which every group must hold, is switched off"
  }
  assert {
    condition     = toset(aws_elasticache_user_group.this.user_ids) == toset(["rupaya-test-default", "rupaya-test-app"])
    error_message = "the group holds the switched-off default user and the application's user, nobody else"
  }
  assert {
    condition     = aws_elasticache_replication_group.this.automatic_failover_enabled == false && aws_elasticache_replication_group.this.multi_az_enabled == false
    error_message = "no failover without replicas"
  }
  assert {
    condition     = !anytrue([for p in aws_elasticache_parameter_group.this[0].parameter : p.name == "cluster-enabled" && p.value == "yes"]) && aws_elasticache_parameter_group.this[0].family == "redis7"
    error_message = "redis7 parameter group with cluster mode off"
  }
  assert {
    condition     = length(aws_vpc_security_group_ingress_rule.redis) == 1 && aws_vpc_security_group_ingress_rule.redis[0].from_port == 6379 && aws_vpc_security_group_ingress_rule.redis[0].cidr_ipv4 == null && aws_vpc_security_group_ingress_rule.redis[0].referenced_security_group_id == "sg-0000000000000000a"
    error_message = "6379 only from the allowed security group"
  }
  assert {
    condition     = output.node_count == 1 && output.configuration_endpoint_address == null
    error_message = "1 node, no configuration endpoint outside cluster mode"
  }
  assert {
    condition     = aws_elasticache_replication_group.this.apply_immediately == false
    error_message = "changes wait for the maintenance window by default"
  }
}

run "staging_primary_and_replica_multi_az" {
  command = plan

  variables {
    node_type          = "cache.t3.small"
    replicas_per_shard = 1
    multi_az           = true
  }

  assert {
    condition     = aws_elasticache_replication_group.this.num_cache_clusters == 2
    error_message = "primary + 1 replica = 2 cache clusters"
  }
  assert {
    condition     = aws_elasticache_replication_group.this.automatic_failover_enabled == true && aws_elasticache_replication_group.this.multi_az_enabled == true
    error_message = "multi-AZ with automatic failover"
  }
  assert {
    condition     = output.node_count == 2
    error_message = "2 nodes"
  }
  assert {
    condition     = aws_elasticache_replication_group.this.preferred_cache_cluster_azs == tolist(["us-east-1a", "us-east-1b"])
    error_message = "primary and replica placed in different AZs, the primary in the first"
  }
}

run "prod_cluster_mode" {
  command = plan

  variables {
    node_type          = "cache.r6g.xlarge"
    cluster_mode       = true
    shards             = 1
    replicas_per_shard = 2
    multi_az           = true
  }

  assert {
    condition     = aws_elasticache_replication_group.this.num_node_groups == 1 && aws_elasticache_replication_group.this.replicas_per_node_group == 2
    error_message = "cluster mode uses num_node_groups / replicas_per_node_group"
  }
  assert {
    condition     = anytrue([for p in aws_elasticache_parameter_group.this[0].parameter : p.name == "cluster-enabled" && p.value == "yes"])
    error_message = "parameter group has cluster-enabled yes"
  }
  assert {
    condition     = aws_elasticache_replication_group.this.multi_az_enabled == true && aws_elasticache_replication_group.this.automatic_failover_enabled == true
    error_message = "multi-AZ with automatic failover"
  }
  assert {
    condition     = output.node_count == 3 && output.primary_endpoint_address == null
    error_message = "3 nodes, no primary endpoint in cluster mode"
  }
  assert {
    condition     = aws_elasticache_replication_group.this.preferred_cache_cluster_azs == null
    error_message = "a cluster-mode shard's zones are not set through preferred_cache_cluster_azs (the API ignores it for node groups)"
  }
}

run "existing_parameter_group_is_used_instead_of_a_new_one" {
  command = plan

  variables {
    cluster_mode         = true
    replicas_per_shard   = 1
    multi_az             = true
    parameter_group_name = "default.redis7.cluster.on"
  }

  assert {
    condition     = length(aws_elasticache_parameter_group.this) == 0 && aws_elasticache_replication_group.this.parameter_group_name == "default.redis7.cluster.on"
    error_message = "a given parameter group replaces the module's own"
  }
}

run "rejects_multi_az_without_replicas" {
  command = plan

  variables {
    multi_az           = true
    replicas_per_shard = 0
  }

  expect_failures = [var.multi_az]
}

run "rejects_shards_without_cluster_mode" {
  command = plan

  variables {
    shards = 3
  }

  expect_failures = [var.shards]
}

run "rejects_non_redis7_version" {
  command = plan

  variables {
    engine_version = "6.2"
  }

  expect_failures = [var.engine_version]
}

run "rejects_an_access_string_that_switches_the_user_off" {
  command = plan

  variables {
    app_access_string = "off ~* +@all"
  }

  expect_failures = [var.app_access_string]
}
