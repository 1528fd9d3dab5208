"""Strict: an ACM certificate is ISSUED only once its DNS validation records exist, as on AWS.

moto 5.2.5: ``CertBundle.check`` issues every DNS-validated certificate
``ACM_VALIDATION_WAIT`` (60) seconds after the request, whether or not anybody
created its validation CNAME; before that, the record changes nothing.

Terraform symptom: a certificate requested without any validation record (the
defect the AWS review found) turns ISSUED on its own, so the listener and the
apply succeed against the emulator and fail on AWS; with the records, the
``aws_acm_certificate_validation`` resource still waits out the full minute.

Patch: a pending AMAZON_ISSUED certificate becomes ISSUED when, for each of its
names, a CNAME with the validation record's name and value exists in a Route 53
hosted zone of the same account; without one it stays PENDING_VALIDATION.
"""

from __future__ import annotations


def _validated(bundle) -> bool:
    from moto.route53.models import route53_backends

    wanted = bundle.describe()["Certificate"].get("DomainValidationOptions", [])
    records = {
        (rr.name.rstrip(".").lower(), tuple(v.rstrip(".").lower() for v in rr.records))
        for zone in route53_backends[bundle.arn.split(":")[4]]["global"].zones.values()
        for rr in zone.rrsets
        if rr.type == "CNAME"
    }
    return bool(wanted) and all(
        any(name == o["ResourceRecord"]["Name"].rstrip(".").lower()
            and o["ResourceRecord"]["Value"].rstrip(".").lower() in values for name, values in records)
        for o in wanted
    )


def apply() -> None:
    from moto.acm.models import CertBundle
    from moto.core.utils import utcnow

    def check(self: CertBundle) -> None:
        if self._not_valid_after(self._cert) <= utcnow():
            self.status = "EXPIRED"
            return
        if self.type == "AMAZON_ISSUED" and self.status == "PENDING_VALIDATION" and _validated(self):
            self.status = "ISSUED"

    CertBundle.check = check
