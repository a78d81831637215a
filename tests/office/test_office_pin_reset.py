"""PIN-1 (the card's own lock) and PIN-2 (reset at the office, or self-service via app + kiosk)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from kofu.card.client import JpkiClient, Secret
from kofu.card.inprocess import InProcessReader
from kofu.db import transaction
from kofu.jpki.testbed import Testbed, TestCard
from kofu.office.cards import CardInfo, JpkiCardDirectory
from kofu.office.models import PinReset
from kofu.office.pin_reset import (
    Reservation,
    ResetDone,
    SimulatedFaceMatch,
    kiosk_reset,
    office_reset,
    reserve_reset,
)
from kofu.office.staff import record_identity_check
from kofu.rules.decision import Refused
from kofu.rules.reasons import Reason

PERSON = "044245-0000031"


def _directory(tb: Testbed) -> JpkiCardDirectory:
    return JpkiCardDirectory(tb.factory, tb.authorities.auth.cert, tb.authorities.sign.cert)


def _block(path: Path, which: Secret) -> None:
    with InProcessReader(path) as reader:
        client = JpkiClient(reader)
        verify = client.verify_pin if which == "pin" else client.verify_sign_password
        wrong = "0000" if which == "pin" else "WRONG1"
        while not verify(wrong).blocked:
            pass


def _tries(path: Path, which: Secret) -> int:
    with InProcessReader(path) as reader:
        client = JpkiClient(reader)
        return client.pin_tries_left() if which == "pin" else client.sign_password_tries_left()


def _pin_works(path: Path, pin: str) -> bool:
    with InProcessReader(path) as reader:
        return JpkiClient(reader).verify_pin(pin).ok


def _office(
    tb: Testbed,
    card: TestCard,
    *,
    staff: str = "s-001",
    person: str = PERSON,
    which: Secret = "pin",
    new_secret: str = "5678",
    check_age: timedelta = timedelta(0),
) -> ResetDone | Refused:
    """Staff s-001 checks `person`'s identity (`check_age` ago), then `staff` resets the card."""
    now = datetime.now(UTC)
    with transaction(tb.factory) as session:
        check = record_identity_check(
            session, staff_id="s-001", person_id=person, document="my_number_card", now=now - check_age
        )
    assert isinstance(check, int)
    with transaction(tb.factory) as session, InProcessReader(card.path) as reader:
        return office_reset(
            session,
            _directory(tb),
            reader,
            staff_id=staff,
            identity_check_id=check,
            which=which,
            new_secret=new_secret,
            now=now,
        )


def test_PIN_1_three_wrong_pins_lock_the_card_and_the_lock_survives(sqlite_testbed: Testbed) -> None:
    """PIN-1: three wrong PINs in a row lock; the lock survives power-off; a right PIN before resets."""
    card = sqlite_testbed.issue(PERSON)
    with InProcessReader(card.path) as reader:
        client = JpkiClient(reader)
        assert client.verify_pin("0000").tries_left == 2
        assert client.verify_pin("1234").ok  # a correct PIN resets the counter
        assert client.pin_tries_left() == 3
        assert [client.verify_pin("0000").tries_left for _ in range(3)] == [2, 1, 0]
    with InProcessReader(card.path) as reader:  # power-off and another reader session
        result = JpkiClient(reader).verify_pin("1234")
        assert not result.ok and result.reason == Reason.PIN_BLOCKED


def test_PIN_2_office_reset_after_identity_check(office: Testbed) -> None:
    """PIN-2: authorised staff, identity check recorded, reset by APDUs: tries back to 3, new PIN set."""
    card = office.issue(PERSON)
    _block(card.path, "pin")
    assert _tries(card.path, "pin") == 0
    done = _office(office, card)
    assert done == ResetDone(card.issued.auth_serial, "pin", "office")
    assert _tries(card.path, "pin") == 3
    assert not _pin_works(card.path, "1234")
    assert _pin_works(card.path, "5678")
    with office.factory() as session:
        row = session.scalars(select(PinReset)).one()
    assert (row.via, row.staff_id, row.which) == ("office", "s-001", "pin")
    assert row.auth_serial == card.issued.auth_serial
    assert row.identity_check_id is not None


