"""Kiosk lookups go through indexes (their cost does not grow with the village): SQLite query plans."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from registry_support import TODAY
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from kofu.db import make_engine
from kofu.registry import repository
from kofu.registry.cards import card_record
from kofu.registry.cases import find_person
from kofu.registry.models import CardLink
from kofu.registry.village import generate_village
from kofu.rules.calendar import newest_fiscal_year

FY = newest_fiscal_year(TODAY)


def _plans(url: str, lookup: Callable[[Session], Any]) -> list[str]:
    """The query-plan lines of every SELECT that `lookup` runs."""
    engine = make_engine(url)
    seen: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, params: Any, _ctx: Any, _many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, params))

    try:
        with Session(engine) as session:
            event.listen(engine, "before_cursor_execute", capture)
            assert lookup(session)
            event.remove(engine, "before_cursor_execute", capture)
            lines: list[str] = []
            raw = session.connection().connection.driver_connection
            assert raw is not None
            for statement, params in seen:
                lines += [row[3] for row in raw.execute(f"EXPLAIN QUERY PLAN {statement}", params)]
            return lines
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def village_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('idx') / 'kofu.db'}"
    generate_village(url, 200, 5, today=TODAY, count_cases=False)
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    return url


def _serial(s: Session) -> int:
    return int(s.scalars(select(CardLink.auth_serial)).first() or 0)


def _case(case: str) -> Callable[[Session], str]:
    return lambda s: find_person(s, case, today=TODAY)


# name: (how to find the argument, the lookup itself)
LOOKUPS: dict[str, tuple[Callable[[Session], Any], Callable[[Session, Any], Any]]] = {
    "person_by_serial": (_serial, repository.person_by_serial),
    "card_record": (_serial, card_record),
    "household_members": (_case("household_head_with_members"), repository.household_members),
    "tax_year": (_case("adult_resident"), lambda s, pid: repository.tax_year(s, pid, FY)),
    "register_members": (_case("large_register"), repository.register_members),
    "pending_changes": (_case("pending_address_change"), lambda s, pid: repository.pending_changes(s, [pid])),
    "snapshot": (_case("adult_resident"), repository.snapshot),
}


def full_scans(url: str, name: str) -> tuple[list[str], list[str]]:
    """(full-scan plan lines, all plan lines) of one lookup's statements."""
    find, call = LOOKUPS[name]
    engine = make_engine(url)
    try:
        with Session(engine) as s:
            arg = find(s)
    finally:
        engine.dispose()
    plans = _plans(url, lambda s: call(s, arg))
    return [line for line in plans if line.startswith("SCAN ") and "INDEX" not in line], plans


@pytest.mark.parametrize("name", sorted(LOOKUPS))
def test_kiosk_lookup_never_scans_a_table(village_db: str, name: str) -> None:
    scans, plans = full_scans(village_db, name)
    assert scans == [], plans
    assert any(line.startswith("SEARCH ") for line in plans), plans


def test_the_plan_check_notices_a_missing_index(village_db: str, tmp_path: Path) -> None:
    """Without the household index, household_members scans persons: the check above would fail."""
    copy = tmp_path / "noindex.db"
    shutil.copy(village_db.removeprefix("sqlite:///"), copy)
    url = f"sqlite:///{copy}"
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_persons_household_fk")
    engine.dispose()
    scans, _ = full_scans(url, "household_members")
    assert any("persons" in line for line in scans)
