"""jpki: the last CRL number issued by each authority.

Revision ID: jpki_0002
Revises: jpki_0001
Create Date: 2026-12-07

CRL numbers were the issuing second: two CRLs in one second (or after the clock stepped back) shared a
number. Each authority's counter starts at 0; the next number is above both it and the current second,
so it also stays above every number issued before this table.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "jpki_0002"
down_revision: str | None = "jpki_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "jpki_crl_numbers",
        sa.Column("ca", sa.String(8), nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("ca", name=op.f("pk_jpki_crl_numbers")),
    )
    op.bulk_insert(table, [{"ca": "auth", "number": 0}, {"ca": "sign", "number": 0}])


def downgrade() -> None:
    op.drop_table("jpki_crl_numbers")
