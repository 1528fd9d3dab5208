"""Service Quotas answers for EC2's Elastic IP quota and serves GetAWSDefaultServiceQuota.

moto 5.2.5: Service Quotas knows only the ``vpc`` service's defaults, and has no
``GetAWSDefaultServiceQuota`` at all (a 500).

Terraform symptom: ``data "aws_servicequotas_service_quota"`` (which calls GetAWSDefaultServiceQuota,
then GetServiceQuota) retries the 500 for minutes and fails, so the network module's plan-time
check of the NAT gateways' Elastic IPs against the region's quota cannot be planned.

Patch: EC2's "EC2-VPC Elastic IPs" quota (L-0263D0A3) at AWS's default, 5 (the value the strict
AllocateAddress limit also uses), served by GetServiceQuota and by a GetAWSDefaultServiceQuota
that answers for every quota the backend knows, NoSuchResourceException for the rest.
"""

from __future__ import annotations

import json
from typing import Any

ELASTIC_IP_QUOTA_CODE = "L-0263D0A3"
ELASTIC_IP_DEFAULT = 5  # AWS's default for the quota (Service Quotas console, EC2)


def elastic_ip_quota(region: str) -> dict[str, Any]:
    return {
        "Adjustable": True,
        "GlobalQuota": False,
        "QuotaArn": f"arn:aws:servicequotas:{region}::ec2/{ELASTIC_IP_QUOTA_CODE}",
        "QuotaCode": ELASTIC_IP_QUOTA_CODE,
        "QuotaName": "EC2-VPC Elastic IPs",
        "ServiceCode": "ec2",
        "ServiceName": "Amazon Elastic Compute Cloud (Amazon EC2)",
        "Unit": "None",
        "Value": float(ELASTIC_IP_DEFAULT),
    }


def apply() -> None:
    from moto.servicequotas.models import ServiceQuotasBackend
    from moto.servicequotas.responses import ServiceQuotasResponse

    get_service_quota = ServiceQuotasBackend.get_service_quota

    def patched_get_service_quota(self: Any, service_code: str, quota_code: str) -> dict[str, Any]:
        if (service_code, quota_code) == ("ec2", ELASTIC_IP_QUOTA_CODE):
            return elastic_ip_quota(self.region_name)
        return get_service_quota(self, service_code, quota_code)

    def get_aws_default_service_quota(self: ServiceQuotasResponse) -> str:
        params = json.loads(self.body)
        quota = self.backend.get_service_quota(service_code=str(params.get("ServiceCode")),
                                               quota_code=str(params.get("QuotaCode")))
        return json.dumps({"Quota": quota})

    ServiceQuotasBackend.get_service_quota = patched_get_service_quota
    ServiceQuotasResponse.get_aws_default_service_quota = get_aws_default_service_quota
