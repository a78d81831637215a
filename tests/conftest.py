"""Fixtures every test can use: a private kofu home, and databases on SQLite and PostgreSQL.

PostgreSQL tests use `KOFU_TEST_DATABASE_URL` (an administrative URL, e.g.
postgresql+psycopg://postgres@127.0.0.1:5432/test); each test gets its own fresh database there.
Without it the PostgreSQL variants are skipped, saying how to run them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from kofu.db import normalise_url
from kofu.settings import Settings

# Fixture modules shared by several test folders (a JPKI testbed; document keys and variants).
pytest_plugins = ["jpki_support", "doc_support"]

PG_SKIP = (
    "PostgreSQL tests skipped: set KOFU_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test "
    "(scripts/test and .ci/run set it when PostgreSQL is reachable)"
)


@pytest.fixture(autouse=True)
def no_served_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """`kofu serve` names its config file in KOFU_CONFIG for its workers; run in-process by a test, that
    must not reach the next test's commands (monkeypatch puts the variable back as it was)."""
    monkeypatch.delenv("KOFU_CONFIG", raising=False)


@pytest.fixture
def kofu_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private KOFU_HOME for one test."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("KOFU_HOME", str(home))
    return home


@pytest.fixture
def settings(kofu_home: Path) -> Settings:
    """Settings pointing at the test's private home."""
    return Settings(home=kofu_home)


def _fresh_postgres_database() -> Iterator[str]:
    admin_url = os.environ.get("KOFU_TEST_DATABASE_URL")
    if not admin_url:
        pytest.skip(PG_SKIP)
    admin_url = normalise_url(admin_url)
    name = f"kofu_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database URL, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'kofu.db'}"
    else:
        yield from _fresh_postgres_database()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """An empty SQLite database URL (for tests that need only the embedded engine)."""
    return f"sqlite:///{tmp_path / 'kofu.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """An empty PostgreSQL database (skipped without KOFU_TEST_DATABASE_URL)."""
    yield from _fresh_postgres_database()
