"""Certificate revocation lists, one per authority, signed by the CA, numbered from a database counter."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from sqlalchemy import case, update
from sqlalchemy.orm import Session

from kofu.db import table_of
from kofu.jpki.authority import Authority
from kofu.jpki.models import CrlNumber
from kofu.wire.credentials import CertificateType

CRL_LIFETIME = timedelta(days=1)


_NUMBERS = table_of(CrlNumber)


def next_crl_number(session: Session, ca: CertificateType, now: datetime) -> int:
    """The number of the CRL `ca` issues now: above every number issued before, by any worker.

    One UPDATE … RETURNING, so concurrent workers each get their own. Never below the current second:
    numbers were the issuing second before the counter existed.
    """
    floor = int(now.timestamp())
    step = case((_NUMBERS.c.number + 1 > floor, _NUMBERS.c.number + 1), else_=floor)
    statement = update(_NUMBERS).where(_NUMBERS.c.ca == ca).values(number=step).returning(_NUMBERS.c.number)
    return int(session.execute(statement).scalar_one())


def build_crl(
    authority: Authority,
    revoked: Iterable[tuple[int, datetime, x509.ReasonFlags | None]],
    now: datetime,
    number: int,
) -> x509.CertificateRevocationList:
    """CRL number `number` of `authority`, listing `revoked` (serial, time, reason), valid for one day."""
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(authority.cert.subject)
        .last_update(now)
        .next_update(now + CRL_LIFETIME)
        .add_extension(x509.CRLNumber(number), critical=False)
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
