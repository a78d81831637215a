"""jpki: issued certificates and cards.

Revision ID: jpki_0001
Revises:
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "jpki_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "jpki_certificates",
        sa.Column("serial", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("ca", sa.String(8), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("credential", sa.String(8), nullable=True),
        sa.Column("card_id", sa.String(32), nullable=True),
        sa.Column("person_id", sa.String(64), nullable=True),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("der", sa.LargeBinary(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revocation_reason", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("serial", name=op.f("pk_jpki_certificates")),
    )
    op.create_index(op.f("ix_jpki_certificates_card_id"), "jpki_certificates", ["card_id"])
    op.create_index(op.f("ix_jpki_certificates_person_id"), "jpki_certificates", ["person_id"])
    op.create_table(
        "jpki_cards",
        sa.Column("card_id", sa.String(32), nullable=False),
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("credential", sa.String(8), nullable=False),
        sa.Column("auth_serial", sa.BigInteger(), nullable=False),
        sa.Column("sign_serial", sa.BigInteger(), nullable=False),
        sa.Column("management_key", sa.LargeBinary(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("card_id", name=op.f("pk_jpki_cards")),
        sa.UniqueConstraint("auth_serial", name=op.f("uq_jpki_cards_auth_serial")),
        sa.UniqueConstraint("sign_serial", name=op.f("uq_jpki_cards_sign_serial")),
    )
    op.create_index(op.f("ix_jpki_cards_person_id"), "jpki_cards", ["person_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_jpki_cards_person_id"), table_name="jpki_cards")
    op.drop_table("jpki_cards")
    op.drop_index(op.f("ix_jpki_certificates_person_id"), table_name="jpki_certificates")
    op.drop_index(op.f("ix_jpki_certificates_card_id"), table_name="jpki_certificates")
    op.drop_table("jpki_certificates")