def test_PIN_2_office_reset_of_the_signing_password(sqlite_office: Testbed) -> None:
    """PIN-2: the signing password (5 tries) is reset the same way."""
    card = sqlite_office.issue(PERSON)
    _block(card.path, "sign_password")
    assert _office(sqlite_office, card, which="sign_password", new_secret="NEWPASS9") == ResetDone(
        card.issued.auth_serial, "sign_password", "office"
    )
    assert _tries(card.path, "sign_password") == 5
    with InProcessReader(card.path) as reader:
        assert JpkiClient(reader).verify_sign_password("NEWPASS9").ok


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"staff": "s-002"}, Reason.STAFF_NOT_AUTHORISED),  # no pin_reset role
        ({"staff": "nobody"}, Reason.STAFF_NOT_AUTHORISED),
        ({"person": "044245-0000099"}, Reason.IDENTITY_CHECK_REQUIRED),  # checked someone else
        ({"check_age": timedelta(hours=2)}, Reason.IDENTITY_CHECK_REQUIRED),  # stale
        ({"new_secret": "12345"}, Reason.BAD_REQUEST),
        ({"new_secret": "abcd"}, Reason.BAD_REQUEST),
    ],
    ids=["no-role", "unknown-staff", "other-person", "stale-check", "five-digits", "letters"],
)
def test_PIN_2_office_reset_refusals_leave_the_card_blocked(
    sqlite_office: Testbed, kwargs: dict[str, Any], reason: Reason
) -> None:
    """PIN-2: without the role, a fresh identity check of the holder and a valid PIN: refused."""
    card = sqlite_office.issue(PERSON)
    _block(card.path, "pin")
    outcome = _office(sqlite_office, card, **kwargs)
    assert isinstance(outcome, Refused) and outcome.reason == reason
    assert _tries(card.path, "pin") == 0


def test_PIN_2_identity_check_needs_the_role(sqlite_office: Testbed) -> None:
    """PIN-2: only staff with the pin_reset role can record the identity check."""
    with transaction(sqlite_office.factory) as session:
        outcome = record_identity_check(
            session, staff_id="s-002", person_id=PERSON, document="passport", now=datetime.now(UTC)
        )
        assert isinstance(outcome, Refused) and outcome.reason == Reason.STAFF_NOT_AUTHORISED
        outcome = record_identity_check(
            session, staff_id="s-001", person_id=PERSON, document="library_card", now=datetime.now(UTC)
        )
        assert isinstance(outcome, Refused) and outcome.reason == Reason.BAD_REQUEST


class WrongKeys(JpkiCardDirectory):
    """A directory that hands out a wrong management key (an impostor terminal)."""

    def card(self, serial: int) -> CardInfo | None:
        found = super().card(serial)
        return None if found is None else dataclasses.replace(found, management_key=b"\x00" * 32)


def test_PIN_2_the_card_accepts_a_reset_only_with_its_management_key(sqlite_office: Testbed) -> None:
    """PIN-2: the card itself refuses RESET RETRY COUNTER without management authentication."""
    card = sqlite_office.issue(PERSON)
    _block(card.path, "pin")
    now = datetime.now(UTC)
    with transaction(sqlite_office.factory) as session:
        check = record_identity_check(
            session, staff_id="s-001", person_id=PERSON, document="my_number_card", now=now
        )
    assert isinstance(check, int)
    tb = sqlite_office
    wrong = WrongKeys(tb.factory, tb.authorities.auth.cert, tb.authorities.sign.cert)
    with transaction(sqlite_office.factory) as session, InProcessReader(card.path) as reader:
        outcome = office_reset(
            session, wrong, reader, staff_id="s-001", identity_check_id=check, which="pin", new_secret="5678",
            now=now,
        )  # fmt: skip
    assert isinstance(outcome, Refused)
    assert _tries(card.path, "pin") == 0


def _reserve(tb: Testbed, card: TestCard, *, which: Secret = "pin", other: str = "ABC123", face: bool = True,
             now: datetime | None = None) -> Reservation | Refused:  # fmt: skip
    with transaction(tb.factory) as session, InProcessReader(card.path) as reader:
        return reserve_reset(
            session, _directory(tb), reader, which=which, other_secret=other, face=SimulatedFaceMatch(face),
            now=now or datetime.now(UTC),
        )  # fmt: skip


