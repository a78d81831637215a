"""The center app's schema: its own Alembic chain and version table, beside the center's and auth's.

Several worker processes may start at once (`kofu serve --workers N`) and each migrates at start under
`kofu.db.migration_lock`, so the second finds the schema at head instead of racing the first.
"""

from __future__ import annotations

from pathlib import Path

from kofu.audit.schema import migrate_audit
from kofu.center.auth.schema import migrate_center_auth
from kofu.center.schema import migrate_center
from kofu.db import migrate, migration_lock

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version_center_sessions"


def migrate_center_sessions(url: str) -> None:
    """Run the center app's chain (sessions, cards, routes) to head on `url`."""
    migrate(url, MIGRATIONS, VERSION_TABLE)


def migrate_center_all(url: str) -> None:
    """Every chain the center app needs on its database: orders/registers, auth, sessions, audit."""
    with migration_lock(url):
        migrate_center(url)
        migrate_center_auth(url)
        migrate_center_sessions(url)
        migrate_audit(url)
