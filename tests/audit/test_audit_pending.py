"""Decisions are recorded as pending in their own transaction, without a lock, and chained after commit.

The head row is locked only by the chainer, never by a decision's transaction (the measured bottleneck:
64 kiosks queued on it); a rolled-back decision leaves nothing; the chainer thread chains within a second.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from audit_helpers import T0, chain, check, event, fill
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session, sessionmaker

from kofu.audit.chainer import AuditChainer
from kofu.audit.log import AuditLog, pending_count
from kofu.audit.models import Base
from kofu.audit.schema import VERSION_TABLE, migrate_audit
from kofu.db import make_engine, session_factory, transaction

ROUND_WAIT_S = 10.0  # a round takes milliseconds; this only bounds a chainer thread that never rounds


def _record(factory: sessionmaker[Session], n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        with transaction(factory) as session:
            AuditLog().append(session, event(i), T0)


def _pending(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return pending_count(session)


def test_audit_migrations_match_models(db_url: str) -> None:
    migrate_audit(db_url)
    migrate_audit(db_url)  # idempotent
    engine = make_engine(db_url)
    try:
        assert set(Base.metadata.tables) | {VERSION_TABLE} <= set(inspect(engine).get_table_names())
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn,
                opts={
                    "include_name": lambda name, type_, _p: type_ != "table" or name in Base.metadata.tables
                },
            )
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_audit_decision_transaction_holds_no_lock_on_the_head(postgres_url: str) -> None:
    """PostgreSQL: while a decision's transaction is open, the head can be locked (NOWAIT) by another."""
    migrate_audit(postgres_url)
    engine = make_engine(postgres_url)
    factory = session_factory(engine)
    try:
        with factory() as decision, decision.begin():
            AuditLog().append(decision, event(1), T0)  # not committed yet
            with engine.connect() as other, other.begin():
                locked = text("SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE NOWAIT")
                assert other.execute(locked).scalar() == 0
            assert AuditLog().chain(factory) == 0  # not committed: not visible, not chained
        assert AuditLog().chain(factory) == 1
        assert _pending(factory) == 0
    finally:
        engine.dispose()
    assert check(postgres_url).count == 1


def test_audit_chainer_skips_a_locked_head_at_once(postgres_url: str) -> None:
    """PostgreSQL: a chainer that finds the head locked returns 0 at once instead of queueing."""
    migrate_audit(postgres_url)
    engine = make_engine(postgres_url)
    factory = session_factory(engine)
    try:
        _record(factory, 2)
        with engine.connect() as holder, holder.begin():
            holder.execute(text("SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE"))
            began = time.monotonic()
            assert AuditLog().chain(factory) == 0
            assert time.monotonic() - began < 1
        assert AuditLog().chain(factory) == 2
    finally:
        engine.dispose()


def test_audit_rolled_back_decision_leaves_nothing(audit_url: str) -> None:
    engine = make_engine(audit_url)
    factory = session_factory(engine)
    try:
        with pytest.raises(RuntimeError), transaction(factory) as session:
            AuditLog().append(session, event(1), T0)
            raise RuntimeError("the decision failed")
        assert _pending(factory) == 0
        assert AuditLog().chain(factory) == 0
    finally:
        engine.dispose()
    assert chain(audit_url)[0] == []


def test_audit_chain_moves_pending_in_batches_in_order(audit_url: str) -> None:
    engine = make_engine(audit_url)
    factory = session_factory(engine)
    try:
        _record(factory, 7)
        assert chain(audit_url)[0] == []  # recorded, not chained yet
        assert AuditLog().chain(factory, limit=3) == 7  # three transactions: 3, 3, 1
        assert _pending(factory) == 0
        assert AuditLog().chain(factory) == 0
    finally:
        engine.dispose()
    entries, _ = chain(audit_url)
    assert [e.subject for e in entries] == [event(i).subject for i in range(7)]
    assert [e.at for e in entries] == [entries[0].at] * 7 == ["2026-04-01T03:00:00.000000Z"] * 7
    assert check(audit_url).ok


def test_audit_verify_reports_pending_and_does_not_write(sqlite_audit_url: str, kofu_home: Path) -> None:
    from typer.testing import CliRunner

    from kofu.audit.cli import app
    from kofu.settings import Settings

    fill(sqlite_audit_url, 2)
    engine = make_engine(sqlite_audit_url)
    factory = session_factory(engine)
    try:
        _record(factory, 3, start=2)
        runner = CliRunner()

        def run(*args: str) -> str:
            result = runner.invoke(app, [*args, "--db", sqlite_audit_url], obj=Settings(home=kofu_home))
            assert result.exit_code == 0, result.output
            return result.output

        for _ in range(2):  # reading twice: nothing was chained by the first
            out = run("verify")
            assert "intact: 2 entries" in out and "pending 3" in out
        assert '"pending": 3' in run("verify", "--json")
        assert run("show").strip().splitlines()[-1] == "pending 3"
        assert _pending(factory) == 3
        AuditLog().chain(factory)
        out = run("verify")
        assert "intact: 5 entries" in out and "pending 0" in out
    finally:
        engine.dispose()


