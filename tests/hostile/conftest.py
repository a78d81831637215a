"""Hostile-input fixtures: the whole issuance path on one SQLite file per test (a copy of a made village)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hostile_world import PERSONS, SEED, TERMINALS, HostileWorld

from kofu.center.app.schema import migrate_center_all
from kofu.center.ratelimit import migrate_ratelimit
from kofu.jpki.authority import init_authorities, load_authorities
from kofu.jpki.schema import migrate_jpki
from kofu.municipal.schema import migrate_municipal
from kofu.registry.village import generate_village
from kofu.verify.register import migrate_verify
from party_support import in_process_parties


@pytest.fixture(scope="session")
def hostile_keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The JPKI authorities, made once per test worker."""
    folder = tmp_path_factory.mktemp("hostile-jpki") / "keys" / "jpki"
    init_authorities(folder)
    return folder


@pytest.fixture(scope="session")
def hostile_village(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated village with every party's tables at head, in an SQLite file made once per worker."""
    path = tmp_path_factory.mktemp("hostile-village") / "village.db"
    url = f"sqlite:///{path}"
    generate_village(url, PERSONS, SEED, "ohira", today=date.today(), count_cases=False)
    migrate_jpki(url)
    migrate_center_all(url)
    migrate_ratelimit(url)
    migrate_municipal(url)
    migrate_verify(url)
    return path


@pytest.fixture
def world(
    kofu_home: Path, hostile_keys: Path, hostile_village: Path, tmp_path: Path
) -> Iterator[HostileWorld]:
    path = tmp_path / "world.db"
    shutil.copyfile(hostile_village, path)
    db_url = f"sqlite:///{path}"
    shutil.copytree(hostile_keys, kofu_home / "keys" / "jpki")
    authorities = load_authorities(kofu_home / "keys" / "jpki")
    with (
        in_process_parties(db_url, kofu_home, authorities, terminals=TERMINALS) as p,
        TestClient(p.center_app) as center,
        TestClient(p.municipal_app) as municipal,
    ):
        yield HostileWorld(
            db_url,
            kofu_home,
            center,
            p.center_app,
            municipal,
            p.municipal_app,
            p.engine,
            p.factory,
            authorities,
        )
