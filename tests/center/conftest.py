"""Fixtures for the center: a migrated database (SQLite and PostgreSQL) with terminals and municipalities.

On PostgreSQL one database per test process is migrated once and emptied (TRUNCATE) before each test:
creating a database per test costs seconds on a busy machine, emptying one costs milliseconds.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from center_helpers import KITAYAMA, NOON, OHIRA
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from kofu.center import registers
from kofu.center.models import Base
from kofu.center.ratelimit import Base as RateBase
from kofu.center.schema import migrate_center
from kofu.db import make_engine, normalise_url, session_factory, transaction

PG_SKIP = (
    "PostgreSQL tests skipped: set KOFU_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(scope="session")
def center_postgres_url() -> Iterator[str]:
    """A PostgreSQL database with the center's schema, for this test process."""
    admin_url = os.environ.get("KOFU_TEST_DATABASE_URL")
    if not admin_url:
        pytest.skip(PG_SKIP)
    admin_url = normalise_url(admin_url)
    name = f"kofu_center_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        migrate_center(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def center(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """A center database with two terminals (two chains) and two municipalities, on SQLite and PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'center.db'}"
        migrate_center(url)
    else:
        url = request.getfixturevalue("center_postgres_url")
        _empty_postgres(url)
    yield from _seeded(url)


@pytest.fixture
def sqlite_center(sqlite_url: str) -> Iterator[sessionmaker[Session]]:
    """The same on SQLite only, for tests whose subject is not the database."""
    migrate_center(sqlite_url)
    yield from _seeded(sqlite_url)


def _empty_postgres(url: str) -> None:
    engine = make_engine(url)
    tables = ", ".join([*Base.metadata.tables, *RateBase.metadata.tables])  # a payment draws on a bucket
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        for table in ("center_fee_ledger", "center_order_events"):  # a test may have disabled the guard
            conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))
    engine.dispose()


def _seeded(url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(url)
    factory = session_factory(engine)
    with transaction(factory) as s:
        registers.add_terminal(
            s,
            terminal_id="T-SEJ-0001",
            chain="seven_eleven",
            store_code="S001",
            store_name="大衡店",
            now=NOON,
        )
        registers.add_terminal(
            s, terminal_id="T-LAW-0002", chain="lawson", store_code="L002", store_name="仙台店", now=NOON
        )
        registers.add_municipality(
            s, code=OHIRA, name_ja="大衡村", name_en="Ohira", base_url="https://127.0.0.1:9001", now=NOON
        )
        registers.add_municipality(
            s,
            code=KITAYAMA,
            name_ja="北山村",
            name_en="Kitayama",
            base_url="https://127.0.0.1:9002",
            now=NOON,
        )
    yield factory
    engine.dispose()
