"""municipal server: document numbers per order.

Revision ID: municipal_0001
Revises:
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "municipal_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "municipal_document_numbers",
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("municipality_code", sa.String(6), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("serial", sa.Integer(), nullable=False),
        sa.Column("unique_number", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_municipal_document_numbers")),
        sa.UniqueConstraint("unique_number", name=op.f("uq_municipal_document_numbers_unique_number")),
    )
    op.create_index(
        "ux_municipal_document_numbers_day",
        "municipal_document_numbers",
        ["municipality_code", "issued_on", "serial"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("ux_municipal_document_numbers_day", table_name="municipal_document_numbers")
    op.drop_table("municipal_document_numbers")
