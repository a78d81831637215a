"""The center's tables: orders and their events, idempotency, the fee ledger, and the three registers.

No certificate content is ever stored here: an order knows only metadata and the SHA-256 digest of the
requester's certificate (SEC-4). Schemas come from the chain in `kofu/center/migrations`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Uuid,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kofu.db import NAMING, UtcDateTime


class Base(DeclarativeBase):
    """The center's own metadata (its own Alembic chain and version table)."""

    metadata = MetaData(naming_convention=NAMING)


class Order(Base):
    """One order: what was asked, its fee, and where it stands (kofu.rules.order.State)."""

    __tablename__ = "center_orders"

    order_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    session_id: Mapped[str] = mapped_column(String(64))
    terminal_id: Mapped[str] = mapped_column(String(32))
    municipality_code: Mapped[str] = mapped_column(String(6))
    kind: Mapped[str] = mapped_column(String(16))
    copies: Mapped[int] = mapped_column(Integer)
    unit_fee: Mapped[int] = mapped_column(Integer)
    fee: Mapped[int] = mapped_column(Integer)
    cash: Mapped[int | None] = mapped_column(Integer, nullable=True)
    state: Mapped[str] = mapped_column(String(16))
    requester_cert_digest: Mapped[str] = mapped_column(String(64))
    document_number: Mapped[str | None] = mapped_column(String(64), nullable=True)
    document_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    void_reason: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    charged_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    __table_args__ = (
        CheckConstraint("copies >= 1", name="copies_positive"),
        CheckConstraint("fee >= 0 AND unit_fee >= 0", name="fee_not_negative"),
        Index("ix_center_orders_state_updated", "state", "updated_at"),
        Index("ix_center_orders_session", "session_id"),
    )


class OrderEvent(Base):
    """An order's history, append-only: one row per transition."""

    __tablename__ = "center_order_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("center_orders.order_id"), index=True)
    event: Mapped[str] = mapped_column(String(16))
    from_state: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_state: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(32))  # a terminal ID, or "recovery"


class IdempotencyRecord(Base):
    """The stored answer to one request of one terminal, so a retry gets the same answer."""

    __tablename__ = "center_idempotency"

    terminal_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    request_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    operation: Mapped[str] = mapped_column(String(16))
    session_id: Mapped[str] = mapped_column(String(64))
    order_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class LedgerEntry(Base):
    """FEE-1: one entry per charged order, with the municipality, store chain and terminal it is owed for."""

    __tablename__ = "center_fee_ledger"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("center_orders.order_id"), unique=True)
    municipality_code: Mapped[str] = mapped_column(String(6), index=True)
    chain: Mapped[str] = mapped_column(String(32))
    store_code: Mapped[str] = mapped_column(String(32))
    terminal_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    copies: Mapped[int] = mapped_column(Integer)
    fee: Mapped[int] = mapped_column(Integer)  # yen
    charged_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class Terminal(Base):
    """STR-1, HRS-4: a registered kiosk terminal, its store's weekly hours (JST) and its certificate."""

    __tablename__ = "center_terminals"

    terminal_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    chain: Mapped[str] = mapped_column(String(32))
    store_code: Mapped[str] = mapped_column(String(32))
    store_name: Mapped[str] = mapped_column(String(128))
    hours: Mapped[list[Any]] = mapped_column(JSON)  # seven entries Mon..Sun: null or ["HH:MM", "HH:MM"]
    cert_serial: Mapped[str | None] = mapped_column(String(64), nullable=True)  # hex
    status: Mapped[str] = mapped_column(String(16))  # active | revoked
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class Municipality(Base):
    """A municipality taking part: where its server is, and whether it is reachable (HRS-5)."""

    __tablename__ = "center_municipalities"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name_ja: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(64))
    base_url: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(8))  # up | down
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class MaintenanceWindow(Base):
    """HRS-5: a planned maintenance window, global (no code) or for one municipality, with its notices."""

    __tablename__ = "center_maintenance"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    municipality_code: Mapped[str | None] = mapped_column(String(6), nullable=True)
    notice_ja: Mapped[str] = mapped_column(Text)
    notice_en: Mapped[str] = mapped_column(Text)

    __table_args__ = (CheckConstraint("ends_at > starts_at", name="window_not_empty"),)
