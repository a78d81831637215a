"""The jpki database: every certificate the authorities issued, its revocation, each card's
card-management key (kept here for PIN resets, PIN-2), and each authority's last CRL number.
Own Alembic chain, version table `alembic_version_jpki`."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, LargeBinary, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kofu.db import NAMING, UtcDateTime


class Base(DeclarativeBase):
    """Declarative base of the jpki tables."""

    metadata = MetaData(naming_convention=NAMING)


class IssuedCertificate(Base):
    """One certificate issued by one of the two authorities (or a responder certificate)."""

    __tablename__ = "jpki_certificates"

    serial: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    ca: Mapped[str] = mapped_column(String(8))  # "auth" | "sign"
    purpose: Mapped[str] = mapped_column(String(16))  # "auth" | "sign" | "responder"
    credential: Mapped[str | None] = mapped_column(String(8))  # "card" | "phone"
    card_id: Mapped[str | None] = mapped_column(String(32), index=True)
    person_id: Mapped[str | None] = mapped_column(String(64), index=True)
    not_before: Mapped[datetime] = mapped_column(UtcDateTime())
    not_after: Mapped[datetime] = mapped_column(UtcDateTime())
    der: Mapped[bytes] = mapped_column(LargeBinary)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revocation_reason: Mapped[str | None] = mapped_column(String(32))


class IssuedCard(Base):
    """One card or phone credential: its two certificate serials and its card-management key."""

    __tablename__ = "jpki_cards"

    card_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(64), index=True)
    credential: Mapped[str] = mapped_column(String(8))
    auth_serial: Mapped[int] = mapped_column(BigInteger, unique=True)
    sign_serial: Mapped[int] = mapped_column(BigInteger, unique=True)
    management_key: Mapped[bytes] = mapped_column(LargeBinary)
    issued_on: Mapped[date] = mapped_column(Date)


class CrlNumber(Base):
    """The last CRL number an authority issued: the next one is above it (RFC 5280 §5.2.3)."""

    __tablename__ = "jpki_crl_numbers"

    ca: Mapped[str] = mapped_column(String(8), primary_key=True)  # "auth" | "sign"
    number: Mapped[int] = mapped_column(BigInteger)
