"""The municipal server's own table: which unique number each order's document carries.

Nothing of a certificate's content: the order, the number, the day. A retried render of the same order
gets the same number; a new order gets the next serial of the day (PAG-1).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, DateTime, Index, Integer, MetaData, String, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kofu.db import NAMING


class Base(DeclarativeBase):
    """The municipal server's metadata (its own chain, `alembic_version_municipal`)."""

    metadata = MetaData(naming_convention=NAMING)


class DocumentNumber(Base):
    """One order's document number: municipality code, Japan issue date and serial of that day."""

    __tablename__ = "municipal_document_numbers"

    order_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    municipality_code: Mapped[str] = mapped_column(String(6))
    issued_on: Mapped[date] = mapped_column(Date)
    serial: Mapped[int] = mapped_column(Integer)
    unique_number: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ux_municipal_document_numbers_day", "municipality_code", "issued_on", "serial", unique=True),
    )


class UsedStatement(Base):
    """A center statement already served (a render or a filing is made once per statement).

    Kept until it has expired (after that it is refused as expired anyway), then purged.
    """

    __tablename__ = "municipal_used_statements"

    statement_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
