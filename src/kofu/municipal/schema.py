"""The municipal server's schema: its own Alembic chain and version table."""

from __future__ import annotations

from pathlib import Path

from kofu.db import migrate

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version_municipal"


def migrate_municipal(url: str) -> None:
    """Run the municipal server's chain to head on `url`, and the audit chain's (its own audit log)."""
    from kofu.audit.schema import migrate_audit

    migrate(url, MIGRATIONS, VERSION_TABLE)
    migrate_audit(url)
