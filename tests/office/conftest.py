"""Fixtures of the office tests: a JPKI (authorities made once per worker) and the office tables."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kofu.jpki.authority import Authorities, init_authorities
from kofu.jpki.testbed import Testbed, open_testbed


@pytest.fixture(scope="session")
def ca(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Authorities]:
    """CA and responder keys, generated and loaded once per test worker (RSA keys are slow to make)."""
    folder = tmp_path_factory.mktemp("jpki-ca") / "keys" / "jpki"
    authorities, _ = init_authorities(folder)
    return folder, authorities


@pytest.fixture
def ca_keys(ca: tuple[Path, Authorities]) -> Path:
    """The folder of the worker's CA keys (copy it into a home)."""
    return ca[0]


@pytest.fixture
def testbed(kofu_home: Path, ca: tuple[Path, Authorities], db_url: str) -> Testbed:
    """A JPKI with its tables on SQLite and PostgreSQL."""
    shutil.copytree(ca[0], kofu_home / "keys" / "jpki")
    return open_testbed(kofu_home, db_url, ca[1])


@pytest.fixture
def sqlite_testbed(kofu_home: Path, ca: tuple[Path, Authorities], sqlite_url: str) -> Testbed:
    """A JPKI on SQLite only (for tests whose storage part is covered elsewhere)."""
    shutil.copytree(ca[0], kofu_home / "keys" / "jpki")
    return open_testbed(kofu_home, sqlite_url, ca[1])


def _with_office(testbed: Testbed) -> Testbed:
    from kofu.db import transaction
    from kofu.office.schema import migrate_office
    from kofu.office.staff import ROLE_PIN_RESET, add_staff

    migrate_office(testbed.db_url)
    with transaction(testbed.factory) as session:
        add_staff(session, "s-001", "住民生活課 窓口", {ROLE_PIN_RESET})
        add_staff(session, "s-002", "総務課", {"records"})
    return testbed


@pytest.fixture
def office(testbed: Testbed) -> Testbed:
    """The testbed with the office tables and two staff members, on SQLite and PostgreSQL."""
    return _with_office(testbed)


@pytest.fixture
def sqlite_office(sqlite_testbed: Testbed) -> Testbed:
    """The same on SQLite only (refusal tables whose storage part is covered on both engines)."""
    return _with_office(sqlite_testbed)
