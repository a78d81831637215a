"""Certificate revocation lists, one per authority, signed by the CA."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from kofu.jpki.authority import Authority

CRL_LIFETIME = timedelta(days=1)


def build_crl(
    authority: Authority, revoked: Iterable[tuple[int, datetime, x509.ReasonFlags | None]], now: datetime
) -> x509.CertificateRevocationList:
    """A CRL of `authority` listing `revoked` (serial, time, reason), valid for one day."""
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(authority.cert.subject)
        .last_update(now)
        .next_update(now + CRL_LIFETIME)
        # Seconds since the epoch increase with every CRL issued, as RFC 5280 asks of the CRL number.
        .add_extension(x509.CRLNumber(int(now.timestamp())), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(authority.key.public_key()), critical=False
        )
    )
    for serial, at, reason in revoked:
        entry = x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(at)
        # RFC 5280 5.3.1: omit the reason code rather than send "unspecified".
        if reason is not None and reason != x509.ReasonFlags.unspecified:
            entry = entry.add_extension(x509.CRLReason(reason), critical=False)
        builder = builder.add_revoked_certificate(entry.build())
    return builder.sign(authority.key, hashes.SHA256())
