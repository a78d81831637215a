"""What the authenticator needs for DAY-1 by serial: the hand-over day (交付日), the continued-use day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from kofu.db import reading


@dataclass(frozen=True)
class CardRecord:
    """What the registry knows about one credential (by its user-authentication serial)."""

    person_id: str
    handed_over_on: date  # 交付日 as the municipality recorded it, not the certificate's notBefore
    continued_use_on: date | None = None
    credential: str = "card"


class CardRecords(Protocol):
    """Look a credential up by its user-authentication certificate serial."""

    def lookup(self, auth_serial: int) -> CardRecord | None: ...


class MemoryCardRecords:
    """Card records held in a dict (tests, benchmarks, the demo)."""

    def __init__(self, records: dict[int, CardRecord] | None = None) -> None:
        self.records = dict(records or {})

    def add(self, auth_serial: int, record: CardRecord) -> None:
        self.records[auth_serial] = record

    def lookup(self, auth_serial: int) -> CardRecord | None:
        return self.records.get(auth_serial)


class RegistryCardRecords:
    """Card records from the registry's card links (`kofu.registry.cards.card_record`)."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        from kofu.registry.cards import card_record  # the registry's own lookup

        self._card_record = card_record
        self.factory = factory

    def lookup(self, auth_serial: int) -> CardRecord | None:
        with reading(self.factory) as session:
            found = self._card_record(session, auth_serial)
        if found is None:
            return None
        return CardRecord(
            person_id=str(found.person_id),
            handed_over_on=found.issued_on,
            continued_use_on=found.continued_use_on,
            credential=str(found.credential),
        )
