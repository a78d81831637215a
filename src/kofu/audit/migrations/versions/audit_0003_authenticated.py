"""rows authenticated by their worker (worker, counter, MAC); the head's time and signature

Revision ID: audit_0003
Revises: audit_0002
Create Date: 2026-12-07 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "audit_0003"
down_revision: str | None = "audit_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_pending") as batch:
        batch.add_column(sa.Column("worker", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("counter", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("mac", sa.String(length=64), nullable=True))
    # plain ADD COLUMN: a batch (a table copy on SQLite) would drop the entries' append-only triggers
    op.add_column("audit_entries", sa.Column("worker", sa.String(length=32), nullable=True))
    op.add_column("audit_entries", sa.Column("counter", sa.BigInteger(), nullable=True))
    op.create_index(op.f("uq_audit_entries_worker"), "audit_entries", ["worker", "counter"], unique=True)
    with op.batch_alter_table("audit_head") as batch:
        batch.add_column(sa.Column("at", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("signature", sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_head") as batch:
        batch.drop_column("signature")
        batch.drop_column("at")
    op.drop_index(op.f("uq_audit_entries_worker"), table_name="audit_entries")
    op.drop_column("audit_entries", "counter")
    op.drop_column("audit_entries", "worker")
    with op.batch_alter_table("audit_pending") as batch:
        batch.drop_column("mac")
        batch.drop_column("counter")
        batch.drop_column("worker")
