"""Bring the office tables to their current schema."""

from __future__ import annotations

from pathlib import Path

from kofu.db import migrate

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version_office"


def migrate_office(url: str) -> None:
    """Run the office chain to head on `url`."""
    migrate(url, MIGRATIONS, VERSION_TABLE)
