"""registry: the change feed's events in the journal (an event ID once, when it takes effect, its digest),
and the journal's kinds "residence" (転出, 死亡: a resident's registration ends), "stop" (a support measure
begins or ends) and "foreign_status" (a foreign resident's 在留資格 changes).

Revision ID: registry_0005
Revises: registry_0004
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "registry_0005"
down_revision: str | None = "registry_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_KINDS = "kind IN ('address', 'seal_abolition', 'koseki', 'tax_declaration')"
NEW_KINDS = (
    "kind IN ('address', 'seal_abolition', 'koseki', 'tax_declaration', 'residence', 'stop', "
    "'foreign_status')"
)
DUE = "status = 'pending' AND effective_at IS NOT NULL"


def upgrade() -> None:
    with op.batch_alter_table("changes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("event_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("effective_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("digest", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(op.f("uq_changes_event_id"), ["event_id"])
        batch_op.drop_constraint(op.f("ck_changes_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_changes_kind"), NEW_KINDS)
    op.create_index(
        "ix_changes_due",
        "changes",
        ["effective_at"],
        unique=False,
        sqlite_where=sa.text(DUE),
        postgresql_where=sa.text(DUE),
    )


def downgrade() -> None:
    op.drop_index("ix_changes_due", table_name="changes")
    with op.batch_alter_table("changes", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_changes_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_changes_kind"), OLD_KINDS)
        batch_op.drop_constraint(op.f("uq_changes_event_id"), type_="unique")
        batch_op.drop_column("digest")
        batch_op.drop_column("effective_at")
        batch_op.drop_column("event_id")
