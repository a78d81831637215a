"""The center's authenticator: challenge out, signed answer in, `Authenticated` or `Refused` back.

Nothing lives in process memory between the steps except pure caches: the challenge is in the
database, so any worker can serve any step. Every attempt is recorded as an event; only a fully
checked answer is recorded as authenticated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from kofu.audit.entry import subject as audit_subject
from kofu.audit.entry import tagged
from kofu.audit.log import record as audit_record
from kofu.center.auth.cards import CardRecords
from kofu.center.auth.certificates import CertificateChecker
from kofu.center.auth.challenges import Challenge, consume_challenge, issue_challenge
from kofu.center.auth.models import AuthEvent
from kofu.center.auth.revocation import StatusChecker
from kofu.center.ratelimit import Limit, card_key, check_and_take
from kofu.db import table_of, transaction
from kofu.logs import get_logger
from kofu.rules.calendar import today_jst
from kofu.rules.decision import Refused
from kofu.rules.eligibility import check_day_one
from kofu.rules.facts import CardFacts
from kofu.rules.reasons import Reason
from kofu.wire.challenge import challenge_message
from kofu.wire.credentials import CredentialKind

log = get_logger("center.auth")
_RECORD_EVENT = insert(table_of(AuthEvent))  # plain Core, built once: every authentication records one

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class AuthResponse:
    """What the kiosk sends back: the challenge, its ids, the card's certificate and signature.

    There is no PIN here (ELG-1): the PIN goes to the card only.
    """

    challenge: bytes
    session_id: str
    terminal_id: str
    certificate_der: bytes
    signature: bytes


@dataclass(frozen=True)
class Authenticated:
    """Who is at the kiosk: the credential's auth serial and kind (card or phone, ELG-6), and when."""

    auth_serial: int
    credential: CredentialKind
    at: datetime
    person_id: str
    certificate_digest: bytes


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Authenticator:
    """Issues challenges and checks answers (SEC-1, DAY-1).

    `card_limit`: each card's authentications take a token from its bucket (`kofu.center.ratelimit`,
    whose chain must be migrated on the factory's database) once its signature is checked, so only the
    card's holder spends it; None (benches, tools) checks no per-card limit. The center app passes one.
    """

    def __init__(
        self,
        factory: sessionmaker[Session],
        checker: CertificateChecker,
        status: StatusChecker,
        cards: CardRecords,
        clock: Clock = _utc_now,
        card_limit: Limit | None = None,
    ) -> None:
        self.factory = factory
        self.checker = checker
        self.status = status
        self.cards = cards
        self.clock = clock
        self.card_limit = card_limit

    def challenge(self, session_id: str, terminal_id: str) -> Challenge:
        """A fresh single-use challenge for this kiosk session and terminal."""
        with transaction(self.factory) as session:
            return self.challenge_in(session, session_id, terminal_id)

    def challenge_in(self, session: Session, session_id: str, terminal_id: str) -> Challenge:
        """`challenge`, stored in the caller's transaction (with the session it belongs to)."""
        return issue_challenge(session, session_id=session_id, terminal_id=terminal_id, now=self.clock())

    def authenticate(
        self,
        response: AuthResponse,
        on_success: Callable[[Session, Authenticated], None] | None = None,
    ) -> Authenticated | Refused:
        """Consume the challenge (a replay loses), then check everything; record the outcome.

        `on_success` runs in the transaction that records a success (the caller's own bookkeeping).
        """
        now = self.clock()
        with transaction(self.factory) as session:
            problem = consume_challenge(
                session,
                response.challenge,
                session_id=response.session_id,
                terminal_id=response.terminal_id,
                now=now,
            )
        outcome: Authenticated | Refused = Refused(problem) if problem else self.verify(response, now)
        self._record(response, outcome, now, on_success)
        return outcome

    def verify(self, response: AuthResponse, now: datetime) -> Authenticated | Refused:
        """Chain, signature, card rate limit, revocation, DAY-1 of an answer whose challenge is consumed."""
        checked = self.checker.check(response.certificate_der, now)
        if isinstance(checked, Reason):
            return Refused(checked)
        message = challenge_message(response.challenge, response.session_id, response.terminal_id)
        try:
            checked.public_key.verify(response.signature, message, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            return Refused(Reason.SIGNATURE_INVALID)
        if self.card_limit is not None:  # after the signature: a stranger cannot spend this card's bucket
            limited = check_and_take(self.factory, card_key(checked.serial), now, self.card_limit)
            if isinstance(limited, Refused):
                return limited
        state = self.status.status(checked.cert, self.checker.auth_ca, now)
        if state is None:
            return Refused(Reason.OCSP_UNAVAILABLE)
        if state == "revoked":
            return Refused(Reason.CERTIFICATE_REVOKED)
        if state == "unknown":
            return Refused(Reason.CARD_UNKNOWN)
        record = self.cards.lookup(checked.serial)
        if record is None:
            return Refused(Reason.CARD_UNKNOWN)
        facts = CardFacts(
            credential=checked.credential,
            handed_over_on=record.handed_over_on,
            continued_use_on=record.continued_use_on,
        )
        day_one = check_day_one(facts, today_jst(now))
        if day_one is not None:
            return Refused(day_one)
        return Authenticated(checked.serial, checked.credential, now, record.person_id, checked.digest)

    def _record(
        self,
        response: AuthResponse,
        outcome: Authenticated | Refused,
        now: datetime,
        on_success: Callable[[Session, Authenticated], None] | None = None,
    ) -> None:
        ok = isinstance(outcome, Authenticated)
        event = {
            "at": now,
            "session_id": response.session_id[:64],
            "terminal_id": response.terminal_id[:64],
            "outcome": "authenticated" if ok else "refused",
            "reason": None if isinstance(outcome, Authenticated) else outcome.code,
            "auth_serial": outcome.auth_serial if isinstance(outcome, Authenticated) else None,
            "credential": outcome.credential if isinstance(outcome, Authenticated) else None,
        }
        with transaction(self.factory) as session:
            session.execute(_RECORD_EVENT, event)
            if on_success is not None and isinstance(outcome, Authenticated):
                on_success(session, outcome)
            audit_record(  # audit hook (kofu.audit): no-op unless the factory has an audit log attached
                session,
                actor=tagged("terminal", response.terminal_id),
                action="auth.authenticate",
                subject=audit_subject(serial=outcome.auth_serial, person=outcome.person_id)
                if isinstance(outcome, Authenticated)
                else audit_subject(session=response.session_id),
                result=outcome,
                now=now,
            )
        log.info(
            "authentication", outcome=event["outcome"], reason=event["reason"], terminal=event["terminal_id"]
        )
