"""Fixtures of the office tests: a JPKI (authorities made once per worker) and the office tables."""

from __future__ import annotations

import pytest

from kofu.jpki.testbed import Testbed


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
