"""Bring the jpki database to its current schema."""

from __future__ import annotations

from pathlib import Path

from kofu.db import migrate

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version_jpki"


def migrate_jpki(url: str) -> None:
    """Run the jpki chain to head on `url`."""
    migrate(url, MIGRATIONS, VERSION_TABLE)
