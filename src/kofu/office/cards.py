"""What the office needs to know about a card from jpki: its owner, its serials, its management key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from cryptography import x509
from sqlalchemy.orm import Session, sessionmaker


@dataclass(frozen=True)
class CardInfo:
    """One card (or phone credential) as jpki issued it."""

    card_id: str
    person_id: str
    auth_serial: int
    sign_serial: int
    management_key: bytes


class CardDirectory(Protocol):
    """jpki's card register and its two CA certificates, as the office sees them."""

    auth_ca: x509.Certificate
    sign_ca: x509.Certificate

    def card(self, serial: int) -> CardInfo | None: ...


class JpkiCardDirectory:
    """The card directory over the jpki database."""

    def __init__(
        self, factory: sessionmaker[Session], auth_ca: x509.Certificate, sign_ca: x509.Certificate
    ) -> None:
        self.factory = factory
        self.auth_ca = auth_ca
        self.sign_ca = sign_ca

    def card(self, serial: int) -> CardInfo | None:
        from kofu.jpki.store import card_by_serial

        with self.factory() as session:
            found = card_by_serial(session, serial)
            if found is None:
                return None
            return CardInfo(
                found.card_id, found.person_id, found.auth_serial, found.sign_serial, found.management_key
            )
