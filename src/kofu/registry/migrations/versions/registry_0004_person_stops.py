"""registry: per-person stops of kiosk issuance (支援措置, a kind the village turns off for a person).

Revision ID: registry_0004
Revises: registry_0003
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "registry_0004"
down_revision: str | None = "registry_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = "lifted_on IS NULL"


def upgrade() -> None:
    op.create_table(
        "person_stops",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_fk", sa.Integer(), nullable=False),
        sa.Column("cause", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=True),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("set_by", sa.String(length=40), nullable=False),
        sa.Column("lifted_on", sa.Date(), nullable=True),
        sa.Column("lifted_by", sa.String(length=40), nullable=True),
        sa.CheckConstraint("cause IN ('support_measure', 'village')", name=op.f("ck_person_stops_cause")),
        sa.CheckConstraint(
            "kind IS NULL OR kind IN ('juminhyo', 'inkan', 'kazei', 'koseki', 'fuhyo')",
            name=op.f("ck_person_stops_kind"),
        ),
        sa.CheckConstraint(
            "cause <> 'support_measure' OR kind IS NULL",
            name=op.f("ck_person_stops_support_measure_every_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["person_fk"], ["persons.id"], name=op.f("fk_person_stops_person_fk_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_stops")),
    )
    op.create_index(
        "ix_person_stops_live",
        "person_stops",
        ["person_fk"],
        unique=False,
        sqlite_where=sa.text(LIVE),
        postgresql_where=sa.text(LIVE),
    )


def downgrade() -> None:
    op.drop_index("ix_person_stops_live", table_name="person_stops")
    op.drop_table("person_stops")
