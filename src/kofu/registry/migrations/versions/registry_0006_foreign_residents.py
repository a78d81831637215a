"""registry: foreign residents' items of the 住民票 (国籍・地域, 在留資格, 在留期間, its end, the 第30条の45
区分) and a registered 通称 with its reading.

Revision ID: registry_0006
Revises: registry_0005
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "registry_0006"
down_revision: str | None = "registry_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("nationality", sa.String(length=40)),
    ("residence_status", sa.String(length=40)),
    ("residence_period", sa.String(length=20)),
    ("residence_until", sa.Date()),
    ("residence_category", sa.String(length=20)),
    ("alias", sa.String(length=80)),
    ("alias_kana", sa.String(length=80)),
)


def upgrade() -> None:
    with op.batch_alter_table("persons", schema=None) as batch_op:
        for name, type_ in COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("persons", schema=None) as batch_op:
        for name, _ in reversed(COLUMNS):
            batch_op.drop_column(name)
