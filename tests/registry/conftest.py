"""Fixtures of the registry tests: a small generated village on SQLite and on PostgreSQL."""

from __future__ import annotations

import functools
from collections.abc import Iterator

import pytest
from registry_support import PERSONS, SEED, TODAY, Village

from kofu.db import make_engine
from kofu.registry.generator import VillageRows, generate_rows
from kofu.registry.village import VillageSummary, write_rows


@functools.cache
def village_rows() -> VillageRows:
    """The test village's rows, generated once per worker (writing them never changes them)."""
    return generate_rows(PERSONS, SEED, TODAY)


@pytest.fixture
def village(db_url: str) -> Iterator[Village]:
    """A fresh 300-person village (SQLite and PostgreSQL), written through the generator's insert path."""
    rows = village_rows()
    seconds = write_rows(db_url, rows)
    summary = VillageSummary(
        municipality=rows.municipality,
        seed=SEED,
        today=TODAY,
        persons=len(rows.tables["persons"]),
        tables={name: len(r) for name, r in rows.tables.items()},
        insert_seconds=seconds,
    )
    engine = make_engine(db_url)
    try:
        yield Village(db_url, engine, summary)
    finally:
        engine.dispose()
