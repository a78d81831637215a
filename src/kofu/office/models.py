"""The office tables: staff with roles, identity checks, PIN-reset reservations and resets.

Own Alembic chain (`kofu/office/migrations`, version table `alembic_version_office`). Identity checks
record who checked whom, when, and with which kind of document; never the document's content.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kofu.db import NAMING, UtcDateTime


class Base(DeclarativeBase):
    """Declarative base of the office tables."""

    metadata = MetaData(naming_convention=NAMING)


class StaffMember(Base):
    """A member of the office staff; `roles` is a comma-separated set (e.g. "pin_reset")."""

    __tablename__ = "office_staff"

    staff_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    roles: Mapped[str] = mapped_column(String(256), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class IdentityCheck(Base):
    """Staff checked a person's identity with a document of some kind, at some time."""

    __tablename__ = "office_identity_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    staff_id: Mapped[str] = mapped_column(String(32))
    person_id: Mapped[str] = mapped_column(String(64))
    document: Mapped[str] = mapped_column(String(32))
    checked_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ResetReservation(Base):
    """A self-service PIN-reset reservation made in the phone app, valid for 24 hours."""

    __tablename__ = "office_reset_reservations"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    auth_serial: Mapped[int] = mapped_column(BigInteger, index=True)
    which: Mapped[str] = mapped_column(String(16))  # "pin" | "sign_password"
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    used: Mapped[bool] = mapped_column(Boolean, default=False)


class PinReset(Base):
    """A completed reset: which secret of which card, at the office (with staff) or at a kiosk."""

    __tablename__ = "office_pin_resets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    auth_serial: Mapped[int] = mapped_column(BigInteger)
    which: Mapped[str] = mapped_column(String(16))
    via: Mapped[str] = mapped_column(String(8))  # "office" | "kiosk"
    staff_id: Mapped[str | None] = mapped_column(String(32))
    identity_check_id: Mapped[int | None] = mapped_column(Integer)
