"""center app: kiosk sessions, order choices, card records, card routes.

Revision ID: center_sessions_0001
Revises:
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "center_sessions_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "center_kiosk_sessions",
        sa.Column("session_id", sa.String(64), nullable=False),
        sa.Column("terminal_id", sa.String(32), nullable=False),
        sa.Column("request_key", sa.String(64), nullable=False),
        sa.Column("challenge", sa.LargeBinary(32), nullable=False),
        sa.Column("challenge_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sign_challenge", sa.LargeBinary(32), nullable=True),
        sa.Column("auth_serial", sa.String(40), nullable=True),
        sa.Column("credential", sa.String(8), nullable=True),
        sa.Column("requester_cert_digest", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_center_kiosk_sessions")),
    )
    op.create_index(op.f("ix_center_kiosk_sessions_expires_at"), "center_kiosk_sessions", ["expires_at"])
    op.create_index(
        "ux_center_kiosk_sessions_request",
        "center_kiosk_sessions",
        ["terminal_id", "request_key"],
        unique=True,
    )
    op.create_table(
        "center_order_choices",
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.String(64), nullable=False),
        sa.Column("persons", sa.JSON(), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=True),
        sa.Column("option", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_center_order_choices")),
    )
    op.create_index(op.f("ix_center_order_choices_session_id"), "center_order_choices", ["session_id"])
    op.create_table(
        "center_cards",
        sa.Column("auth_serial", sa.String(40), nullable=False),
        sa.Column("person_id", sa.String(32), nullable=False),
        sa.Column("credential", sa.String(8), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("continued_use_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("auth_serial", name=op.f("pk_center_cards")),
    )
    op.create_table(
        "center_card_routes",
        sa.Column("auth_serial", sa.String(40), nullable=False),
        sa.Column("municipality_code", sa.String(6), nullable=False),
        sa.Column("role", sa.String(12), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("auth_serial", "municipality_code", name=op.f("pk_center_card_routes")),
    )


def downgrade() -> None:
    op.drop_table("center_card_routes")
    op.drop_table("center_cards")
    op.drop_index(op.f("ix_center_order_choices_session_id"), table_name="center_order_choices")
    op.drop_table("center_order_choices")
    op.drop_index("ux_center_kiosk_sessions_request", table_name="center_kiosk_sessions")
    op.drop_index(op.f("ix_center_kiosk_sessions_expires_at"), table_name="center_kiosk_sessions")
    op.drop_table("center_kiosk_sessions")
