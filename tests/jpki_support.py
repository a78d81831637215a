"""A JPKI for tests: authorities made once per worker, copied into each test's home (jpki, office and
center_auth tests import these fixtures into their conftests)."""

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
