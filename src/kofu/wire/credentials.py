"""Object identifiers of kofu's JPKI certificates, and what a certificate says about itself.

All OIDs hang under one private arc, 2.25.<UUID> (ITU-T X.667: a UUID-derived OID needs no registration):

| OID (suffix under ARC) | meaning |
|---|---|
| .1.1 | CARD_POLICY: certificate policy of a My Number card credential |
| .1.2 | PHONE_POLICY: certificate policy of a smartphone credential (スマホ用電子証明書) |
| .2.1 | otherName in the signing certificate's subjectAltName: name (氏名), UTF8String |
| .2.2 | otherName: birth date (生年月日), UTF8String YYYY-MM-DD |
| .2.3 | otherName: sex (性別), UTF8String, the registry's value (e.g. "male", "female") |
| .2.4 | otherName: address (住所), UTF8String |
| .3.1 | extended key usage of user-authentication certificates (利用者証明用) |
| .3.2 | extended key usage of signing certificates (署名用) |
"""

from __future__ import annotations

from typing import Literal

from cryptography import x509

ARC = "2.25.97913437358693151468428402815648363397"

CARD_POLICY = x509.ObjectIdentifier(f"{ARC}.1.1")
PHONE_POLICY = x509.ObjectIdentifier(f"{ARC}.1.2")

NAME_OID = x509.ObjectIdentifier(f"{ARC}.2.1")
BIRTH_DATE_OID = x509.ObjectIdentifier(f"{ARC}.2.2")
SEX_OID = x509.ObjectIdentifier(f"{ARC}.2.3")
ADDRESS_OID = x509.ObjectIdentifier(f"{ARC}.2.4")

AUTH_USAGE = x509.ObjectIdentifier(f"{ARC}.3.1")
SIGN_USAGE = x509.ObjectIdentifier(f"{ARC}.3.2")

CredentialKind = Literal["card", "phone"]
CertificateType = Literal["auth", "sign"]


def _policy_oids(cert: x509.Certificate) -> set[x509.ObjectIdentifier]:
    try:
        policies = cert.extensions.get_extension_for_class(x509.CertificatePolicies).value
    except x509.ExtensionNotFound:
        return set()
    return {p.policy_identifier for p in policies}


def credential_kind(cert: x509.Certificate) -> CredentialKind:
    """ "card" or "phone", from the certificate policy (ELG-5, ELG-6); raises ValueError if neither."""
    oids = _policy_oids(cert)
    if PHONE_POLICY in oids:
        return "phone"
    if CARD_POLICY in oids:
        return "card"
    raise ValueError("certificate carries no kofu JPKI policy")


def certificate_type(cert: x509.Certificate) -> CertificateType | None:
    """ "auth" or "sign" from the extended key usage, None for anything else."""
    try:
        usages = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return None
    if AUTH_USAGE in usages:
        return "auth"
    if SIGN_USAGE in usages:
        return "sign"
    return None