def _kiosk(tb: Testbed, card: TestCard, *, which: Secret = "pin", other: str = "ABC123", new: str = "2468",
           now: datetime | None = None) -> ResetDone | Refused:  # fmt: skip
    with transaction(tb.factory) as session, InProcessReader(card.path) as reader:
        return kiosk_reset(
            session, _directory(tb), reader, which=which, other_secret=other, new_secret=new,
            now=now or datetime.now(UTC),
        )  # fmt: skip


def test_PIN_2_self_service_reservation_then_kiosk(office: Testbed) -> None:
    """PIN-2: app reservation (other password + face), then at a kiosk within 24 h: reset, once."""
    card = office.issue(PERSON)
    _block(card.path, "pin")
    assert _kiosk(office, card) == Refused(Reason.RESET_RESERVATION_MISSING)
    reservation = _reserve(office, card)
    assert isinstance(reservation, Reservation)
    assert reservation.auth_serial == card.issued.auth_serial
    later = datetime.now(UTC) + timedelta(hours=23)
    assert _kiosk(office, card, now=later) == ResetDone(card.issued.auth_serial, "pin", "kiosk")
    assert _pin_works(card.path, "2468")
    _block(card.path, "pin")
    assert _kiosk(office, card, now=later) == Refused(Reason.RESET_RESERVATION_MISSING)  # used once


def test_PIN_2_reservation_lives_24_hours(office: Testbed) -> None:
    """PIN-2: a reservation older than 24 hours no longer allows a kiosk reset."""
    card = office.issue(PERSON)
    _block(card.path, "pin")
    assert isinstance(_reserve(office, card), Reservation)
    late = datetime.now(UTC) + timedelta(hours=24, minutes=1)
    assert _kiosk(office, card, now=late) == Refused(Reason.RESET_RESERVATION_MISSING)
    assert _tries(card.path, "pin") == 0


def test_PIN_2_self_service_signing_password_proven_by_pin(office: Testbed) -> None:
    """PIN-2: a locked signing password is reset by proving the PIN."""
    card = office.issue(PERSON)
    _block(card.path, "sign_password")
    assert isinstance(_reserve(office, card, which="sign_password", other="1234"), Reservation)
    done = _kiosk(office, card, which="sign_password", other="1234", new="FRESH2026")
    assert done == ResetDone(card.issued.auth_serial, "sign_password", "kiosk")
    with InProcessReader(card.path) as reader:
        assert JpkiClient(reader).verify_sign_password("FRESH2026").ok


def test_PIN_2_self_service_refusals(sqlite_office: Testbed) -> None:
    """PIN-2: no face match, a wrong other password, or both secrets locked: not by self-service."""
    card = sqlite_office.issue(PERSON)
    _block(card.path, "pin")
    assert _reserve(sqlite_office, card, face=False) == Refused(Reason.RESET_OFFICE_ONLY)
    assert _reserve(sqlite_office, card, other="WRONG1") == Refused(Reason.PASSWORD_WRONG)
    _block(card.path, "sign_password")  # knowing neither password: only the office
    assert _reserve(sqlite_office, card) == Refused(Reason.RESET_OFFICE_ONLY)
    assert isinstance(_office(sqlite_office, card), ResetDone)


def test_PIN_2_kiosk_needs_the_other_password_again(sqlite_office: Testbed) -> None:
    """PIN-2: at the kiosk the other password is proven again; a wrong one leaves the PIN locked."""
    card = sqlite_office.issue(PERSON)
    _block(card.path, "pin")
    assert isinstance(_reserve(sqlite_office, card), Reservation)
    assert _kiosk(sqlite_office, card, other="WRONG1") == Refused(Reason.PASSWORD_WRONG)
    assert _tries(card.path, "pin") == 0
    assert isinstance(_kiosk(sqlite_office, card), ResetDone)


def test_PIN_2_reservation_is_for_that_card(sqlite_office: Testbed) -> None:
    """PIN-2: a reservation made with one card does not reset another card."""
    first = sqlite_office.issue(PERSON)
    second = sqlite_office.issue(PERSON)
    _block(first.path, "pin")
    _block(second.path, "pin")
    assert isinstance(_reserve(sqlite_office, first), Reservation)
    assert _kiosk(sqlite_office, second) == Refused(Reason.RESET_RESERVATION_MISSING)
