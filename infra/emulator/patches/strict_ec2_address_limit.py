"""Strict: AllocateAddress refuses a sixth Elastic IP in a region, as AWS does at the default quota.

moto 5.2.5: ``allocate_address`` hands out addresses without limit.

Terraform symptom: the NAT gateways' addresses of every env in one account and region (1 + 1 + 3 in
the single-account layout, the default quota of 5 exactly) always apply against the emulator,
however many other addresses the account holds; on AWS the one past the quota fails with
AddressLimitExceeded, half-way through an apply.

Patch: past 5 VPC addresses in the account's region (EC2-VPC's default quota, L-0263D0A3),
AllocateAddress fails with AWS's error: ``AddressLimitExceeded`` (400), "The maximum number of
addresses has been reached."
"""

from __future__ import annotations

import functools

from infra.emulator.patches.servicequotas_ec2_elastic_ips import ELASTIC_IP_DEFAULT as DEFAULT_QUOTA


def apply() -> None:
    from moto.ec2.exceptions import EC2ClientError
    from moto.ec2.models.elastic_ip_addresses import ElasticAddressBackend

    original = ElasticAddressBackend.allocate_address

    @functools.wraps(original)
    def allocate_address(self, domain: str, *args, **kwargs):
        if len([a for a in self.addresses if a.domain == "vpc"]) >= DEFAULT_QUOTA:
            raise EC2ClientError("AddressLimitExceeded", "The maximum number of addresses has been reached.")
        return original(self, domain, *args, **kwargs)

    ElasticAddressBackend.allocate_address = allocate_address
