"""core.tagged: the fall-back to each service's own tag call when the endpoint will not answer
GetResources (a real HTTP server answers), and, on the emulator, that an object the Tagging API does
not list is asked its own way."""

from __future__ import annotations

import pytest
from aws_stub import failing_aws  # tests/aws_stub.py

from core.aws import AwsSession
from core.tagged import TaggedReader


def test_a_denied_tagging_api_falls_back_to_the_services_own_calls():
    with failing_aws(400, "AccessDeniedException", "not authorized: tag:GetResources") as endpoint:
        reader = TaggedReader(AwsSession(endpoint).client, {"Project": "rupaya", "Environment": "dev"})
        asked = []
        tags = reader.tags_of("arn:aws:kms:us-east-1:123456789012:key/0a1b",
                              lambda: asked.append(1) or {"Project": "rupaya", "Environment": "dev"})
    assert asked == [1] and reader.owns(tags)
    assert reader.tagging_api == "not available (AccessDeniedException)"


@pytest.mark.emulator
def test_an_object_the_tagging_api_leaves_out_is_asked_its_own_way(emulator):
    """moto's GetResources lists no RDS subnet group: the reader must still find the group's tags."""
    aws = AwsSession(emulator)
    scope = {"Project": "tagged", "Environment": "unit"}
    ec2 = aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.98.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.98.{i}.0/24", AvailabilityZone=f"us-east-1{z}")["Subnet"]
               for i, z in enumerate("ab")]
    group = aws.client("rds").create_db_subnet_group(
        DBSubnetGroupName="tagged-unit", DBSubnetGroupDescription="x", SubnetIds=[s["SubnetId"] for s in subnets],
        Tags=[{"Key": k, "Value": v} for k, v in scope.items()])["DBSubnetGroup"]
    key = aws.client("kms").create_key(Tags=[{"TagKey": k, "TagValue": v} for k, v in scope.items()])["KeyMetadata"]
    reader = TaggedReader(aws.client, scope)
    asked = []

    def own_call(arn):
        asked.append(arn)
        return {t["Key"]: t["Value"] for t in aws.client("rds").list_tags_for_resource(ResourceName=arn)["TagList"]}

    assert reader.owns(reader.tags_of(group["DBSubnetGroupArn"], lambda: own_call(group["DBSubnetGroupArn"])))
    assert asked == [group["DBSubnetGroupArn"]]
    # A key is in the answer: no call of its own (the partition does not matter to the match).
    other_partition = key["Arn"].replace("arn:aws:", "arn:aws-us-gov:")
    assert reader.owns(reader.tags_of(other_partition, lambda: pytest.fail("asked the key's own way")))
    assert reader.tagging_api == "used" and (reader.answered, reader.fetched) == (1, 1)
