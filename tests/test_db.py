"""The database plumbing works on both engines kofu supports."""

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from concurrency_support import at_once
from kofu.db import (
    WORKER_THREADS,
    make_engine,
    normalise_url,
    reading,
    session_factory,
    sqlite_writer_lock,
    transaction,
)


def test_engine_connects_on_sqlite_and_postgresql(db_url: str) -> None:
    engine = make_engine(db_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
        if engine.dialect.name == "sqlite":
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_plain_postgresql_urls_use_psycopg3() -> None:
    assert normalise_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("sqlite:///x.db") == "sqlite:///x.db"


def test_sqlite_writers_of_one_process_take_turns_and_none_is_lost(tmp_path: Path) -> None:
    """Threads writing one SQLite file queue on the process's writer lock, not SQLite's busy handler."""
    engine = make_engine(f"sqlite:///{tmp_path / 'turns.db'}")
    factory = session_factory(engine)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER)"))
        conn.execute(text("INSERT INTO counter VALUES (1, 0)"))
    inside, most = 0, 0
    count = threading.Lock()

    def write() -> None:
        nonlocal inside, most
        for _ in range(20):
            with transaction(factory) as session:
                with count:
                    inside += 1
                    most = max(most, inside)
                n = session.execute(text("SELECT n FROM counter WHERE id = 1")).scalar_one()
                time.sleep(0.0005)  # a read-modify-write that would lose updates if writers overlapped
                session.execute(text("UPDATE counter SET n = :n WHERE id = 1"), {"n": n + 1})
                with count:
                    inside -= 1

    threads = [threading.Thread(target=write) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT n FROM counter")).scalar_one() == 160
    assert most == 1
    engine.dispose()


def test_postgresql_transactions_are_not_serialised_by_the_sqlite_lock(db_url: str) -> None:
    engine = make_engine(db_url)
    lock = sqlite_writer_lock(session_factory(engine))
    assert (lock is None) == (engine.dialect.name != "sqlite")
    engine.dispose()


def _backends_of_one_burst(engine: Engine, threads: int) -> set[int]:
    """The PostgreSQL backend of each of `threads` transactions held open at once."""

    def hold(barrier: threading.Barrier) -> int:
        with engine.connect() as conn:
            pid = int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
            barrier.wait(timeout=10)  # every thread holds its connection at this moment
            return pid

    return set(at_once(hold, threads))


@pytest.mark.postgres
def test_a_worker_threads_connections_are_kept_not_opened_again(postgres_url: str) -> None:
    """A full thread pool's worth of concurrent transactions, twice: the second burst opens no backend."""
    engine = make_engine(postgres_url)
    first = _backends_of_one_burst(engine, WORKER_THREADS)
    second = _backends_of_one_burst(engine, WORKER_THREADS)
    engine.dispose()
    assert len(first) == WORKER_THREADS
    assert second <= first


@pytest.mark.postgres
def test_an_engine_pools_as_many_connections_as_its_worker_threads(postgres_url: str) -> None:
    """`threads=3` (a server's worker_threads): three kept, a fourth at once is an overflow, closed."""
    engine = make_engine(postgres_url, threads=3)
    first = _backends_of_one_burst(engine, 3)
    assert _backends_of_one_burst(engine, 3) <= first
    fourth = _backends_of_one_burst(engine, 4)
    engine.dispose()
    assert len(fourth - first) == 1 and engine.pool.size() == 3  # type: ignore[attr-defined]


@pytest.mark.postgres
def test_a_read_on_postgresql_sends_no_begin_and_a_transaction_after_it_still_does(postgres_url: str) -> None:
    """`reading` runs in autocommit (no BEGIN, no COMMIT round trip); the pooled connection goes back to
    transactions for the next `transaction` on it."""
    from psycopg.pq import TransactionStatus

    engine = make_engine(postgres_url, threads=1)
    factory = session_factory(engine)

    def status(session: Session) -> TransactionStatus:
        raw = session.connection().connection.dbapi_connection
        assert raw is not None
        return TransactionStatus(raw.info.transaction_status)

    with reading(factory) as session:
        assert session.execute(text("SELECT 1")).scalar() == 1
        assert status(session) is TransactionStatus.IDLE
    with transaction(factory) as session:
        session.execute(text("SELECT 1"))
        assert status(session) is TransactionStatus.INTRANS
    with reading(factory) as session:
        session.execute(text("SELECT 1"))
        assert status(session) is TransactionStatus.IDLE
    engine.dispose()
