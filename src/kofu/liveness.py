"""Is a pooled PostgreSQL connection still alive? Asked at every checkout, without a round trip.

A connection idle in the pool receives nothing from its server unless the server ends it: a terminated
backend sends its FATAL message and closes the socket, a restarted server's socket closes. So a socket
with nothing to read is alive, and one with something to read gets the real ping (`SELECT 1`), which
decides. The pool's own pre-ping sends `SELECT 1` at every checkout: about twenty a certificate at
the center alone, each a round trip and a query for PostgreSQL.
"""

from __future__ import annotations

import select
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import InvalidatePoolError

_READABLE = select.POLLIN | select.POLLPRI | select.POLLERR | select.POLLHUP


def said_something(fd: int) -> bool:
    """Whether the socket `fd` has something to read, or has been closed or has failed (no waiting)."""
    poller = select.poll()
    poller.register(fd, _READABLE)
    return bool(poller.poll(0))


def check_at_checkout(engine: Engine) -> None:
    """Check `engine`'s pooled connections at checkout: like pre-ping, a dead one makes the pool renew
    every connection older than it (the server may have restarted), and checkout goes on with a new one."""
    dialect = engine.dialect

    def alive(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if dbapi_connection.closed or dbapi_connection.broken:
            raise InvalidatePoolError("the connection was closed")
        if not said_something(dbapi_connection.fileno()):
            return  # the usual case: the server said nothing while the connection sat idle
        try:
            alive_after_ping = dialect.do_ping(dbapi_connection)
        except Exception as exc:  # any failure of the ping means the connection is gone
            raise InvalidatePoolError(f"the server ended the connection: {exc}") from exc
        if not alive_after_ping:
            raise InvalidatePoolError("the connection did not answer")

    event.listen(engine, "checkout", alive)
