"""The jpki repository: record, find and revoke certificates; cards and their management keys."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from cryptography import x509
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kofu.jpki.models import IssuedCard, IssuedCertificate
from kofu.wire.credentials import CertificateType


def record_certificate(
    session: Session,
    cert: x509.Certificate,
    *,
    ca: CertificateType,
    purpose: str,
    credential: str | None = None,
    card_id: str | None = None,
    person_id: str | None = None,
) -> None:
    """Record an issued certificate."""
    from cryptography.hazmat.primitives.serialization import Encoding

    session.add(
        IssuedCertificate(
            serial=cert.serial_number,
            ca=ca,
            purpose=purpose,
            credential=credential,
            card_id=card_id,
            person_id=person_id,
            not_before=cert.not_valid_before_utc,
            not_after=cert.not_valid_after_utc,
            der=cert.public_bytes(Encoding.DER),
        )
    )


def find_certificate(session: Session, serial: int) -> IssuedCertificate | None:
    """The certificate with `serial`, issued by either authority."""
    return session.get(IssuedCertificate, serial)


def revoke_certificate(session: Session, serial: int, reason: x509.ReasonFlags, at: datetime) -> bool:
    """Revoke `serial` unless already revoked; True if this call revoked it."""
    result = session.execute(
        update(IssuedCertificate)
        .where(IssuedCertificate.serial == serial, IssuedCertificate.revoked_at.is_(None))
        .values(revoked_at=at, revocation_reason=reason.name)
    )
    return bool(getattr(result, "rowcount", 0))


def revoked_certificates(session: Session, ca: CertificateType) -> Sequence[IssuedCertificate]:
    """Every revoked certificate of one authority, oldest revocation first."""
    return session.scalars(
        select(IssuedCertificate)
        .where(IssuedCertificate.ca == ca, IssuedCertificate.revoked_at.is_not(None))
        .order_by(IssuedCertificate.revoked_at)
    ).all()


def cards_of(session: Session, person_id: str) -> Sequence[IssuedCard]:
    """Every card and phone credential issued to one person."""
    return session.scalars(select(IssuedCard).where(IssuedCard.person_id == person_id)).all()


def card_by_serial(session: Session, serial: int) -> IssuedCard | None:
    """The card whose authentication or signing certificate has `serial`."""
    return session.scalars(
        select(IssuedCard).where((IssuedCard.auth_serial == serial) | (IssuedCard.sign_serial == serial))
    ).first()


def management_key(session: Session, serial: int) -> bytes | None:
    """The card-management key of the card holding certificate `serial` (for PIN-2 resets)."""
    card = card_by_serial(session, serial)
    return None if card is None else card.management_key
