"""The audit tables: the entries, the single-row chain head, and the decisions pending chaining.

Own Alembic chain (`kofu/audit/migrations`, version table `alembic_version_audit`). The time is kept as
the exact UTC text that was hashed, so no engine's date handling can change a hashed value.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kofu.db import NAMING

HEAD_ID = 1


class Base(DeclarativeBase):
    """Declarative base of the audit tables."""

    metadata = MetaData(naming_convention=NAMING)


class AuditRecord(Base):
    """One entry of the chain; the database refuses to update or delete it (append-only triggers)."""

    __tablename__ = "audit_entries"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(48))
    subject: Mapped[str] = mapped_column(String(400))
    outcome: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)  # a fork cannot be stored
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """The one row naming the chain's last seq and hash; a chainer locks it while it extends the chain."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    keyed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)  # set by the first chaining


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
