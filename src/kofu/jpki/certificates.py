"""End-entity certificates of a card or phone credential.

The user-authentication certificate names no one (subject: country and a serial-derived CN only);
the signing certificate states name, birth date, sex and address as subjectAltName otherName entries.
"""

from __future__ import annotations

from datetime import datetime

from cryptography import x509
from cryptography.hazmat import asn1
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from kofu.jpki.authority import Authority
from kofu.jpki.holder import Holder
from kofu.wire.credentials import (
    ADDRESS_OID,
    AUTH_USAGE,
    BIRTH_DATE_OID,
    CARD_POLICY,
    NAME_OID,
    PHONE_POLICY,
    SEX_OID,
    SIGN_USAGE,
    CredentialKind,
)


def utf8_string(value: str) -> bytes:
    """DER UTF8String (tag 12) of `value`: the otherName value encoding."""
    return asn1.encode_der(value)


def utf8_string_value(der: bytes) -> str:
    """The text of a DER UTF8String, by cryptography's strict DER decoder.

    Raises ValueError for anything else: another tag, a constructed or indefinite-length string, a
    truncated or non-minimal length, bytes after the value, text that is not UTF-8.
    """
    return asn1.decode_der(str, der)


def holder_alt_names(holder: Holder) -> x509.SubjectAlternativeName:
    """The subjectAltName of a signing certificate: four otherName entries."""
    return x509.SubjectAlternativeName(
        [
            x509.OtherName(NAME_OID, utf8_string(holder.name)),
            x509.OtherName(BIRTH_DATE_OID, utf8_string(holder.birth_date.isoformat())),
            x509.OtherName(SEX_OID, utf8_string(holder.sex)),
            x509.OtherName(ADDRESS_OID, utf8_string(holder.address)),
        ]
    )


def personal_data(cert: x509.Certificate) -> dict[str, str]:
    """The personal data a signing certificate states, by field name ({} for none).

    Raises ValueError when a value is not a well-formed DER UTF8String.
    """
    names = {NAME_OID: "name", BIRTH_DATE_OID: "birth_date", SEX_OID: "sex", ADDRESS_OID: "address"}
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return {}
    return {
        names[o.type_id]: utf8_string_value(o.value)
        for o in san.get_values_for_type(x509.OtherName)
        if o.type_id in names
    }


def _key_usage(*, non_repudiation: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=non_repudiation,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def end_entity_certificate(
    authority: Authority,
    public_key: rsa.RSAPublicKey,
    *,
    serial: int,
    credential: CredentialKind,
    not_before: datetime,
    not_after: datetime,
    base_url: str,
    holder: Holder | None = None,
) -> x509.Certificate:
    """A user-authentication (holder None) or signing (holder given) certificate signed by `authority`."""
    is_sign = authority.ca == "sign"
    if is_sign != (holder is not None):
        raise ValueError("a signing certificate needs its holder; an authentication certificate has none")
    prefix = "SIGN" if is_sign else "AUTH"
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"JPKI-{prefix}-{serial:016X}"),
        ]
    )
    policy = PHONE_POLICY if credential == "phone" else CARD_POLICY
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(authority.cert.subject)
        .public_key(public_key)
        .serial_number(serial)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(non_repudiation=is_sign), critical=True)
        .add_extension(x509.ExtendedKeyUsage([SIGN_USAGE if is_sign else AUTH_USAGE]), critical=False)
        .add_extension(x509.CertificatePolicies([x509.PolicyInformation(policy, None)]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(authority.key.public_key()), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        x509.oid.AuthorityInformationAccessOID.OCSP,
                        x509.UniformResourceIdentifier(f"{base_url}/ocsp"),
                    )
                ]
            ),
            critical=False,
        )
        .add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        [x509.UniformResourceIdentifier(f"{base_url}/crl/{authority.ca}.crl")],
                        None,
                        None,
                        None,
                    )
                ]
            ),
            critical=False,
        )
    )
    if holder is not None:
        builder = builder.add_extension(holder_alt_names(holder), critical=False)
    return builder.sign(authority.key, hashes.SHA256())
