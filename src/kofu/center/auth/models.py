"""The authenticator's tables: challenges (single use, 60 s) and authentication events.

Own Alembic chain (`kofu/center/auth/migrations`, version table `alembic_version_center_auth`).
Events carry no personal content: a certificate serial, the credential kind, outcome and reason.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Integer, LargeBinary, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kofu.db import NAMING, UtcDateTime


class Base(DeclarativeBase):
    """Declarative base of the center-auth tables."""

    metadata = MetaData(naming_convention=NAMING)


class AuthChallenge(Base):
    """One challenge handed to one kiosk session; `used` flips exactly once."""

    __tablename__ = "auth_challenges"

    challenge: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    session_id: Mapped[str] = mapped_column(String(64))
    terminal_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    used: Mapped[bool] = mapped_column(Boolean, default=False)


class AuthEvent(Base):
    """One authentication attempt's outcome (no personal content)."""

    __tablename__ = "auth_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    session_id: Mapped[str] = mapped_column(String(64))
    terminal_id: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))  # "authenticated" | "refused"
    reason: Mapped[str | None] = mapped_column(String(48))
    auth_serial: Mapped[int | None] = mapped_column(BigInteger)
    credential: Mapped[str | None] = mapped_column(String(8))
