"""office: staff, identity checks, PIN-reset reservations and resets.

Revision ID: office_0001
Revises:
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "office_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "office_staff",
        sa.Column("staff_id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("roles", sa.String(256), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("staff_id", name=op.f("pk_office_staff")),
    )
    op.create_table(
        "office_identity_checks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("staff_id", sa.String(32), nullable=False),
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("document", sa.String(32), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_office_identity_checks")),
    )
    op.create_table(
        "office_reset_reservations",
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("auth_serial", sa.BigInteger(), nullable=False),
        sa.Column("which", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_office_reset_reservations")),
    )
    op.create_index(
        op.f("ix_office_reset_reservations_auth_serial"), "office_reset_reservations", ["auth_serial"]
    )
    op.create_table(
        "office_pin_resets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("auth_serial", sa.BigInteger(), nullable=False),
        sa.Column("which", sa.String(16), nullable=False),
        sa.Column("via", sa.String(8), nullable=False),
        sa.Column("staff_id", sa.String(32), nullable=True),
        sa.Column("identity_check_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_office_pin_resets")),
    )


def downgrade() -> None:
    op.drop_table("office_pin_resets")
    op.drop_index(op.f("ix_office_reset_reservations_auth_serial"), table_name="office_reset_reservations")
    op.drop_table("office_reset_reservations")
    op.drop_table("office_identity_checks")
    op.drop_table("office_staff")
