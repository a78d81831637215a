"""The verification register: one row per issued document, metadata and digest only (SEC-4).

No name, address or any other content is ever stored here; the content of a document is carried,
encrypted, on its own back.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kofu.db import NAMING


class Base(DeclarativeBase):
    """Declarative base of the verification register's tables."""

    metadata = MetaData(naming_convention=NAMING)


class IssuedDocument(Base):
    """A document the verification service can confirm."""

    __tablename__ = "verify_documents"

    unique_number: Mapped[str] = mapped_column(String(40), primary_key=True)
    municipality_code: Mapped[str] = mapped_column(String(6), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    issued_on: Mapped[date] = mapped_column(Date)
    content_digest: Mapped[str] = mapped_column(String(64))  # hex SHA-256 of the canonical content
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
