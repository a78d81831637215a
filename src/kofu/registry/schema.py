"""Bring the registry database to its current schema."""

from __future__ import annotations

from pathlib import Path

from kofu.db import migrate

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version_registry"


def migrate_registry(url: str) -> None:
    """Run the registry chain to head on `url`."""
    migrate(url, MIGRATIONS, VERSION_TABLE)
