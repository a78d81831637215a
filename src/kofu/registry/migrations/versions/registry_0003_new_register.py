"""registry: a 身分事項 entry records 新本籍 (a member who left the register by marriage).

Revision ID: registry_0003
Revises: registry_0002
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "registry_0003"
down_revision: str | None = "registry_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("koseki_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("new_register", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("koseki_events", schema=None) as batch_op:
        batch_op.drop_column("new_register")
