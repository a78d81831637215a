"""The registry's schema comes from its own Alembic chain and matches the models, on both engines."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from kofu.db import make_engine
from kofu.registry.models import TABLE_ORDER, Base
from kofu.registry.schema import VERSION_TABLE, migrate_registry


def test_migration_creates_every_table_and_matches_models(db_url: str) -> None:
    migrate_registry(db_url)
    migrate_registry(db_url)  # running again is harmless
    engine = make_engine(db_url)
    try:
        names = set(inspect(engine).get_table_names())
        assert set(TABLE_ORDER) <= names
        assert VERSION_TABLE in names
        assert "alembic_version" not in names  # own version table, never the shared default
        with engine.connect() as conn:
            ctx = MigrationContext.configure(
                conn,
                opts={"include_name": lambda name, kind, _p: kind != "table" or name in Base.metadata.tables},
            )
            diff = compare_metadata(ctx, Base.metadata)
            assert diff == [], f"models and migration differ: {diff}"
            assert conn.scalar(text(f"SELECT version_num FROM {VERSION_TABLE}"))
    finally:
        engine.dispose()


def test_sqlite_registry_runs_in_wal_mode(sqlite_url: str) -> None:
    migrate_registry(sqlite_url)
    engine = make_engine(sqlite_url)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        engine.dispose()


def test_kiosk_lookup_columns_are_indexed(db_url: str) -> None:
    """Person by certificate serial, household members, register members and tax year use indexes."""
    migrate_registry(db_url)
    engine = make_engine(db_url)
    try:
        insp = inspect(engine)

        def indexed(table: str, first_column: str) -> bool:
            idx = [i["column_names"] for i in insp.get_indexes(table)]
            uq = [u["column_names"] for u in insp.get_unique_constraints(table)]
            return any(cols and cols[0] == first_column for cols in idx + uq)

        assert indexed("card_links", "auth_serial")
        assert indexed("persons", "person_id")
        assert indexed("persons", "household_fk")
        assert indexed("koseki_members", "koseki_fk")
        assert indexed("koseki_members", "person_fk")
        assert indexed("tax_records", "person_fk")
        assert indexed("addresses", "person_fk")
        assert indexed("changes", "person_fk")
    finally:
        engine.dispose()
