"""center rate limit: one token bucket per key (terminal or card).

Revision ID: center_ratelimit_0001
Revises:
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "center_ratelimit_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "center_rate_buckets",
        sa.Column("key", sa.String(96), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_center_rate_buckets")),
    )
    op.create_index(op.f("ix_center_rate_buckets_updated_at"), "center_rate_buckets", ["updated_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_center_rate_buckets_updated_at"), table_name="center_rate_buckets")
    op.drop_table("center_rate_buckets")
