"""registry: at most one pending or approved usage registration per person (REG-1).

Revision ID: registry_0002
Revises: registry_0001
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "registry_0002"
down_revision: str | None = "registry_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN = "status IN ('pending', 'approved')"


def upgrade() -> None:
    with op.batch_alter_table("usage_registrations", schema=None) as batch_op:
        batch_op.create_index(
            "ux_usage_registrations_open_per_person",
            ["person_fk"],
            unique=True,
            sqlite_where=sa.text(_OPEN),
            postgresql_where=sa.text(_OPEN),
        )


def downgrade() -> None:
    with op.batch_alter_table("usage_registrations", schema=None) as batch_op:
        batch_op.drop_index("ux_usage_registrations_open_per_person")
