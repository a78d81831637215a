"""center app: the menu offers a session's quotes are priced from.

Revision ID: center_sessions_0002
Revises: center_sessions_0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "center_sessions_0002"
down_revision: str | None = "center_sessions_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "center_menu_offers",
        sa.Column("session_id", sa.String(64), nullable=False),
        sa.Column("municipality_code", sa.String(6), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("session_id", "municipality_code", name=op.f("pk_center_menu_offers")),
    )


def downgrade() -> None:
    op.drop_table("center_menu_offers")
