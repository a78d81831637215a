"""registry: the change feed's remaining kinds in the journal: "seal_registration" (印鑑登録),
"tax_assessment" (賦課), "name" (氏名変更), "household" (世帯変更), "birth" (出生), "move_in" (転入)
and "separation" (分籍); the household a change also alters (the one a person joins); a change that
creates a person has no person until it is reflected (its record is in the payload), so nothing of a
newcomer exists before.

Revision ID: registry_0007
Revises: registry_0006
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "registry_0007"
down_revision: str | None = "registry_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = ("address", "seal_abolition", "koseki", "tax_declaration", "residence", "stop", "foreign_status")
NEW = (*OLD, "seal_registration", "tax_assessment", "name", "household", "birth", "move_in", "separation")
PERSON = "person_fk IS NOT NULL OR kind IN ('birth', 'move_in')"


def _kinds(kinds: tuple[str, ...]) -> str:
    return f"kind IN ({', '.join(repr(k) for k in kinds)})"


def upgrade() -> None:
    with op.batch_alter_table("changes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("household_fk", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_changes_household_fk_households"), "households", ["household_fk"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_changes_household_fk"), ["household_fk"], unique=False)
        batch_op.drop_constraint(op.f("ck_changes_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_changes_kind"), _kinds(NEW))
        batch_op.alter_column("person_fk", existing_type=sa.Integer(), nullable=True)
        batch_op.create_check_constraint(op.f("ck_changes_person"), PERSON)


def downgrade() -> None:
    with op.batch_alter_table("changes", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_changes_person"), type_="check")
        batch_op.alter_column("person_fk", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint(op.f("ck_changes_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_changes_kind"), _kinds(OLD))
        batch_op.drop_index(batch_op.f("ix_changes_household_fk"))
        batch_op.drop_constraint(op.f("fk_changes_household_fk_households"), type_="foreignkey")
        batch_op.drop_column("household_fk")
