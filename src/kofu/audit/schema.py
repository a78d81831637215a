"""The audit trail's database schema: its own Alembic chain and version table."""

from __future__ import annotations

from pathlib import Path

from kofu.db import migrate

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version_audit"


def migrate_audit(url: str) -> None:
    """Bring the audit tables at `url` to the newest revision (the chain head starts at the genesis)."""
    migrate(url, MIGRATIONS, VERSION_TABLE)
