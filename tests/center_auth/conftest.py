"""Fixtures of the center-auth tests: a JPKI (authorities made once per worker) and an authenticator."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from center_auth_helpers import Center, Clock, CountingClient

from kofu.center.auth.authenticator import Authenticator
from kofu.center.auth.cards import MemoryCardRecords
from kofu.center.auth.certificates import CertificateChecker
from kofu.center.auth.revocation import HttpStatusChecker
from kofu.center.auth.schema import migrate_center_auth
from kofu.jpki.authority import Authorities, init_authorities
from kofu.jpki.server import create_app
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


def _center(testbed: Testbed) -> Iterator[Center]:
    migrate_center_auth(testbed.db_url)
    clock = Clock()
    ocsp_client = CountingClient(create_app(testbed.db_url, testbed.authorities))
    records = MemoryCardRecords()
    authenticator = Authenticator(
        testbed.factory,
        CertificateChecker(testbed.authorities.auth.cert, testbed.authorities.sign.cert),
        HttpStatusChecker("http://testserver/ocsp", client=ocsp_client),
        records,
        clock=clock,
    )
    yield Center(testbed, authenticator, records, clock, ocsp_client)
    ocsp_client.close()


@pytest.fixture
def center(testbed: Testbed) -> Iterator[Center]:
    """The authenticator with its tables on SQLite and PostgreSQL."""
    yield from _center(testbed)


@pytest.fixture
def sqlite_center(sqlite_testbed: Testbed) -> Iterator[Center]:
    """The authenticator on SQLite only (checks whose storage part runs on both engines elsewhere)."""
    yield from _center(sqlite_testbed)
