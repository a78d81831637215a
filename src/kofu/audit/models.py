"""The audit tables: the entries, the single-row chain head, and the decisions pending chaining.

Own Alembic chain (`kofu/audit/migrations`, version table `alembic_version_audit`). The time is kept as
the exact UTC text that was hashed, so no engine's date handling can change a hashed value.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Index, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kofu.db import NAMING

HEAD_ID = 1


class Base(DeclarativeBase):
    """Declarative base of the audit tables."""

    metadata = MetaData(naming_convention=NAMING)


class AuditRecord(Base):
    """One entry of the chain; the database refuses to update or delete it (append-only triggers)."""

    __tablename__ = "audit_entries"
    # a worker's row is chained once: a copy of a recorded row is refused, never linked twice
    __table_args__ = (Index("uq_audit_entries_worker", "worker", "counter", unique=True),)

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(48))
    subject: Mapped[str] = mapped_column(String(400))
    outcome: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)  # a fork cannot be stored
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    worker: Mapped[str | None] = mapped_column(String(32), nullable=True)  # keyed logs: who recorded it
    counter: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # and its number for the row


class AuditHead(Base):
    """The one row naming the chain's last seq and hash; a chainer locks it while it extends the chain."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    keyed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)  # set by the first chaining
    at: Mapped[str | None] = mapped_column(String(32), nullable=True)  # the last entry's time
    signature: Mapped[str | None] = mapped_column(String(128), nullable=True)  # Ed25519 of seq, hash, at


class AuditPending(Base):
    """A decision committed but not yet chained; the chainer moves it into the chain and deletes it."""

    __tablename__ = "audit_pending"

    # BIGINT on PostgreSQL; INTEGER on SQLite, the only type it autoincrements as a primary key
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    at: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(48))
    subject: Mapped[str] = mapped_column(String(400))
    outcome: Mapped[str] = mapped_column(String(64))
    worker: Mapped[str | None] = mapped_column(String(32), nullable=True)  # the recording worker
    counter: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # its number for this row
    mac: Mapped[str | None] = mapped_column(String(64), nullable=True)  # its MAC of every field (row_mac)
