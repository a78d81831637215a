"""The center's Alembic chain builds exactly the tables of its models, with its own version table."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from kofu.center.models import Base
from kofu.center.schema import VERSION_TABLE, migrate_center
from kofu.db import make_engine


def test_center_migrations_match_models(db_url: str) -> None:
    migrate_center(db_url)
    migrate_center(db_url)  # idempotent
    engine = make_engine(db_url)
    try:
        names = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) | {VERSION_TABLE} <= names
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn,
                opts={
                    "include_name": lambda name, type_, _p: type_ != "table" or name in Base.metadata.tables
                },
            )
            diff = compare_metadata(context, Base.metadata)
        assert diff == []
    finally:
        engine.dispose()
