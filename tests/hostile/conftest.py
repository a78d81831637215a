"""Hostile-input fixtures: the whole issuance path on one SQLite file per test (a copy of a made village)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from hostile_world import OHIRA, PERSONS, SEED, TERMINALS, HostileWorld

from kofu.center.app import CenterConfig
from kofu.center.app.factory import create_app as create_center
from kofu.center.app.schema import migrate_center_all
from kofu.center.auth.revocation import HttpStatusChecker
from kofu.center.ratelimit import migrate_ratelimit
from kofu.center.registers import add_municipality, add_terminal
from kofu.db import make_engine, session_factory, transaction
from kofu.jpki.authority import init_authorities, load_authorities
from kofu.jpki.schema import migrate_jpki
from kofu.jpki.server import create_app as create_jpki
from kofu.municipal import MunicipalConfig
from kofu.municipal.app import create_app as create_municipal
from kofu.municipal.schema import migrate_municipal
from kofu.registry.village import generate_village
from kofu.verify.register import migrate_verify


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
    municipal_app = create_municipal(
        MunicipalConfig(registry_url=db_url, rulebook="ohira", home=kofu_home, migrate=False)
    )
    ocsp = TestClient(create_jpki(db_url, authorities))
    config = CenterConfig(
        db_url=db_url,
        jpki_auth_ca=kofu_home / "keys" / "jpki" / "auth-ca.pem",
        jpki_sign_ca=kofu_home / "keys" / "jpki" / "sign-ca.pem",
        migrate=False,
    )
    center_app = create_center(
        config,
        status=HttpStatusChecker("http://testserver/ocsp", client=ocsp),
        municipal_transports={OHIRA: httpx.ASGITransport(app=municipal_app)},
    )
    engine = make_engine(db_url)
    factory = session_factory(engine)
    with transaction(factory) as session:
        now = datetime.now(UTC)
        for terminal in TERMINALS:
            add_terminal(
                session,
                terminal_id=terminal,
                chain="seven_eleven",
                store_code="S1",
                store_name="大衡店",
                now=now,
            )
        add_municipality(
            session, code=OHIRA, name_ja="大衡村", name_en="Ōhira", base_url="http://ohira.test", now=now
        )
    with TestClient(center_app) as center, TestClient(municipal_app) as municipal:
        yield HostileWorld(
            db_url, kofu_home, center, center_app, municipal, municipal_app, engine, factory, authorities
        )
    ocsp.close()
    center_app.state.service.factory.kw["bind"].dispose()
    municipal_app.state.service.close()
    engine.dispose()
