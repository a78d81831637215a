"""The database plumbing works on both engines kofu supports."""

from sqlalchemy import text

from kofu.db import make_engine, normalise_url


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
