"""A certificate's revocation status as the authorities see it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from cryptography import x509
from sqlalchemy.orm import Session

from kofu.jpki.store import find_certificate
from kofu.wire.credentials import CertificateType

State = Literal["good", "revoked", "unknown"]


@dataclass(frozen=True)
class CertStatus:
    """good, revoked (with time and reason) or unknown (never issued by this authority)."""

    state: State
    revoked_at: datetime | None = None
    reason: x509.ReasonFlags | None = None


def certificate_status(session: Session, ca: CertificateType, serial: int) -> CertStatus:
    """The status of `serial` at authority `ca`, from the jpki database."""
    row = find_certificate(session, serial)
    if row is None or row.ca != ca:
        return CertStatus("unknown")
    if row.revoked_at is None:
        return CertStatus("good")
    reason = x509.ReasonFlags[row.revocation_reason] if row.revocation_reason else None
    return CertStatus("revoked", row.revoked_at, reason)


def revocation_entries(
    session: Session, ca: CertificateType
) -> list[tuple[int, datetime, x509.ReasonFlags | None]]:
    """(serial, time, reason) of every certificate `ca` revoked: the content of its CRL."""
    from kofu.jpki.store import revoked_certificates

    return [
        (r.serial, r.revoked_at, x509.ReasonFlags[r.revocation_reason] if r.revocation_reason else None)
        for r in revoked_certificates(session, ca)
        if r.revoked_at is not None
    ]
