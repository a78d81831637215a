"""The chaos bench's own judges must catch what they look for (no kofu servers needed)."""

from __future__ import annotations

import os
import sqlite3
import time
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from kofu.chaos.checks import LedgerRow, OrderRow, content_at_rest, judge_hours, tally_ledger
from kofu.chaos.faults import postgres_cpu_seconds
from kofu.chaos.judge import Registry, Request, Resident, judge_pages, squeeze
from kofu.chaos.kiosk import Result
from kofu.db import make_engine
from kofu.rules.calendar import JST
from kofu.rules.rulebook import load_rulebook

OHIRA = load_rulebook("ohira")


def _visit(at: datetime, code: str, kind: str = "juminhyo", printed: bool = False) -> tuple[Result, float]:
    """A visit of two seconds seen by servers whose clock showed `at` when it began."""
    now = time.time()
    result = Result(1, "edge", kind, "P", None, None, code=code, started=now, ended=now + 2)
    result.printed_order = "order" if printed else None
    return result, at.timestamp() - now


def test_chaos_hours_judge_catches_issuing_after_closing_and_wrong_reasons_HRS_1_HRS_3() -> None:
    late = datetime(2026, 11, 28, 23, 0, 5, tzinfo=JST)
    assert judge_hours(*_visit(late, "issued", printed=True), OHIRA) is not None
    assert judge_hours(*_visit(late, "closed_hours"), OHIRA) is None
    assert judge_hours(*_visit(late, "year_end_closure"), OHIRA) is not None
    straddling = datetime(2026, 11, 28, 22, 59, 59, tzinfo=JST)  # open at its start: either is right
    assert judge_hours(*_visit(straddling, "issued", printed=True), OHIRA) is None
    assert judge_hours(*_visit(straddling, "closed_hours"), OHIRA) is None
    open_day = datetime(2026, 11, 27, 10, 0, tzinfo=JST)
    assert judge_hours(*_visit(open_day, "closed_hours"), OHIRA) is not None
    assert judge_hours(*_visit(open_day, "municipality_unavailable"), OHIRA) is None  # not an hours reason
    before_midnight = datetime(2026, 12, 28, 23, 59, 50, tzinfo=JST)
    assert judge_hours(*_visit(before_midnight, "year_end_closure"), OHIRA) is not None
    new_year_end = datetime(2026, 12, 29, 0, 0, 1, tzinfo=JST)
    assert judge_hours(*_visit(new_year_end, "year_end_closure"), OHIRA) is None
    early = datetime(2026, 11, 28, 6, 31, tzinfo=JST)  # HRS-2: family registers only in office hours
    assert judge_hours(*_visit(early, "issued", kind="koseki", printed=True), OHIRA) is not None
    assert judge_hours(*_visit(early, "office_hours_only", kind="koseki"), OHIRA) is None


def test_chaos_content_search_finds_planted_names_in_any_form_SEC_4(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "db").mkdir(parents=True)
    (home / "kiosks" / "T-1").mkdir(parents=True)
    name, address = "山本\u3000翼", "宮城県黒川郡大衡村大衡字嵐町9番地"
    db = sqlite3.connect(home / "db" / "center.db")
    db.execute("CREATE TABLE t (v TEXT)")
    db.execute("INSERT INTO t VALUES (?)", (address,))
    db.commit()
    db.close()
    (home / "kiosks" / "T-1" / "state.json").write_text('{"n": "\\u5c71\\u672c\\u3000\\u7ffc"}')
    (home / "logs.txt").write_bytes(name.encode("utf-16-le"))
    (home / "odd.bin").write_bytes(b"\x00\x01x" + address.encode("utf-16-be") + b"\xff")  # odd offset
    (home / "swapped.bin").write_bytes(b"x" + name.encode("utf-16-le") + b"\n")  # odd offset, LE
    (home / "near.bin").write_bytes(name[:-1].encode("utf-16-le") + address[1:].encode("utf-16-be"))
    (home / "db" / "registry.db").write_text(name, encoding="utf-8")  # a source of record
    (home / "db" / "jpki.db-wal").write_text(name, encoding="utf-8")  # a source of record
    (home / "clean.log").write_text("nothing here", encoding="utf-8")
    found = content_at_rest(home, [name, address], {}, tmp_path / "scratch")
    assert sorted(found) == ["db/center.db", "kiosks/T-1/state.json", "logs.txt", "odd.bin", "swapped.bin"]
    assert found["odd.bin"] == found["swapped.bin"] == "utf-16"


def test_chaos_counts_the_cpu_of_a_local_postgresql_server() -> None:
    """The storm's CPU table includes the database when it shares the cores (PostgreSQL on this machine)."""
    url = os.environ.get("KOFU_TEST_DATABASE_URL", "")
    before = postgres_cpu_seconds()
    if not url.startswith("postgresql") or before is None:
        pytest.skip("no PostgreSQL server on this machine")
    engine = make_engine(url)
    with engine.connect() as conn:
        for _ in range(300):  # enough server work to pass several clock ticks
            conn.execute(text("SELECT count(*) FROM generate_series(1, 20000)")).scalar()
        after = postgres_cpu_seconds()  # while the backend lives (an exited one is counted once reaped)
    engine.dispose()
    assert after is not None and after > before


