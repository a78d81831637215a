"""Helpers of the center-auth tests: a movable clock, an OCSP client that counts, a Center bundle."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.testclient import TestClient

from kofu.card.client import JpkiClient
from kofu.card.inprocess import InProcessReader
from kofu.center.auth.authenticator import Authenticator, AuthResponse
from kofu.center.auth.cards import CardRecord, MemoryCardRecords
from kofu.center.auth.challenges import Challenge
from kofu.jpki.testbed import Testbed, TestCard
from kofu.wire.challenge import challenge_message


@dataclass
class Clock:
    """A clock the test moves."""

    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class CountingClient(TestClient):
    """The jpki app in process, counting OCSP requests."""

    posts = 0

    def post(self, *args: Any, **kwargs: Any) -> Any:
        self.posts += 1
        return super().post(*args, **kwargs)


@dataclass
class Center:
    """An authenticator wired to the test JPKI (OCSP in process), with helpers to drive cards."""

    testbed: Testbed
    authenticator: Authenticator
    records: MemoryCardRecords
    clock: Clock
    ocsp: CountingClient

    def card(self, person_id: str = "044245-0000001", **kwargs: object) -> TestCard:
        """A card issued yesterday (so DAY-1 allows it) and recorded in the card records."""
        kwargs.setdefault("now", datetime.now(UTC) - timedelta(days=1))
        card = self.testbed.issue(person_id, **kwargs)  # type: ignore[arg-type]
        self.records.add(
            card.issued.auth_serial,
            CardRecord(person_id, card.issued.issued_on, None, card.issued.credential),
        )
        return card

    def answer(self, card: TestCard, challenge: Challenge, pin: str | None = "1234") -> AuthResponse:
        """What a kiosk sends after the card signed the challenge."""
        with InProcessReader(card.path) as reader:
            client = JpkiClient(reader)
            cert = client.read_auth_certificate()
            message = challenge_message(challenge.challenge, challenge.session_id, challenge.terminal_id)
            signature = client.authenticate(message, pin)
        return AuthResponse(challenge.challenge, challenge.session_id, challenge.terminal_id, cert, signature)
