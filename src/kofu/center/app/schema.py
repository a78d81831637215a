"""The center app's schema: its own Alembic chain and version table, beside the center's and auth's.

Several worker processes may start at once (`kofu serve --workers N`) and each migrates at start:
`migration_lock` makes them take turns (a PostgreSQL advisory lock, or a lock file beside an SQLite
database), so the second finds the schema at head instead of racing the first.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from kofu.audit.schema import migrate_audit
from kofu.center.auth.schema import migrate_center_auth
from kofu.center.schema import migrate_center
from kofu.db import make_engine, migrate, normalise_url

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version_center_sessions"
LOCK_KEY = 0x6B6F6675  # "kofu": one advisory lock for every kofu migration


@contextmanager
def migration_lock(url: str) -> Iterator[None]:
    """Hold a lock for the database at `url` while migrating (other processes wait for it)."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() == "postgresql":
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": LOCK_KEY})
                conn.commit()
                try:
                    yield
                finally:
                    conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
                    conn.commit()
        finally:
            engine.dispose()
    elif parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        with open(f"{parsed.database}.migrate.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield
    else:
        yield


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
