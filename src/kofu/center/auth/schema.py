"""Bring the center-auth tables to their current schema."""

from __future__ import annotations

from pathlib import Path

from kofu.db import migrate

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version_center_auth"


def migrate_center_auth(url: str) -> None:
    """Run the center-auth chain to head on `url`."""
    migrate(url, MIGRATIONS, VERSION_TABLE)
