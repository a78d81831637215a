"""A pooled PostgreSQL connection the server ended is replaced at checkout; a live one is kept, unpinged."""

import socket
import threading
import time

import pytest
from sqlalchemy import Engine, create_engine, text

from concurrency_support import at_once
from kofu.db import make_engine
from kofu.liveness import said_something


def test_a_quiet_socket_says_nothing_and_a_closed_or_written_one_does() -> None:
    ours, theirs = socket.socketpair()
    assert not said_something(ours.fileno())
    theirs.sendall(b"E")  # what a terminated backend sends before it closes
    assert said_something(ours.fileno())
    ours.recv(1)
    assert not said_something(ours.fileno())
    theirs.close()
    assert said_something(ours.fileno())
    ours.close()


def _backend(engine: Engine) -> int:
    with engine.connect() as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        conn.commit()
    return int(pid)


def _terminate(url: str, pids: set[int]) -> None:
    admin = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=None)
    with admin.connect() as conn:
        for pid in pids:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()
    time.sleep(0.3)  # the backends' FATAL messages reach the pooled sockets


def _pings(engine: Engine) -> list[int]:
    """Counts every `SELECT 1` the dialect sends to check a connection."""
    pings: list[int] = []
    ping = engine.dialect.do_ping

    def counted(dbapi_connection: object) -> bool:
        pings.append(1)
        return ping(dbapi_connection)

    engine.dialect.do_ping = counted  # type: ignore[method-assign]
    return pings


@pytest.mark.postgres
def test_a_live_pooled_connection_is_kept_without_a_round_trip(postgres_url: str) -> None:
    engine = make_engine(postgres_url, threads=1)
    pings = _pings(engine)
    first = _backend(engine)
    assert [_backend(engine) for _ in range(5)] == [first] * 5
    engine.dispose()
    assert pings == []


@pytest.mark.postgres
def test_a_connection_the_server_ended_is_replaced_at_checkout_and_the_statement_succeeds(
    postgres_url: str,
) -> None:
    engine = make_engine(postgres_url, threads=1)
    pings = _pings(engine)
    first = _backend(engine)
    _terminate(postgres_url, {first})
    second = _backend(engine)  # no error reaches the caller
    assert second != first
    assert pings == [1]  # the socket had something to say: the real ping decided
    assert _backend(engine) == second
    engine.dispose()


@pytest.mark.postgres
def test_after_every_backend_is_terminated_every_request_still_gets_a_working_connection(
    postgres_url: str,
) -> None:
    """As after a database restart: the whole pool is dead, and four threads at once each get a new one."""
    engine = make_engine(postgres_url, threads=4)
    before = set(at_once(lambda barrier: _backend_held(engine, barrier), 4))
    assert len(before) == 4
    _terminate(postgres_url, before)
    after = at_once(lambda barrier: _backend_held(engine, barrier), 4)
    engine.dispose()
    assert len(set(after)) == 4 and not set(after) & before


def _backend_held(engine: Engine, barrier: threading.Barrier) -> int:
    """A backend pid, the connection held until every caller has one: each checks out its own."""
    with engine.connect() as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        barrier.wait()
        conn.commit()
    return int(pid)
