"""The center app's own tables: kiosk sessions, menu offers, card records and routes (own Alembic chain).

No certificate content is stored: a session holds the authenticated serial, the credential kind and
the SHA-256 digest of the requester's certificate; a route says where a card may go, nothing more.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Index, Integer, LargeBinary, MetaData, String, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kofu.center.models import UtcDateTime
from kofu.db import NAMING


class Base(DeclarativeBase):
    """The metadata of the center app's chain (`alembic_version_center_sessions`)."""

    metadata = MetaData(naming_convention=NAMING)


class KioskSession(Base):
    """One kiosk session: its terminal, its pending challenge and, once authenticated, who it is."""

    __tablename__ = "center_kiosk_sessions"

    session_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    terminal_id: Mapped[str] = mapped_column(String(32))
    request_key: Mapped[str] = mapped_column(String(64))
    challenge: Mapped[bytes] = mapped_column(LargeBinary(32))  # the pending authentication challenge
    challenge_expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sign_challenge: Mapped[bytes | None] = mapped_column(LargeBinary(32), nullable=True)  # REG-1 step
    auth_serial: Mapped[str | None] = mapped_column(String(40), nullable=True)  # hex, once authenticated
    credential: Mapped[str | None] = mapped_column(String(8), nullable=True)  # card | phone
    requester_cert_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)

    __table_args__ = (Index("ux_center_kiosk_sessions_request", "terminal_id", "request_key", unique=True),)


class OrderChoice(Base):
    """What an order asks the municipal server to print: whose (person ids), which year, which option.

    Ids and options only, never names; forgotten with the session (DELETE /v1/sessions/{sid}).
    """

    __tablename__ = "center_order_choices"

    order_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    session_id: Mapped[str] = mapped_column(String(64), index=True)
    persons: Mapped[list[str]] = mapped_column(JSON)
    fiscal_year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    option: Mapped[str | None] = mapped_column(String(32), nullable=True)


class MenuOffer(Base):
    """What the menu served to a session offered from one municipality, per kind: the quote's prices.

    Fees, limits, reasons, person ids, fiscal years and options only, never names or labels
    (`kofu.center.app.offers`); forgotten with the session like the order choices.
    """

    __tablename__ = "center_menu_offers"

    session_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    municipality_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    items: Mapped[dict[str, Any]] = mapped_column(JSON)  # kind → what the quote's check and the order need


class CenterCard(Base):
    """A credential as the center knows it for DAY-1: whose, which kind, issue and continued-use dates."""

    __tablename__ = "center_cards"

    auth_serial: Mapped[str] = mapped_column(String(40), primary_key=True)  # hex
    person_id: Mapped[str] = mapped_column(String(32))
    credential: Mapped[str] = mapped_column(String(8))
    issued_on: Mapped[date] = mapped_column(Date)
    continued_use_on: Mapped[date | None] = mapped_column(Date, nullable=True)


class CardRoute(Base):
    """Where a card may go: its 住所地 (jushochi) or a 本籍地 with a usage registration (honsekichi)."""

    __tablename__ = "center_card_routes"

    auth_serial: Mapped[str] = mapped_column(String(40), primary_key=True)  # hex
    municipality_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    role: Mapped[str] = mapped_column(String(12))  # jushochi | honsekichi
    added_at: Mapped[datetime] = mapped_column(UtcDateTime)
