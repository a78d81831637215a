"""The verification register's operations: record an issued document, look it up, revoke it."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from kofu.db import make_engine, migrate, session_factory, table_of, transaction
from kofu.verify.models import IssuedDocument

if TYPE_CHECKING:
    from kofu.documents.content import Content

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version_verify"


def migrate_verify(url: str) -> None:
    """Bring the verification register at `url` to its current schema."""
    migrate(url, MIGRATIONS, VERSION_TABLE)


_RECORD = insert(table_of(IssuedDocument))  # plain Core, built once: every issued document is recorded


@dataclass(frozen=True)
class Entry:
    """What the register keeps of a document: never its content."""

    unique_number: str
    municipality_code: str
    kind: str
    issued_on: dt.date
    content_digest: str
    revoked: bool = False


class Register:
    """The verification register on one database."""

    def __init__(self, url: str, *, engine: Engine | None = None) -> None:
        self.engine = engine or make_engine(url)
        self._sessions = session_factory(self.engine)

    def record(self, entry: Entry) -> bool:
        """Record an issued document; False if its number is already recorded (numbers are unique)."""
        try:
            with transaction(self._sessions) as session:
                session.execute(_RECORD, {**asdict(entry), "revoked": False})
        except IntegrityError:
            return False
        return True

    def lookup(self, unique_number: str) -> Entry | None:
        """The recorded entry of a number, or None."""
        with self._sessions() as session:
            row = session.scalar(select(IssuedDocument).where(IssuedDocument.unique_number == unique_number))
            if row is None:
                return None
            return Entry(
                row.unique_number,
                row.municipality_code,
                row.kind,
                row.issued_on,
                row.content_digest,
                row.revoked,
            )

    def next_serial(self, municipality_code: str, day: dt.date) -> int:
        """One more than the highest serial recorded for a municipality on a day (1 if none)."""
        prefix = f"{municipality_code}-{day:%Y%m%d}-"
        with self._sessions() as session:
            numbers = session.scalars(
                select(IssuedDocument.unique_number).where(IssuedDocument.unique_number.startswith(prefix))
            ).all()
        return max((int(n.split("-")[2]) for n in numbers), default=0) + 1

    def revoke(self, unique_number: str, *, at: dt.datetime | None = None) -> bool:
        """Mark a document revoked (kept as it was if it already is); False if the number is unknown."""
        with transaction(self._sessions) as session:
            row = session.get(IssuedDocument, unique_number)
            if row is None:
                return False
            if not row.revoked:
                row.revoked = True
                row.revoked_at = at or dt.datetime.now(dt.UTC)
        return True

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()


def entry_for(content: Content) -> Entry:
    """The register entry of a document about to be issued (metadata and digest only)."""
    from kofu.documents import codec

    h = content.header
    return Entry(h.unique_number, h.municipality_code, h.kind.value, h.issued_on, codec.digest(content).hex())
