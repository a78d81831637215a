"""Helpers of the audit tests: filling a chain, reading it, and tampering with it as an attacker would."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from kofu.audit.entry import AuditEntry, AuditEvent, subject, tagged
from kofu.audit.log import AuditLog, pending_count, read_chain
from kofu.audit.verifier import Report, verify_chain
from kofu.db import make_engine, session_factory, transaction

T0 = datetime(2026, 4, 1, 3, 0, tzinfo=UTC)


def event(i: int, actor: str = "T-SEJ-0001") -> AuditEvent:
    """A plausible order-step decision number `i`."""
    outcome = "allowed" if i % 3 else "order_state_conflict"
    return AuditEvent(tagged("terminal", actor), "order.pay", subject(order=f"ord-{i:05d}"), outcome)


def fill(
    url: str,
    n: int,
    *,
    key: bytes | None = None,
    actor: str = "T-SEJ-0001",
    start: Any = None,
    log: AuditLog | None = None,
) -> None:
    """Record `n` events, one transaction each (as decisions arrive), each chained after its commit.

    `start`: a barrier to wait at first (concurrent workers then also chain concurrently); `log`: the
    worker's log (default: one keyed by `key`, heads unsigned).
    """
    engine = make_engine(url)
    factory = session_factory(engine)
    log = log or AuditLog(key)
    try:
        if start is not None:
            with engine.connect():
                pass  # connected before the start, so both workers begin appending at once
            start.wait()
        for i in range(n):
            with transaction(factory) as session:
                log.append(session, event(i, actor), T0 + timedelta(seconds=i))
            log.chain(factory)
            if start is not None:
                time.sleep(0.002)  # the work between two decisions, so the workers' appends interleave
    finally:
        engine.dispose()


@contextmanager
def reading(url: str) -> Iterator[Session]:
    """A session on `url` with an engine of its own, disposed at the end."""
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


def chain(url: str) -> tuple[list[AuditEntry], object]:
    with reading(url) as session:
        return read_chain(session)


def check(url: str, key: bytes | None = None) -> Report:
    with reading(url) as session:
        entries, head = read_chain(session)
    return verify_chain(entries, head, key)


def pending(url: str) -> int:
    """How many recorded decisions are not chained yet."""
    with reading(url) as session:
        return pending_count(session)


def tamper(url: str, *statements: str) -> None:
    """Run SQL as someone with direct database access: the append-only triggers switched off first."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER USER"))
            else:
                conn.execute(text("DROP TRIGGER IF EXISTS audit_entries_no_update"))
                conn.execute(text("DROP TRIGGER IF EXISTS audit_entries_no_delete"))
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()
