"""center initial

Revision ID: center_0001
Revises:
Create Date: 2026-11-26 00:06:42.926073
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "center_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "center_idempotency",
        sa.Column("terminal_id", sa.String(length=32), nullable=False),
        sa.Column("request_key", sa.String(length=64), nullable=False),
        sa.Column("operation", sa.String(length=16), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("terminal_id", "request_key", name=op.f("pk_center_idempotency")),
    )
    op.create_table(
        "center_maintenance",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("municipality_code", sa.String(length=6), nullable=True),
        sa.Column("notice_ja", sa.Text(), nullable=False),
        sa.Column("notice_en", sa.Text(), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_center_maintenance_window_not_empty")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_center_maintenance")),
    )
    with op.batch_alter_table("center_maintenance", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_center_maintenance_starts_at"), ["starts_at"], unique=False)

    op.create_table(
        "center_municipalities",
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("name_ja", sa.String(length=64), nullable=False),
        sa.Column("name_en", sa.String(length=64), nullable=False),
        sa.Column("base_url", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_center_municipalities")),
    )
    op.create_table(
        "center_orders",
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("terminal_id", sa.String(length=32), nullable=False),
        sa.Column("municipality_code", sa.String(length=6), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("copies", sa.Integer(), nullable=False),
        sa.Column("unit_fee", sa.Integer(), nullable=False),
        sa.Column("fee", sa.Integer(), nullable=False),
        sa.Column("cash", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("requester_cert_digest", sa.String(length=64), nullable=False),
        sa.Column("document_number", sa.String(length=64), nullable=True),
        sa.Column("document_digest", sa.String(length=64), nullable=True),
        sa.Column("void_reason", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("charged_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("copies >= 1", name=op.f("ck_center_orders_copies_positive")),
        sa.CheckConstraint("fee >= 0 AND unit_fee >= 0", name=op.f("ck_center_orders_fee_not_negative")),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_center_orders")),
    )
    with op.batch_alter_table("center_orders", schema=None) as batch_op:
        batch_op.create_index("ix_center_orders_session", ["session_id"], unique=False)
        batch_op.create_index("ix_center_orders_state_updated", ["state", "updated_at"], unique=False)

    op.create_table(
        "center_terminals",
        sa.Column("terminal_id", sa.String(length=32), nullable=False),
        sa.Column("chain", sa.String(length=32), nullable=False),
        sa.Column("store_code", sa.String(length=32), nullable=False),
        sa.Column("store_name", sa.String(length=128), nullable=False),
        sa.Column("hours", sa.JSON(), nullable=False),
        sa.Column("cert_serial", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("terminal_id", name=op.f("pk_center_terminals")),
    )
    op.create_table(
        "center_fee_ledger",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("municipality_code", sa.String(length=6), nullable=False),
        sa.Column("chain", sa.String(length=32), nullable=False),
        sa.Column("store_code", sa.String(length=32), nullable=False),
        sa.Column("terminal_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("copies", sa.Integer(), nullable=False),
        sa.Column("fee", sa.Integer(), nullable=False),
        sa.Column("charged_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["center_orders.order_id"], name=op.f("fk_center_fee_ledger_order_id_center_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_center_fee_ledger")),
        sa.UniqueConstraint("order_id", name=op.f("uq_center_fee_ledger_order_id")),
    )
    with op.batch_alter_table("center_fee_ledger", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_center_fee_ledger_charged_at"), ["charged_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_center_fee_ledger_municipality_code"), ["municipality_code"], unique=False
        )

    op.create_table(
        "center_order_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("event", sa.String(length=16), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=True),
        sa.Column("to_state", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["center_orders.order_id"],
            name=op.f("fk_center_order_events_order_id_center_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_center_order_events")),
    )
    with op.batch_alter_table("center_order_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_center_order_events_order_id"), ["order_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("center_order_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_center_order_events_order_id"))

    op.drop_table("center_order_events")
    with op.batch_alter_table("center_fee_ledger", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_center_fee_ledger_municipality_code"))
        batch_op.drop_index(batch_op.f("ix_center_fee_ledger_charged_at"))

    op.drop_table("center_fee_ledger")
    op.drop_table("center_terminals")
    with op.batch_alter_table("center_orders", schema=None) as batch_op:
        batch_op.drop_index("ix_center_orders_state_updated")
        batch_op.drop_index("ix_center_orders_session")

    op.drop_table("center_orders")
    op.drop_table("center_municipalities")
    with op.batch_alter_table("center_maintenance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_center_maintenance_starts_at"))

    op.drop_table("center_maintenance")
    op.drop_table("center_idempotency")
