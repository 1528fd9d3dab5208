"""Strict: a listener refuses an ACM certificate that is not ISSUED, as AWS does.

moto 5.2.5: ``CreateListener`` takes any certificate ARN without looking it up,
and ``ModifyListener`` and ``AddListenerCertificates`` only check that it exists,
so a certificate still pending validation is attached.

Terraform symptom: an HTTPS listener on a certificate nobody validated (the
defect the AWS review found) applies cleanly against the emulator; on AWS the
listener fails with UnsupportedCertificate and the ECS service that waits on it
is never created.

Patch: those three calls refuse an ACM certificate whose status is not ISSUED
with AWS's error: ``UnsupportedCertificate`` (400), "The certificate '<arn>'
must have a fully-qualified domain name, a supported signature, and a supported
key size."  A missing certificate is ``CertificateNotFound``, as on AWS.
"""

from __future__ import annotations

import functools


def apply() -> None:
    from moto.acm.models import CertificateNotFound, acm_backends
    from moto.elbv2.exceptions import ELBClientError
    from moto.elbv2.models import ELBv2Backend

    def refuse_unissued(backend: ELBv2Backend, arn: str | None) -> None:
        if not arn or ":acm:" not in arn:
            return  # IAM server certificates have no validation state
        try:
            bundle = acm_backends[backend.account_id][backend.region_name].get_certificate(arn)
        except CertificateNotFound:
            raise ELBClientError("CertificateNotFound", f"Certificate '{arn}' not found") from None
        if bundle.status != "ISSUED":
            raise ELBClientError(
                "UnsupportedCertificate",
                f"The certificate '{arn}' must have a fully-qualified domain name, a supported signature, "
                "and a supported key size.",
            )

    create_listener = ELBv2Backend.create_listener

    @functools.wraps(create_listener)
    def checked_create(self: ELBv2Backend, load_balancer_arn, protocol, port, ssl_policy, certificate, *args, **kwargs):
        refuse_unissued(self, certificate)
        return create_listener(self, load_balancer_arn, protocol, port, ssl_policy, certificate, *args, **kwargs)

    modify_listener = ELBv2Backend.modify_listener

    @functools.wraps(modify_listener)
    def checked_modify(self: ELBv2Backend, *args, **kwargs):
        certificates = kwargs.get("certificates")
        if certificates is None and len(args) > 4:
            certificates = args[4]
        for cert in certificates or []:
            refuse_unissued(self, cert.get("CertificateArn"))
        return modify_listener(self, *args, **kwargs)

    add_certificates = ELBv2Backend.add_listener_certificates

    @functools.wraps(add_certificates)
    def checked_add(self: ELBv2Backend, arn, certificates):
        for cert in certificates or []:
            refuse_unissued(self, cert.get("CertificateArn"))
        return add_certificates(self, arn, certificates)

    ELBv2Backend.create_listener = checked_create
    ELBv2Backend.modify_listener = checked_modify
    ELBv2Backend.add_listener_certificates = checked_add
