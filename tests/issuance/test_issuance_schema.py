"""The center app's and the municipal server's own chains: migrations create exactly their models' tables."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import MetaData, inspect

from kofu.center.app.models import Base as CenterAppBase
from kofu.center.app.schema import migrate_center_sessions
from kofu.db import alembic_config, make_engine
from kofu.municipal.models import Base as MunicipalBase
from kofu.municipal.schema import MIGRATIONS, VERSION_TABLE, migrate_municipal


@pytest.mark.parametrize(
    ("migrate", "metadata", "version_table"),
    [
        (migrate_center_sessions, CenterAppBase.metadata, "alembic_version_center_sessions"),
        (migrate_municipal, MunicipalBase.metadata, VERSION_TABLE),
    ],
    ids=["center_sessions", "municipal"],
)
def test_issuance_migrations_match_models(
    db_url: str, migrate: object, metadata: MetaData, version_table: str
) -> None:
    """Each chain creates its models' tables and columns, under its own version table, twice harmlessly."""
    assert callable(migrate)
    migrate(db_url)
    migrate(db_url)
    engine = make_engine(db_url)
    try:
        found = inspect(engine)
        tables = set(found.get_table_names())
        assert version_table in tables
        for table in metadata.tables.values():
            assert table.name in tables
            columns = {c["name"] for c in found.get_columns(table.name)}
            assert columns == {c.name for c in table.columns}, table.name
    finally:
        engine.dispose()


def test_issuance_municipal_chain_downgrades(sqlite_url: str) -> None:
    """The municipal chain goes down to nothing and up again."""
    from alembic import command

    migrate_municipal(sqlite_url)
    command.downgrade(alembic_config(sqlite_url, MIGRATIONS, VERSION_TABLE), "base")
    engine = make_engine(sqlite_url)
    try:
        assert "municipal_document_numbers" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()
    migrate_municipal(sqlite_url)


def test_issuance_apps_migrate_their_databases_at_start(
    sqlite_url: str, ca_keys: Path, tmp_path: Path
) -> None:
    """With `migrate` on (the default), each app brings every chain it uses to head when it is built."""
    from kofu.center.app import CenterConfig, create_app
    from kofu.municipal import MunicipalConfig
    from kofu.municipal import create_app as create_municipal
    from kofu.wire.statements import center_key_path

    key = center_key_path(tmp_path)
    create_app(
        CenterConfig(
            db_url=sqlite_url, jpki_auth_ca=ca_keys / "auth-ca.pem", jpki_sign_ca=None, statement_key=key
        )
    )
    from kofu.verify.key import verifier_key

    municipal_url = f"sqlite:///{tmp_path / 'municipal.db'}"
    verifier_key(tmp_path)  # a municipal server does not start without the verifier's public key
    create_municipal(MunicipalConfig(registry_url=municipal_url, home=tmp_path))
    for url, expected in (
        (sqlite_url, {"center_orders", "auth_challenges", "center_kiosk_sessions", "center_card_routes"}),
        (municipal_url, {"persons", "municipal_document_numbers"}),
    ):
        engine = make_engine(url)
        try:
            assert expected <= set(inspect(engine).get_table_names())
        finally:
            engine.dispose()


def test_issuance_workers_migrating_at_once_take_turns(db_url: str) -> None:
    """Several workers starting together (`kofu serve --workers N`) all migrate without a race."""
    import subprocess
    import sys

    code = (
        "import sys; from kofu.center.app.schema import migrate_center_all; migrate_center_all(sys.argv[1])"
    )
    workers = [
        subprocess.Popen([sys.executable, "-c", code, db_url], stderr=subprocess.PIPE) for _ in range(3)
    ]
    results = [(w.wait(timeout=120), w.stderr.read() if w.stderr else b"") for w in workers]
    assert [rc for rc, _ in results] == [0, 0, 0], [err.decode()[-500:] for _, err in results]
    engine = make_engine(db_url)
    try:
        assert "center_kiosk_sessions" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
