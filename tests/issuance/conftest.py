"""The issuance path in one process: a generated village, a JPKI, the municipal server and the center.

Every party runs its real app: the municipal app is reached by the center through httpx's ASGI
transport, the JPKI's OCSP responder through Starlette's test client, and the kiosk side is a test
client of the center driven by a virtual card (`JpkiClient(InProcessReader(card))`).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from issuance_world import OTHER_TERMINAL, PERSONS, SEED, TERMINAL, Clock, World

from kofu.center.app.schema import migrate_center_all
from kofu.db import session_factory
from kofu.jpki.authority import init_authorities
from kofu.jpki.schema import migrate_jpki
from kofu.municipal.schema import migrate_municipal
from kofu.registry.village import generate_village
from kofu.rules.calendar import office_offset
from kofu.verify.register import migrate_verify
from party_support import in_process_parties


@pytest.fixture(scope="session")
def ca_keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The JPKI authorities, made once per test worker (RSA key generation is slow)."""
    folder = tmp_path_factory.mktemp("issuance-jpki") / "keys" / "jpki"
    init_authorities(folder)
    return folder


@pytest.fixture
def world(kofu_home: Path, ca_keys: Path, db_url: str) -> Iterator[World]:
    """A village of 200 on `db_url` (SQLite and PostgreSQL), its municipal server, the JPKI and the center."""
    yield from _world(kofu_home, ca_keys, db_url)


@pytest.fixture(scope="session")
def village_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated village (and empty jpki tables) in an SQLite file, made once per test worker."""
    path = tmp_path_factory.mktemp("issuance-village") / "village.db"
    _populate(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_world(kofu_home: Path, ca_keys: Path, village_file: Path, tmp_path: Path) -> Iterator[World]:
    """The same on SQLite only (a copy of the worker's village), for tests whose subject is a rule."""
    path = tmp_path / "world.db"
    shutil.copyfile(village_file, path)
    yield from _world(kofu_home, ca_keys, f"sqlite:///{path}", populated=True)


def _populate(db_url: str) -> None:
    """The village, and every party's tables (each chain to head) on one database."""
    generate_village(db_url, PERSONS, SEED, "ohira", today=date.today(), count_cases=False)
    migrate_jpki(db_url)
    migrate_center_all(db_url)
    migrate_municipal(db_url)
    migrate_verify(db_url)


def _world(kofu_home: Path, ca_keys: Path, db_url: str, *, populated: bool = False) -> Iterator[World]:
    shutil.copytree(ca_keys, kofu_home / "keys" / "jpki")
    if not populated:
        _populate(db_url)
    from kofu.jpki.authority import load_authorities

    authorities = load_authorities(kofu_home / "keys" / "jpki")
    clock, municipal_clock = Clock(), Clock(offset=office_offset(datetime.now(UTC)))
    with (
        in_process_parties(
            db_url,
            kofu_home,
            authorities,
            terminals=(TERMINAL, OTHER_TERMINAL),
            center_clock=clock,
            municipal_clock=municipal_clock,
        ) as p,
        TestClient(p.center_app) as center,
    ):
        yield World(
            db_url,
            kofu_home,
            center,
            p.center_app,
            p.municipal_app,
            p.factory,
            authorities,
            clock,
            municipal_clock,
            session_factory(p.engine),
        )
