"""The center's authenticator: SEC-1, DAY-1, ELG-1, ELG-5, ELG-6 and every refusal of issue 3 §4."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from center_auth_helpers import Center
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import select

from kofu.card.biometric import SimulatedSensor
from kofu.card.client import JpkiClient, PinRefused
from kofu.card.inprocess import InProcessReader
from kofu.card.phone import PhoneReader
from kofu.center.auth.authenticator import Authenticated, AuthResponse
from kofu.center.auth.cards import CardRecord
from kofu.center.auth.models import AuthEvent
from kofu.center.auth.revocation import HttpStatusChecker
from kofu.center.ratelimit import CARD_LIMIT
from kofu.db import transaction
from kofu.jpki.authority import init_authorities
from kofu.jpki.revocation import LifeEvent
from kofu.jpki.revoke import apply_life_event
from kofu.jpki.testbed import TestCard
from kofu.rules.calendar import today_jst
from kofu.rules.decision import Refused
from kofu.rules.eligibility import check_usage_registration
from kofu.rules.facts import CardFacts, PersonFacts
from kofu.rules.reasons import Reason
from kofu.wire.challenge import challenge_message


def _events(center: Center) -> list[tuple[str, str | None]]:
    with center.testbed.factory() as session:
        return [(e.outcome, e.reason) for e in session.scalars(select(AuthEvent).order_by(AuthEvent.id))]


def _refused(
    center: Center, outcome: Authenticated | Refused, reason: Reason, accepted_before: int = 0
) -> None:
    """A refusal for `reason`, recorded as such, and nothing more recorded as authenticated."""
    assert isinstance(outcome, Refused), outcome
    assert outcome.reason == reason
    assert outcome.ja and outcome.en
    events = _events(center)
    assert events.count(("authenticated", None)) == accepted_before
    assert events[-1] == ("refused", reason.value)


def test_SEC_1_card_signs_fresh_challenge_and_center_accepts(center: Center) -> None:
    """SEC-1: the card signs a fresh challenge; the center checks chain, validity, status, signature."""
    card = center.card()
    challenge = center.authenticator.challenge("session-1", "7-eleven-0001")
    assert len(challenge.challenge) == 32
    outcome = center.authenticator.authenticate(center.answer(card, challenge))
    assert isinstance(outcome, Authenticated), outcome
    assert outcome.auth_serial == card.issued.auth_serial
    assert outcome.credential == "card"
    assert outcome.person_id == "044245-0000001"
    assert outcome.at == center.clock.now
    assert _events(center) == [("authenticated", None)]


def test_SEC_1_replayed_challenge_is_refused(center: Center) -> None:
    """SEC-1: a challenge is single use; replaying an accepted answer is refused."""
    card = center.card()
    answer = center.answer(card, center.authenticator.challenge("s", "t"))
    assert isinstance(center.authenticator.authenticate(answer), Authenticated)
    outcome = center.authenticator.authenticate(answer)
    assert isinstance(outcome, Refused) and outcome.reason == Reason.CHALLENGE_REPLAYED
    assert _events(center) == [("authenticated", None), ("refused", "challenge_replayed")]


def test_SEC_1_signature_over_another_challenge_is_refused(sqlite_center: Center) -> None:
    """SEC-1: the signature must be over this challenge, session and terminal."""
    center = sqlite_center
    card = center.card()
    first = center.authenticator.challenge("s", "t")
    second = center.authenticator.challenge("s", "t")
    signed_first = center.answer(card, first)
    forged = dataclasses.replace(signed_first, challenge=second.challenge)
    _refused(center, center.authenticator.authenticate(forged), Reason.SIGNATURE_INVALID)


def test_SEC_1_challenge_bound_to_session_and_terminal(center: Center) -> None:
    """SEC-1: an answer presented from another session or terminal is refused."""
    card = center.card()
    challenge = center.authenticator.challenge("session-A", "terminal-A")
    answer = center.answer(card, challenge)
    other_session = dataclasses.replace(answer, session_id="session-B")
    _refused(center, center.authenticator.authenticate(other_session), Reason.CHALLENGE_WRONG_SESSION)
    other_terminal = dataclasses.replace(answer, terminal_id="terminal-B")
    _refused(center, center.authenticator.authenticate(other_terminal), Reason.CHALLENGE_WRONG_SESSION)
    unknown = dataclasses.replace(answer, challenge=b"\x00" * 32)
    _refused(center, center.authenticator.authenticate(unknown), Reason.CHALLENGE_UNKNOWN)


def test_SEC_1_challenge_expires_after_60_seconds(center: Center) -> None:
    """SEC-1: a challenge answered after 60 s is refused."""
    card = center.card()
    fresh = center.authenticator.challenge("s", "t")
    late = center.authenticator.challenge("s", "t")
    center.clock.advance(59)
    assert isinstance(center.authenticator.authenticate(center.answer(card, fresh)), Authenticated)
    center.clock.advance(2)
    outcome = center.authenticator.authenticate(center.answer(card, late))
    _refused(center, outcome, Reason.CHALLENGE_EXPIRED, accepted_before=1)


def test_SEC_1_expired_certificate_is_refused(sqlite_center: Center) -> None:
    """SEC-1: validity is checked; a certificate past its 5th-birthday end is refused."""
    center = sqlite_center
    card = center.card(now=datetime.now(UTC) - timedelta(days=7 * 365), birth_date=date(1980, 1, 1))
    assert card.issued.auth_cert.not_valid_after_utc < datetime.now(UTC)
    answer = center.answer(card, center.authenticator.challenge("s", "t"))
    _refused(center, center.authenticator.authenticate(answer), Reason.CERTIFICATE_EXPIRED)


def test_SEC_1_certificate_not_yet_valid_is_refused(sqlite_center: Center) -> None:
    """SEC-1: validity is checked on both ends: a certificate whose validity starts later is refused."""
    center = sqlite_center
    card = center.card(now=datetime.now(UTC) + timedelta(days=2))
    answer = center.answer(card, center.authenticator.challenge("s", "t"))
    _refused(center, center.authenticator.authenticate(answer), Reason.CERTIFICATE_NOT_YET_VALID)


def test_SEC_1_revoked_certificate_is_refused(center: Center) -> None:
    """SEC-1: a certificate revoked (here: the card was lost) is refused via OCSP."""
    card = center.card("044245-0000005")
    with transaction(center.testbed.factory) as session:
        apply_life_event(session, "044245-0000005", LifeEvent.LOSS, datetime.now(UTC))
    answer = center.answer(card, center.authenticator.challenge("s", "t"))
    _refused(center, center.authenticator.authenticate(answer), Reason.CERTIFICATE_REVOKED)


def test_SEC_1_a_move_keeps_the_card_usable(sqlite_center: Center) -> None:
    """SEC-1: a move revokes only the signing certificate; authentication still works."""
    center = sqlite_center
    card = center.card("044245-0000006")
    with transaction(center.testbed.factory) as session:
        apply_life_event(session, "044245-0000006", LifeEvent.ADDRESS_CHANGED, datetime.now(UTC))
    answer = center.answer(card, center.authenticator.challenge("s", "t"))
    assert isinstance(center.authenticator.authenticate(answer), Authenticated)


def test_SEC_1_signing_certificate_in_place_of_auth_certificate(sqlite_center: Center) -> None:
    """SEC-1: the signing certificate (and its key) cannot authenticate: wrong_certificate_type."""
    center = sqlite_center
    card = center.card()
    challenge = center.authenticator.challenge("s", "t")
    message = challenge_message(challenge.challenge, "s", "t")
    with InProcessReader(card.path) as reader:
        client = JpkiClient(reader)
        sign_cert = client.read_sign_certificate("ABC123")
        signature = client.sign_message(message, "ABC123")
    answer = AuthResponse(challenge.challenge, "s", "t", sign_cert, signature)
    _refused(center, center.authenticator.authenticate(answer), Reason.WRONG_CERTIFICATE_TYPE)


def test_SEC_1_certificate_from_another_ca_is_refused(sqlite_center: Center, tmp_path: Path) -> None:
    """SEC-1: the chain must lead to our user-authentication CA."""
    center = sqlite_center
    foreign, _ = init_authorities(tmp_path / "foreign")
    card = center.card(authorities=foreign)
    answer = center.answer(card, center.authenticator.challenge("s", "t"))
    _refused(center, center.authenticator.authenticate(answer), Reason.CERTIFICATE_UNKNOWN_CA)


def test_DAY_1_card_issued_today_is_refused(center: Center) -> None:
    """DAY-1: not on the day the card was issued (Japan date of the card record)."""
    card = center.card("044245-0000008", now=datetime.now(UTC))
    today = today_jst(center.clock.now)
    center.records.add(card.issued.auth_serial, CardRecord("044245-0000008", today))
    answer = center.answer(card, center.authenticator.challenge("s", "t"))
    _refused(center, center.authenticator.authenticate(answer), Reason.CARD_ISSUED_TODAY)


def test_DAY_1_keyed_on_the_recorded_hand_over_day_not_not_before(center: Center) -> None:
    """DAY-1: certificates made days before the card was handed over (交付日 recorded today): refused."""
    card = center.card("044245-0000009", now=datetime.now(UTC) - timedelta(days=5))
    today = today_jst(center.clock.now)
    assert card.issued.auth_cert.not_valid_before_utc.date() < today - timedelta(days=3)
    center.records.add(card.issued.auth_serial, CardRecord("044245-0000009", handed_over_on=today))
    answer = center.answer(card, center.authenticator.challenge("s", "t"))
    _refused(center, center.authenticator.authenticate(answer), Reason.CARD_ISSUED_TODAY)


def test_DAY_1_continued_use_procedure_today_is_refused(sqlite_center: Center) -> None:
    """DAY-1: not on the day of the continued-use procedure; from the next day it works."""
    center = sqlite_center
    card = center.card("044245-0000010")
    today = today_jst(center.clock.now)
    record = CardRecord("044245-0000010", today - timedelta(days=400), continued_use_on=today)
    center.records.add(card.issued.auth_serial, record)
    answer = center.answer(card, center.authenticator.challenge("s", "t"))
    _refused(center, center.authenticator.authenticate(answer), Reason.CONTINUED_USE_TODAY)
    yesterday = dataclasses.replace(record, continued_use_on=today - timedelta(days=1))
    center.records.add(card.issued.auth_serial, yesterday)
    answer = center.answer(card, center.authenticator.challenge("s", "t"))
    assert isinstance(center.authenticator.authenticate(answer), Authenticated)


class AlwaysGood:
    """A status checker that answers good (the OCSP path is tested elsewhere; here only dates matter)."""

    def status(self, cert: object, issuer: object, now: datetime) -> str:
        return "good"


def test_DAY_1_uses_the_japan_date(sqlite_center: Center) -> None:
    """DAY-1: at 15:30 UTC it is already the next day in Japan: a card issued on the UTC date is
    usable, one issued on the Japan date is not."""
    center = sqlite_center
    card = center.card("044245-0000012", now=datetime.now(UTC) - timedelta(days=2))
    center.authenticator.status = AlwaysGood()  # type: ignore[assignment]
    center.clock.now = (datetime.now(UTC) - timedelta(days=1)).replace(hour=15, minute=30)
    utc_date = center.clock.now.date()
    assert today_jst(center.clock.now) == utc_date + timedelta(days=1)
    center.records.add(card.issued.auth_serial, CardRecord("044245-0000012", utc_date))
    answer = center.answer(card, center.authenticator.challenge("s", "t"))
    assert isinstance(center.authenticator.authenticate(answer), Authenticated)
    center.records.add(card.issued.auth_serial, CardRecord("044245-0000012", utc_date + timedelta(days=1)))
    answer = center.answer(card, center.authenticator.challenge("s", "t"))
    _refused(center, center.authenticator.authenticate(answer), Reason.CARD_ISSUED_TODAY, accepted_before=1)


def test_card_unknown_to_the_registry_is_refused(sqlite_center: Center) -> None:
    center = sqlite_center
    card = center.card()
    center.records.records.clear()
    answer = center.answer(card, center.authenticator.challenge("s", "t"))
    _refused(center, center.authenticator.authenticate(answer), Reason.CARD_UNKNOWN)


def test_SEC_1_ocsp_unreachable_is_refusal_never_acceptance(sqlite_center: Center) -> None:
    """SEC-1: when OCSP cannot be reached the answer is ocsp_unavailable, never acceptance."""
    center = sqlite_center
    card = center.card()
    nowhere = HttpStatusChecker("http://127.0.0.1:9/ocsp", client=httpx.Client(timeout=0.5))
    center.authenticator.status = nowhere
    answer = center.answer(card, center.authenticator.challenge("s", "t"))
    _refused(center, center.authenticator.authenticate(answer), Reason.OCSP_UNAVAILABLE)


def test_SEC_1_ocsp_cache_is_short(sqlite_center: Center) -> None:
    """SEC-1: OCSP answers are cached for 60 s only; after that a revocation is seen."""
    center = sqlite_center
    card = center.card("044245-0000013")
    for _ in range(2):
        answer = center.answer(card, center.authenticator.challenge("s", "t"))
        assert isinstance(center.authenticator.authenticate(answer), Authenticated)
    assert center.ocsp.posts == 1
    with transaction(center.testbed.factory) as session:
        apply_life_event(session, "044245-0000013", LifeEvent.HOLDER_REQUEST, datetime.now(UTC))
    center.clock.advance(61)
    answer = center.answer(card, center.authenticator.challenge("s", "t"))
    outcome = center.authenticator.authenticate(answer)
    assert isinstance(outcome, Refused) and outcome.reason == Reason.CERTIFICATE_REVOKED
    assert center.ocsp.posts == 2


def test_ELG_1_pin_goes_to_the_card_only(sqlite_center: Center) -> None:
    """ELG-1: the answer has no PIN; a wrong PIN is refused by the card and nothing is signed."""
    center = sqlite_center
    assert "pin" not in {f.name for f in dataclasses.fields(AuthResponse)}
    card = center.card()
    challenge = center.authenticator.challenge("s", "t")
    with pytest.raises(PinRefused) as refused:
        center.answer(card, challenge, pin="9999")
    assert refused.value.result.reason == Reason.PIN_WRONG
    assert refused.value.result.tries_left == 2
    assert _events(center) == []
    outcome = center.authenticator.authenticate(center.answer(card, challenge, pin="1234"))
    assert isinstance(outcome, Authenticated)


def test_ELG_5_ELG_6_phone_authenticates_by_biometrics_and_says_it_is_a_phone(sqlite_center: Center) -> None:
    """ELG-5: a phone signs after a biometric match; ELG-6: the center sees credential "phone"."""
    center = sqlite_center
    phone = center.card("044245-0000014", credential="phone")
    assert phone.biometric_sample is not None
    challenge = center.authenticator.challenge("s", "t")
    message = challenge_message(challenge.challenge, "s", "t")
    with PhoneReader(phone.path, SimulatedSensor(b"someone else")) as reader:
        with pytest.raises(PinRefused) as refused:
            JpkiClient(reader).authenticate(message, None)
        assert refused.value.result.tries_left == 2  # a failed match counts as a wrong PIN
    with PhoneReader(phone.path, SimulatedSensor(phone.biometric_sample)) as reader:
        client = JpkiClient(reader)
        cert = client.read_auth_certificate()
        signature = client.authenticate(message, None)
    outcome = center.authenticator.authenticate(AuthResponse(challenge.challenge, "s", "t", cert, signature))
    assert isinstance(outcome, Authenticated), outcome
    assert outcome.credential == "phone"
    card = center.card("044245-0000014")
    outcome = center.authenticator.authenticate(center.answer(card, center.authenticator.challenge("s", "t")))
    assert isinstance(outcome, Authenticated) and outcome.credential == "card"
    assert outcome.auth_serial != phone.issued.auth_serial


def test_garbage_certificate_is_a_bad_request(sqlite_center: Center) -> None:
    center = sqlite_center
    challenge = center.authenticator.challenge("s", "t")
    answer = AuthResponse(challenge.challenge, "s", "t", b"not a certificate", b"\x00" * 256)
    _refused(center, center.authenticator.authenticate(answer), Reason.BAD_REQUEST)


def test_events_hold_no_personal_content(sqlite_center: Center) -> None:
    center = sqlite_center
    card = center.card()
    center.authenticator.authenticate(center.answer(card, center.authenticator.challenge("s", "t")))
    with center.testbed.factory() as session:
        event = session.scalars(select(AuthEvent)).one()
    values = " ".join(str(getattr(event, c.key)) for c in AuthEvent.__table__.columns)
    assert "大衡" not in values
    assert card.issued.auth_cert.public_bytes(Encoding.DER).hex() not in values


def test_ELG_6_the_credential_kind_the_center_sees_decides_the_usage_registration(
    sqlite_center: Center,
) -> None:
    """ELG-6: the kind in `Authenticated` (from the certificate policy) makes the usage registration
    refuse a phone and accept the card of the same person."""
    center = sqlite_center
    person = PersonFacts("044245-0000015", date(1970, 1, 1), resident=False, honseki_here=True)
    outcomes = {}
    for credential in ("phone", "card"):
        issued = center.card("044245-0000015", credential=credential)
        signer: InProcessReader = (
            PhoneReader(issued.path, SimulatedSensor(issued.biometric_sample or b""))
            if credential == "phone"
            else InProcessReader(issued.path)
        )
        challenge = center.authenticator.challenge("s", "t")
        with signer as reader:
            client = JpkiClient(reader)
            cert = client.read_auth_certificate()
            pin = None if credential == "phone" else "1234"
            signature = client.authenticate(challenge_message(challenge.challenge, "s", "t"), pin)
        outcome = center.authenticator.authenticate(
            AuthResponse(challenge.challenge, "s", "t", cert, signature)
        )
        assert isinstance(outcome, Authenticated)
        facts = CardFacts(credential=outcome.credential, handed_over_on=date(2020, 1, 1))
        outcomes[credential] = check_usage_registration(person, facts)
    assert outcomes == {"phone": Reason.PHONE_NOT_ALLOWED_FOR_REGISTRATION, "card": None}


def _authenticate(center: Center, card: TestCard, n: int) -> Authenticated | Refused:
    challenge = center.authenticator.challenge(f"session-{n}", "7-eleven-0001")
    return center.authenticator.authenticate(center.answer(card, challenge))


def test_card_rate_limit_refuses_a_card_tried_over_and_over_not_another(center: Center) -> None:
    """Rate limits: a card past its burst is refused rate_limited (recorded); another card is not."""
    card, other = center.card(), center.card("044245-0000002")
    for n in range(CARD_LIMIT.capacity):
        assert isinstance(_authenticate(center, card, n), Authenticated)
    _refused(center, _authenticate(center, card, 99), Reason.RATE_LIMITED, CARD_LIMIT.capacity)
    assert isinstance(_authenticate(center, other, 100), Authenticated)
    center.clock.advance(CARD_LIMIT.per_seconds / CARD_LIMIT.capacity)  # one token refilled
    assert isinstance(_authenticate(center, card, 101), Authenticated)
    _refused(center, _authenticate(center, card, 102), Reason.RATE_LIMITED, CARD_LIMIT.capacity + 2)


def test_card_rate_limit_is_spent_only_by_a_valid_signature(sqlite_center: Center) -> None:
    """Rate limits: answers with the card's certificate but a wrong signature do not spend its bucket."""
    center = sqlite_center
    card = center.card()
    for n in range(3 * CARD_LIMIT.capacity):
        challenge = center.authenticator.challenge(f"forged-{n}", "t")
        forged = dataclasses.replace(center.answer(card, challenge), signature=b"\x00" * 256)
        _refused(center, center.authenticator.authenticate(forged), Reason.SIGNATURE_INVALID)
    for n in range(CARD_LIMIT.capacity):
        assert isinstance(_authenticate(center, card, n), Authenticated)
