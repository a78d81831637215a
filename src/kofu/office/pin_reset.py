"""Resetting a locked PIN or signing password (PIN-2).

At the office: staff with the pin_reset role, after recording an identity check, reset the counter and
set the new secret. Self-service: the phone app reserves a reset (the card proves the other, unlocked
secret; a face match is simulated); within 24 hours, at a kiosk, the card proves the other secret again
and the new one is set. Knowing neither secret: only the office.

Every reset reaches the card only as APDUs (GET CHALLENGE, EXTERNAL AUTHENTICATE with the card's
management key kept by jpki, RESET RETRY COUNTER) through `JpkiClient.reset_retry_counter`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kofu.audit.entry import subject as audit_subject
from kofu.audit.entry import tagged
from kofu.audit.log import record as audit_record
from kofu.card.client import CardError, JpkiClient, Secret
from kofu.card.reader import Reader
from kofu.office.cards import CardDirectory
from kofu.office.models import PinReset, ResetReservation
from kofu.office.proof import check_proof, prove_other_secret
from kofu.office.staff import ROLE_PIN_RESET, has_role, usable_identity_check
from kofu.rules.decision import Refused
from kofu.rules.pin import is_valid_pin, is_valid_sign_password
from kofu.rules.reasons import Reason

RESERVATION_LIFETIME = timedelta(hours=24)


class FaceMatcher(Protocol):
    """The phone app's face match against the card's photo (simulated in kofu)."""

    def matches(self) -> bool: ...


@dataclass(frozen=True)
class SimulatedFaceMatch:
    """A face match whose result the test or demo decides."""

    result: bool = True

    def matches(self) -> bool:
        return self.result


@dataclass(frozen=True)
class ResetDone:
    """A secret was reset and replaced on the card."""

    auth_serial: int
    which: Secret
    via: Literal["office", "kiosk"]


@dataclass(frozen=True)
class Reservation:
    """A self-service reset reserved in the phone app."""

    token: str
    auth_serial: int
    which: Secret
    expires_at: datetime


def valid_new_secret(which: Secret, secret: str) -> bool:
    """A new PIN is 4 digits; a new signing password 6-16 of A-Z and 0-9 (PIN-1 formats)."""
    return is_valid_pin(secret) if which == "pin" else is_valid_sign_password(secret)


def _card_serial(client: JpkiClient) -> int | None:
    from cryptography import x509

    try:
        return x509.load_der_x509_certificate(client.read_auth_certificate()).serial_number
    except (CardError, ValueError):
        return None


def _reset_on_card(client: JpkiClient, management_key: bytes, which: Secret, new_secret: str) -> bool:
    try:
        client.reset_retry_counter(management_key, which, new_secret)
    except CardError:
        return False
    return True


def _office_reset(
    session: Session,
    cards: CardDirectory,
    reader: Reader,
    *,
    staff_id: str,
    identity_check_id: int,
    which: Secret,
    new_secret: str,
    now: datetime,
) -> ResetDone | Refused:
    """PIN-2 at the office: an authorised staff member, a recorded identity check, then the card reset."""
    if not has_role(session, staff_id, ROLE_PIN_RESET):
        return Refused(Reason.STAFF_NOT_AUTHORISED)
    check = usable_identity_check(session, identity_check_id, staff_id, now)
    if check is None:
        return Refused(Reason.IDENTITY_CHECK_REQUIRED)
    if not valid_new_secret(which, new_secret):
        return Refused(Reason.BAD_REQUEST)
    client = JpkiClient(reader)
    serial = _card_serial(client)
    card = None if serial is None else cards.card(serial)
    if card is None:
        return Refused(Reason.CARD_UNKNOWN)
    if card.person_id != check.person_id:
        return Refused(Reason.IDENTITY_CHECK_REQUIRED)  # the person checked is not this card's holder
    if not _reset_on_card(client, card.management_key, which, new_secret):
        return Refused(Reason.CARD_UNKNOWN)
    session.add(
        PinReset(
            at=now,
            auth_serial=card.auth_serial,
            which=which,
            via="office",
            staff_id=staff_id,
            identity_check_id=check.id,
        )
    )
    return ResetDone(card.auth_serial, which, "office")


def _reserve_reset(
    session: Session,
    cards: CardDirectory,
    reader: Reader,
    *,
    which: Secret,
    other_secret: str,
    face: FaceMatcher,
    now: datetime,
) -> Reservation | Refused:
    """PIN-2 self-service, step 1 (phone app): face match and proof of the other secret; 24 h."""
    if not face.matches():
        return Refused(Reason.RESET_OFFICE_ONLY)
    client = JpkiClient(reader)
    proof = prove_other_secret(client, which, other_secret)
    if isinstance(proof, Refused):
        return proof
    serial = check_proof(proof, which, cards.auth_ca, cards.sign_ca)
    card = None if serial is None else cards.card(serial)
    if card is None:
        return Refused(Reason.CARD_UNKNOWN)
    token = secrets.token_hex(16)
    expires_at = now + RESERVATION_LIFETIME
    session.add(
        ResetReservation(
            token=token,
            auth_serial=card.auth_serial,
            which=which,
            created_at=now,
            expires_at=expires_at,
            used=False,
        )
    )
    return Reservation(token, card.auth_serial, which, expires_at)


def _live_reservation(session: Session, auth_serial: int, which: Secret, now: datetime) -> str | None:
    return session.scalars(
        select(ResetReservation.token).where(
            ResetReservation.auth_serial == auth_serial,
            ResetReservation.which == which,
            ResetReservation.used.is_(False),
            ResetReservation.expires_at > now,
        )
    ).first()


def _kiosk_reset(
    session: Session,
    cards: CardDirectory,
    reader: Reader,
    *,
    which: Secret,
    other_secret: str,
    new_secret: str,
    now: datetime,
) -> ResetDone | Refused:
    """PIN-2 self-service, step 2 (kiosk): a live reservation, the other secret proven again, the reset."""
    if not valid_new_secret(which, new_secret):
        return Refused(Reason.BAD_REQUEST)
    client = JpkiClient(reader)
    serial = _card_serial(client)
    card = None if serial is None else cards.card(serial)
    if card is None:
        return Refused(Reason.CARD_UNKNOWN)
    token = _live_reservation(session, card.auth_serial, which, now)
    if token is None:
        return Refused(Reason.RESET_RESERVATION_MISSING)
    proof = prove_other_secret(client, which, other_secret)
    if isinstance(proof, Refused):
        return proof
    proven = check_proof(proof, which, cards.auth_ca, cards.sign_ca)
    if proven not in (card.auth_serial, card.sign_serial):
        return Refused(Reason.RESET_OFFICE_ONLY)
    # Claim the reservation atomically so that it serves exactly one reset.
    claimed = session.execute(
        update(ResetReservation)
        .where(ResetReservation.token == token, ResetReservation.used.is_(False))
        .values(used=True)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        return Refused(Reason.RESET_RESERVATION_MISSING)
    if not _reset_on_card(client, card.management_key, which, new_secret):
        session.execute(update(ResetReservation).where(ResetReservation.token == token).values(used=False))
        return Refused(Reason.CARD_UNKNOWN)
    session.add(PinReset(at=now, auth_serial=card.auth_serial, which=which, via="kiosk"))
    return ResetDone(card.auth_serial, which, "kiosk")


# --- audit hook (kofu.audit): each PIN-2 decision is appended in the caller's transaction; no-op unless
# --- the session's factory has an audit log attached. Only ids and outcomes are kept (SEC-4).


def office_reset(
    session: Session,
    cards: CardDirectory,
    reader: Reader,
    *,
    staff_id: str,
    identity_check_id: int,
    which: Secret,
    new_secret: str,
    now: datetime,
) -> ResetDone | Refused:
    """PIN-2 at the office: an authorised staff member, a recorded identity check, then the card reset."""
    result = _office_reset(
        session,
        cards,
        reader,
        staff_id=staff_id,
        identity_check_id=identity_check_id,
        which=which,
        new_secret=new_secret,
        now=now,
    )
    serial = result.auth_serial if isinstance(result, ResetDone) else None
    audit_record(
        session,
        actor=tagged("staff", staff_id),
        action=f"office.reset_{which}",
        subject=audit_subject(check=identity_check_id, serial=serial),
        result=result,
        now=now,
    )
    return result


def reserve_reset(
    session: Session,
    cards: CardDirectory,
    reader: Reader,
    *,
    which: Secret,
    other_secret: str,
    face: FaceMatcher,
    now: datetime,
) -> Reservation | Refused:
    """PIN-2 self-service, step 1 (phone app): face match and proof of the other secret; 24 h."""
    result = _reserve_reset(
        session, cards, reader, which=which, other_secret=other_secret, face=face, now=now
    )
    serial = result.auth_serial if isinstance(result, Reservation) else None
    audit_record(
        session,
        actor="app:phone",
        action=f"office.reserve_reset_{which}",
        subject=audit_subject(serial=serial),
        result=result,
        now=now,
    )
    return result


def kiosk_reset(
    session: Session,
    cards: CardDirectory,
    reader: Reader,
    *,
    which: Secret,
    other_secret: str,
    new_secret: str,
    now: datetime,
) -> ResetDone | Refused:
    """PIN-2 self-service, step 2 (kiosk): a live reservation, the other secret proven again, the reset."""
    result = _kiosk_reset(
        session, cards, reader, which=which, other_secret=other_secret, new_secret=new_secret, now=now
    )
    serial = result.auth_serial if isinstance(result, ResetDone) else None
    audit_record(
        session,
        actor="kiosk:self_service",
        action=f"office.kiosk_reset_{which}",
        subject=audit_subject(serial=serial),
        result=result,
        now=now,
    )
    return result


# --- end of the audit hook
