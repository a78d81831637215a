"""Database plumbing shared by every party: engines, sessions, and Alembic migrations.

Each party (municipal registry, jpki, center) owns its own database and its own migration chain in
`<package>/migrations`; `migrate()` brings any of them to head. Several worker processes may start at
once (`kofu serve --workers N`) and each migrates at start: `migration_lock` makes them take turns (a
PostgreSQL advisory lock, or a lock file beside an SQLite database).
"""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from alembic import command
from alembic.config import Config
from pydantic import Field
from sqlalchemy import DateTime, MetaData, Table, TypeDecorator, create_engine, event, text
from sqlalchemy.engine import Dialect, Engine, make_url
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session, sessionmaker

from kofu.liveness import check_at_checkout
from kofu.private import make_private_dirs, private_file, tighten

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every engine (SQLite forgets time zones; UTC is put back on reading)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers and one writer work at once; the busy timeout waits instead of failing under load.
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def normalise_url(url: str) -> str:
    """Accept `postgresql://` and route it to psycopg 3, the driver kofu installs."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


# A server worker runs its database work in a thread pool of this many threads (by default: the
# `worker_threads` of [center] and [municipal]), and its PostgreSQL pools keep as many connections: a
# request never opens its own (PostgreSQL forks a backend for each, whose first queries fill its
# catalogue caches: milliseconds of CPU a connection).
# Eight: two cores are kept busy, and two workers each of center and municipal server stay far inside
# PostgreSQL's default of 100 connections with the other parties beside them.
WORKER_THREADS = 8
MAX_WORKER_THREADS = 64
WorkerThreads = Annotated[int, Field(ge=1, le=MAX_WORKER_THREADS)]  # the `worker_threads` setting
_POOL_OVERFLOW = 4  # for threads outside the pool (the audit chainer, start-up work); these are closed


def limit_worker_threads(threads: int) -> None:
    """Cap the running event loop's default thread pool (sync handlers, `run_in_threadpool`)."""
    import anyio.to_thread

    anyio.to_thread.current_default_thread_limiter().total_tokens = threads


def _private_sqlite(path: Path) -> None:
    """The database file the owner's only before SQLite opens it: its -wal and -shm files take the main
    file's mode; those an earlier version left readable are tightened too."""
    make_private_dirs(path.parent)  # a folder that exists is not ours to change (it may be /tmp)
    private_file(path)  # an empty file is a new, empty SQLite database
    for suffix in ("-wal", "-shm", "-journal"):
        tighten(path.with_name(path.name + suffix))


def make_engine(url: str, *, threads: int = WORKER_THREADS, **kwargs: Any) -> Engine:
    """An engine with kofu's settings for SQLite (WAL, foreign keys) or PostgreSQL (`threads` pooled)."""
    url = normalise_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        path = make_url(url).database
        if path and path != ":memory:" and not path.startswith("file:"):
            _private_sqlite(Path(path))
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_size", threads)
    kwargs.setdefault("max_overflow", _POOL_OVERFLOW)
    engine = create_engine(url, **kwargs)
    check_at_checkout(engine)  # the pool's pre-ping, without its round trip a checkout
    return engine


def table_of(model: type[Any]) -> Table:
    """A mapped class's table, for plain Core statements on hot paths (no ORM bulk-statement machinery)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded values usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


# One writer at a time per SQLite file and process: threads queue on a lock, handed over at once,
# instead of polling SQLite's busy handler (sleeps of up to 100 ms, unfair: seconds of tail latency).
_SQLITE_WRITERS: dict[str, threading.RLock] = {}
_SQLITE_WRITERS_LOCK = threading.Lock()


def dialect_name(factory: sessionmaker[Session]) -> str:
    """The database `factory` is bound to ("sqlite", "postgresql"), or "" when it has no engine."""
    bind = factory.kw.get("bind")
    return bind.dialect.name if isinstance(bind, Engine) else ""


def sqlite_writer_lock(factory: sessionmaker[Session]) -> threading.RLock | None:
    """The writer lock of the SQLite file `factory` is bound to in this process (None for PostgreSQL)."""
    if dialect_name(factory) != "sqlite":
        return None
    key = str(factory.kw["bind"].url)
    with _SQLITE_WRITERS_LOCK:
        return _SQLITE_WRITERS.setdefault(key, threading.RLock())


def isolation_view(engine: Engine, level: str) -> Engine:
    """`engine` with every connection at isolation `level`, made once and kept on the engine (a cache
    keyed by engine would keep dropped engines and their pools alive)."""
    views: dict[str, Engine] = engine.__dict__.setdefault("_kofu_isolation_views", {})
    view = views.get(level)
    if view is None:
        view = views[level] = engine.execution_options(isolation_level=level)
    return view


@contextmanager
def reading(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A read. On PostgreSQL outside any transaction (autocommit): no BEGIN and no COMMIT round trip,
    and nothing lost, as a READ COMMITTED transaction gives each statement its own snapshot anyway.
    Elsewhere it ends with COMMIT, not ROLLBACK; an error still rolls it back.
    """
    bind = factory.kw.get("bind")
    if isinstance(bind, Engine) and bind.dialect.name == "postgresql":
        with factory(bind=isolation_view(bind, "AUTOCOMMIT")) as session:
            yield session
        return
    with factory() as session:
        yield session
        session.commit()


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with sqlite_writer_lock(factory) or nullcontext(), factory() as session, session.begin():
        yield session


# Failures of the database itself (connection lost or refused, pool exhausted, a serialisation or lock
# conflict): the same request may succeed a moment later; neither the request nor the code is wrong.
DATABASE_FAILURES: tuple[type[Exception], ...] = (OperationalError, InterfaceError, PoolTimeoutError)


def alembic_config(url: str, script_location: Path, version_table: str) -> Config:
    """An Alembic configuration for one component's migration chain.

    Each chain keeps its own version table, so several components' tables can share one database.
    """
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    cfg.set_main_option("version_table", version_table)
    return cfg


def migrate(url: str, script_location: Path, version_table: str, revision: str = "head") -> None:
    """Bring the database at `url` to `revision` of the chain in `script_location`."""
    command.upgrade(alembic_config(url, script_location, version_table), revision)


def run_alembic_env(target_metadata: MetaData) -> None:
    """The body of every party's `migrations/env.py`: online migrations on the configured URL."""
    from alembic import context

    config = context.config
    connectable = config.attributes.get("connection")
    if connectable is None:
        engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
        with engine.connect() as connection:
            _run(context, connection, target_metadata)
        engine.dispose()
    else:
        _run(context, connectable, target_metadata)


def _run(context: Any, connection: Any, target_metadata: MetaData) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        version_table=context.config.get_main_option("version_table") or "alembic_version",
        include_name=lambda name, type_, _parent: type_ != "table" or name in target_metadata.tables,
    )
    with context.begin_transaction():
        context.run_migrations()


LOCK_KEY = 0x6B6F6675  # "kofu": one advisory lock for every kofu migration


@contextmanager
def migration_lock(url: str) -> Iterator[None]:
    """Hold a lock for the database at `url` while migrating (other processes wait for it)."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() == "postgresql":
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": LOCK_KEY})
                conn.commit()
                try:
                    yield
                finally:
                    conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
                    conn.commit()
        finally:
            engine.dispose()
    elif parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        with open(f"{parsed.database}.migrate.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield
    else:
        yield
