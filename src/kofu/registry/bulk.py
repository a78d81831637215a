"""Bulk writes of whole tables: Core executemany in batches, one transaction, ids given by the caller."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from kofu.registry.models import TABLE_ORDER, Base

BATCH = 10_000


def insert_tables(
    conn: Connection,
    tables: Mapping[str, Sequence[Mapping[str, Any]]],
    *,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Insert every table's rows in foreign-key order; returns the number of rows written."""
    written = 0
    for name in TABLE_ORDER:
        rows = tables.get(name) or ()
        table = Base.metadata.tables[name]
        for start in range(0, len(rows), BATCH):
            chunk = rows[start : start + BATCH]
            conn.execute(table.insert(), list(chunk))
            written += len(chunk)
            if progress is not None:
                progress(len(chunk))
    sync_sequences(conn)
    return written


def sync_sequences(conn: Connection) -> None:
    """After explicit ids, move PostgreSQL's id sequences past them (SQLite needs nothing)."""
    if conn.dialect.name != "postgresql":
        return
    for name in TABLE_ORDER:
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {name}), 0) + 1, false)"
            )
        )
