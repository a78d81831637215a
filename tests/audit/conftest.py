"""Fixtures of the audit tests: a database with the audit tables, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from kofu.audit.schema import migrate_audit


@pytest.fixture
def audit_url(db_url: str) -> str:
    """An empty audit chain (genesis head), on SQLite and PostgreSQL."""
    migrate_audit(db_url)
    return db_url


@pytest.fixture
def sqlite_audit_url(sqlite_url: str) -> str:
    """The same on SQLite only."""
    migrate_audit(sqlite_url)
    return sqlite_url
