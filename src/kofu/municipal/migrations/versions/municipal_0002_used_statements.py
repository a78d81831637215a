"""municipal server: the center statements already served (each render or filing once).

Revision ID: municipal_0002
Revises: municipal_0001
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "municipal_0002"
down_revision: str | None = "municipal_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "municipal_used_statements",
        sa.Column("statement_id", sa.Uuid(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("statement_id", name=op.f("pk_municipal_used_statements")),
    )
    op.create_index(
        op.f("ix_municipal_used_statements_expires_at"), "municipal_used_statements", ["expires_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_municipal_used_statements_expires_at"), table_name="municipal_used_statements")
    op.drop_table("municipal_used_statements")
