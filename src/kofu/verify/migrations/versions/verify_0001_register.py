"""The verification register: issued documents' metadata and digest.

Revision ID: verify_0001
Revises:
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "verify_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "verify_documents",
        sa.Column("unique_number", sa.String(length=40), nullable=False),
        sa.Column("municipality_code", sa.String(length=6), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("content_digest", sa.String(length=64), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("unique_number", name=op.f("pk_verify_documents")),
    )
    op.create_index(
        op.f("ix_verify_documents_municipality_code"), "verify_documents", ["municipality_code"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_verify_documents_municipality_code"), table_name="verify_documents")
    op.drop_table("verify_documents")
