"""The center's database schema: its own Alembic chain and version table."""

from __future__ import annotations

from pathlib import Path

from kofu.center.ratelimit import migrate_ratelimit
from kofu.db import migrate

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version_center"


def migrate_center(url: str) -> None:
    """Bring the center's order and register tables at `url` to the newest revision, with the rate
    buckets a payment draws on in its own transaction."""
    migrate(url, MIGRATIONS, VERSION_TABLE)
    migrate_ratelimit(url)