def _resident(person_id: str, name: str, household: int) -> Resident:
    return Resident(person_id, name, name[-2:], None, "大平村1番地", household, False, None)


def test_chaos_paper_judge_names_every_stranger_printed_and_no_one_else_CRT_1() -> None:
    people = [
        _resident("P1", "小林里佳", 1),  # the requester
        _resident("P2", "林里佳", 2),  # inside the requester's name: not a stranger
        _resident("P3", "山田太郎", 3),  # printed: a stranger
        _resident("P4", "山田太郎", 4),  # the same name: the paper cannot tell them apart
        _resident("P5", "田中一", 5),  # not printed
    ]
    registry = Registry({p.person_id: p for p in people}, {})
    page = "住民票の写し 氏名 小林里佳 住所 大平村1番地 備考 山田太郎 田中"
    found = [p.text for p in judge_pages([page], Request("P1", "juminhyo", ("P1",)), registry)]
    assert "names of persons not chosen printed: ['P3', 'P4']" in found
    named = registry.named_in(squeeze(page))
    assert named == {"小林里佳": ["P1"], "林里佳": ["P2"], "山田太郎": ["P3", "P4"]}


def _printed(order_id: str, copies: int, number: str = "N-1") -> Result:
    result = Result(1, "edge", "juminhyo", "P", None, None, code="issued")
    result.printed_order, result.printed_copies, result.number = order_id, copies, number
    return result


def test_chaos_ledger_judge_counts_every_copy_printed_against_the_copies_charged_NRF_1_FEE_1() -> None:
    """NRF-1, FEE-1: a copy printed beyond the copies charged is a print without its charge, a copy
    charged but never printed a charge without its print; an order printed and charged alike passes."""
    orders = {
        "exact": OrderRow("charged", "N-1", 600),
        "short": OrderRow("charged", "N-1", 200),
        "unprinted": OrderRow("charged", "N-1", 600),
        "voided": OrderRow("voided", "N-1", 400),
    }
    entries = [LedgerRow("exact", 3), LedgerRow("short", 1), LedgerRow("unprinted", 3)]
    results = [_printed("exact", 3), _printed("short", 3), _printed("unprinted", 2), _printed("voided", 2)]
    verdict = tally_ledger(orders, entries, results)
    assert verdict.print_without_one_charge == [
        "short copy 2/3",
        "short copy 3/3",
        "voided copy 1/2",
        "voided copy 2/2",
    ]
    assert verdict.charged_without_print == ["unprinted copy 3/3"]
    assert (verdict.orders, verdict.charges, verdict.voided, verdict.cash_returned_orders) == (4, 3, 1, 1)
    assert verdict.stuck_orders == [] and verdict.number_not_registered == []
    honest = tally_ledger({"exact": orders["exact"]}, entries[:1], results[:1])
    assert honest.print_without_one_charge == [] and honest.charged_without_print == []


def test_chaos_ledger_judge_reads_the_copies_from_the_center_tables_FEE_1(tmp_path: Path) -> None:
    """FEE-1: `judge_ledger` takes each order's state and number and each entry's copies from the
    center's own tables: a 3-copy order charged once passes with three papers, fails with one."""
    import uuid
    from datetime import UTC

    from kofu.center.models import LedgerEntry, Order
    from kofu.center.schema import migrate_center
    from kofu.chaos.checks import judge_ledger
    from kofu.db import session_factory, transaction

    url = f"sqlite:///{tmp_path / 'center.db'}"
    migrate_center(url)
    factory = session_factory(make_engine(url))
    oid, now = uuid.uuid4(), datetime(2026, 4, 1, 3, tzinfo=UTC)
    with transaction(factory) as s:
        s.add(
            Order(
                order_id=oid,
                session_id="s",
                terminal_id="T",
                municipality_code="044245",
                kind="juminhyo",
                copies=3,
                unit_fee=200,
                fee=600,
                cash=1000,
                state="charged",
                requester_cert_digest="0" * 64,
                document_number="N-1",
                document_digest="0" * 64,
                created_at=now,
                updated_at=now,
                charged_at=now,
            )
        )
        s.flush()
        s.add(
            LedgerEntry(
                order_id=oid,
                municipality_code="044245",
                chain="c",
                store_code="s",
                terminal_id="T",
                kind="juminhyo",
                copies=3,
                fee=600,
                charged_at=now,
            )
        )
    try:
        assert judge_ledger(factory, [_printed(str(oid), 3)]).print_without_one_charge == []
        short = judge_ledger(factory, [_printed(str(oid), 1)])
        assert short.charged_without_print == [f"{oid} copy 2/3", f"{oid} copy 3/3"]
    finally:
        factory.kw["bind"].dispose()