class SignallingChainer(AuditChainer):
    """The chainer with an event set at the end of each of its rounds, for a test to wait on."""

    def __init__(self, audit: AuditLog, factory: sessionmaker[Session]) -> None:
        super().__init__(audit, factory)
        self.round_ended = threading.Event()

    def chain_once(self, *, last: bool = False) -> int:
        try:
            return super().chain_once(last=last)
        finally:
            self.round_ended.set()

    def next_round(self) -> None:
        """Wait for the end of a round that ends after this call (its thread rounds every second)."""
        self.round_ended.clear()
        assert self.round_ended.wait(ROUND_WAIT_S), "the chainer thread ran no round"


def test_audit_chainer_thread_chains_within_a_second_and_stops(audit_url: str) -> None:
    engine = make_engine(audit_url)
    factory = session_factory(engine)
    chainer = SignallingChainer(AuditLog(), factory)
    try:
        chainer.start()
        _record(factory, 3)
        # the round under way when the rows were recorded may have read before them; the next one may not
        chainer.next_round()
        if _pending(factory):
            chainer.next_round()
        assert _pending(factory) == 0
        thread = chainer._thread
        chainer.stop()
        assert thread is not None and not thread.is_alive()
        # at stop it chains once more: what was decided just before shutdown is not left pending
        slow = AuditChainer(AuditLog(), factory, interval_s=60)
        slow.start()
        _record(factory, 2, start=3)
        slow.stop()
        assert _pending(factory) == 0
    finally:
        chainer.stop()
        engine.dispose()
    assert check(audit_url).count == 5


def test_audit_chainer_survives_a_missing_database_table(sqlite_url: str) -> None:
    """An error (the database down, the tables missing) is logged, and the thread carries on."""
    engine = make_engine(sqlite_url)
    chainer = AuditChainer(AuditLog(), session_factory(engine), interval_s=0.01)
    try:
        assert chainer.chain_once() == 0
        chainer.start()
        time.sleep(0.1)
        assert chainer._thread is not None and chainer._thread.is_alive()
        migrate_audit(sqlite_url)
        _record(session_factory(engine), 1)
        deadline = time.monotonic() + 1
        while check(sqlite_url).count == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert check(sqlite_url).count == 1
    finally:
        chainer.stop()
        engine.dispose()


ROUND = 150  # rows a round: a few pages of the pending table


def _pending_bytes(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return int(session.execute(text("SELECT pg_relation_size('audit_pending')")).scalar_one())


def test_audit_chainer_vacuums_the_pending_table_so_it_stays_small(postgres_url: str) -> None:
    """PostgreSQL without autovacuum (as this machine's server): every `tidy_every` chained rows the
    chainer vacuums `audit_pending`, so the next rows reuse its pages instead of growing the table."""
    migrate_audit(postgres_url)
    engine = make_engine(postgres_url)
    factory = session_factory(engine)
    try:
        untidy = AuditChainer(AuditLog(), factory, tidy_every=10**9)
        _record(factory, ROUND)
        assert untidy.chain_once() == ROUND
        grown = _pending_bytes(factory)
        _record(factory, ROUND, start=ROUND)
        assert untidy.chain_once() == ROUND
        assert _pending_bytes(factory) > grown  # deleted rows' space is not reused without a vacuum

        tidy = AuditChainer(AuditLog(), factory, tidy_every=ROUND)
        _record(factory, ROUND, start=2 * ROUND)
        assert tidy.chain_once() == ROUND  # and vacuums: the dead rows' space is free again
        settled = _pending_bytes(factory)
        for start in (3 * ROUND, 4 * ROUND):
            _record(factory, ROUND, start=start)
            assert tidy.chain_once() == ROUND
        assert _pending_bytes(factory) <= settled
        assert _pending(factory) == 0
    finally:
        engine.dispose()
    assert check(postgres_url).count == 5 * ROUND


def test_audit_tidy_is_a_no_op_on_sqlite(sqlite_audit_url: str) -> None:
    engine = make_engine(sqlite_audit_url)
    try:
        assert AuditLog().tidy(session_factory(engine)) is False
    finally:
        engine.dispose()
