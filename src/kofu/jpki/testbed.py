"""A ready JPKI for tests, benchmarks and demos: authorities, database, and card files on demand.

Cards are made through the same path as `kofu jpki issue-card` (issue_credential + write_card).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from kofu.db import make_engine, session_factory, transaction
from kofu.jpki.authority import Authorities, init_authorities
from kofu.jpki.cardwriter import write_card
from kofu.jpki.holder import Holder
from kofu.jpki.issuance import IssuedCredential, issue_credential
from kofu.jpki.schema import migrate_jpki
from kofu.wire.credentials import CredentialKind

DEFAULT_PIN = "1234"
DEFAULT_SIGN_PASSWORD = "ABC123"


@dataclass(frozen=True)
class TestCard:
    """A card file on disk and what was issued into it."""

    __test__ = False  # not a pytest test class

    path: Path
    issued: IssuedCredential
    biometric_sample: bytes | None


@dataclass
class Testbed:
    """Authorities in `keys`, the jpki tables at `db_url`, card files written into `cards`."""

    __test__ = False  # not a pytest test class

    keys: Path
    cards: Path
    db_url: str
    authorities: Authorities
    factory: sessionmaker[Session]

    def issue(
        self,
        person_id: str = "044245-0000001",
        *,
        credential: CredentialKind = "card",
        pin: str = DEFAULT_PIN,
        sign_password: str = DEFAULT_SIGN_PASSWORD,
        birth_date: date = date(1980, 5, 5),
        now: datetime | None = None,
        authorities: Authorities | None = None,
    ) -> TestCard:
        """Issue a card (or phone) to a made-up holder and write its card file."""
        authorities = authorities or self.authorities
        holder = Holder(person_id, "大衡 太郎", birth_date, "1", "宮城県黒川郡大衡村大衡字平林62番地")
        sample = f"face:{person_id}".encode() if credential == "phone" else None
        template = None
        if sample is not None:
            from kofu.card.biometric import enroll

            template = enroll(sample)
        with transaction(self.factory) as session:
            issued = issue_credential(
                session, authorities, holder, now=now or datetime.now(UTC), credential=credential
            )
        path = self.cards / f"{issued.card_id}.json"
        write_card(
            path, issued, authorities, pin=pin, sign_password=sign_password, biometric_template=template
        )
        return TestCard(path, issued, sample)


def open_testbed(folder: Path, db_url: str, authorities: Authorities | None = None) -> Testbed:
    """Create (or reuse) authorities under `folder/keys/jpki` and migrate the jpki tables at `db_url`.

    `authorities` already loaded from the same key files saves loading (and checking) four RSA keys.
    """
    keys = folder / "keys" / "jpki"
    cards = folder / "cards"
    cards.mkdir(parents=True, exist_ok=True)
    if authorities is None:
        authorities, _ = init_authorities(keys)
    migrate_jpki(db_url)
    return Testbed(keys, cards, db_url, authorities, session_factory(make_engine(db_url)))
