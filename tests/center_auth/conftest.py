"""Fixtures of the center-auth tests: a JPKI (authorities made once per worker) and an authenticator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from center_auth_helpers import Center, Clock, CountingClient

from kofu.center.auth.authenticator import Authenticator
from kofu.center.auth.cards import MemoryCardRecords
from kofu.center.auth.certificates import CertificateChecker
from kofu.center.auth.revocation import HttpStatusChecker
from kofu.center.auth.schema import migrate_center_auth
from kofu.center.ratelimit import CARD_LIMIT, migrate_ratelimit
from kofu.jpki.server import create_app
from kofu.jpki.testbed import Testbed


def _center(testbed: Testbed) -> Iterator[Center]:
    migrate_center_auth(testbed.db_url)
    migrate_ratelimit(testbed.db_url)  # the per-card limit's buckets, as in the center app
    clock = Clock()
    ocsp_client = CountingClient(create_app(testbed.db_url, testbed.authorities))
    records = MemoryCardRecords()
    authenticator = Authenticator(
        testbed.factory,
        CertificateChecker(testbed.authorities.auth.cert, testbed.authorities.sign.cert),
        HttpStatusChecker("http://testserver/ocsp", client=ocsp_client),
        records,
        clock=clock,
        card_limit=CARD_LIMIT,
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
