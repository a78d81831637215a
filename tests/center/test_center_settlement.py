"""FEE-1: the monthly settlement per municipality and per store chain reconciles every charged order."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from center_helpers import KITAYAMA, OHIRA, Kiosk
from PIL import Image
from sqlalchemy import text, update
from sqlalchemy.orm import Session, sessionmaker

from kofu.center import settlement
from kofu.center.models import LedgerEntry, Order
from kofu.db import transaction
from kofu.rules.kinds import Kind

Factory = sessionmaker[Session]


def test_fee1_settlement_per_municipality_and_chain(center: Factory, tmp_path: Path) -> None:
    """FEE-1: counts and totals per municipality, per chain and per kind; every charged order reconciled."""
    sej = Kiosk(center)
    law = Kiosk(center, terminal_id="T-LAW-0002", session_id="sess-b")
    sej.issue(Kind.JUMINHYO, 2, OHIRA)
    sej.issue(Kind.KOSEKI, 1, OHIRA)
    law.issue(Kind.JUMINHYO, 1, OHIRA)
    law.issue(Kind.INKAN, 1, KITAYAMA)
    voided = law.quote(Kind.KOSEKI)
    law.pay(voided.order_id)
    law.void(voided.order_id)  # NRF-1: not charged, not in the statement
    statement = settlement.settle(center, "2026-04")
    assert statement.reconciled
    assert (statement.orders, statement.copies, statement.yen) == (4, 5, 400 + 450 + 200 + 200)
    assert [(x.group, x.kind, x.orders, x.copies, x.yen) for x in statement.by_municipality] == [
        (OHIRA, "juminhyo", 2, 3, 600),
        (OHIRA, "koseki", 1, 1, 450),
        (KITAYAMA, "inkan", 1, 1, 200),
    ]
    assert sorted((x.group, x.kind, x.yen) for x in statement.by_chain) == [
        ("lawson", "inkan", 200),
        ("lawson", "juminhyo", 200),
        ("seven_eleven", "juminhyo", 400),
        ("seven_eleven", "koseki", 450),
    ]
    only_ohira = settlement.settle(center, "2026-04", municipality_code=OHIRA)
    assert (only_ohira.orders, only_ohira.yen, only_ohira.reconciled) == (3, 1050, True)
    only_lawson = settlement.settle(center, "2026-04", chain="lawson")
    assert (only_lawson.orders, only_lawson.yen, only_lawson.reconciled) == (2, 400, True)
    assert settlement.settle(center, "2026-05").orders == 0
    csv_path, png_path = settlement.write_settlement(statement, tmp_path / "out")
    rows = list(csv.reader(io.StringIO(csv_path.read_text(encoding="utf-8"))))
    assert rows[0] == ["section", "group", "kind", "orders", "documents", "copies", "yen"]
    assert ["total", "2026-04", "", "4", "4", "5", "1250"] in rows
    assert ["day", "2026-04-01", "", "4", "", "", "1250"] in rows
    with Image.open(png_path) as image:
        assert image.format == "PNG" and image.size[0] > 100


def test_fee1_settlement_finds_every_discrepancy(center: Factory) -> None:
    """FEE-1: a charged order without entry, an entry without charge, a wrong fee: all reported."""
    kiosk = Kiosk(center)
    a, b, c = kiosk.issue(), kiosk.issue(), kiosk.issue()
    with transaction(center) as s:  # tamper behind the service's back, past the append-only guard
        if s.get_bind().dialect.name == "postgresql":
            s.execute(text("ALTER TABLE center_fee_ledger DISABLE TRIGGER USER"))
        else:
            s.execute(text("DROP TRIGGER center_fee_ledger_no_update"))
            s.execute(text("DROP TRIGGER center_fee_ledger_no_delete"))
        s.execute(update(LedgerEntry).where(LedgerEntry.order_id == a.order_id).values(fee=999))
        s.query(LedgerEntry).filter(LedgerEntry.order_id == b.order_id).delete()
        s.execute(update(Order).where(Order.order_id == c.order_id).values(state="voided"))
    statement = settlement.settle(center, "2026-04")
    assert not statement.reconciled
    assert {(p.order_id, p.problem) for p in statement.discrepancies} == {
        (a.order_id, "fee_mismatch"),
        (b.order_id, "charged_without_entry"),
        (c.order_id, "entry_without_charge"),
    }
    assert "discrepancy" in settlement.statement_csv(statement)
    assert isinstance(statement.discrepancies[0].order_id, uuid.UUID)


def test_fee1_three_copies_of_one_juminhyo_are_one_document_three_copies_600_yen(
    center: Factory, tmp_path: Path
) -> None:
    """FEE-1: one 3-copy 住民票 order is one document (one number) of three copies charged 600円, and the
    statement, its CSV and the chain lines say so alike."""
    Kiosk(center).issue(Kind.JUMINHYO, 3)
    statement = settlement.settle(center, "2026-04")
    assert statement.reconciled, statement.discrepancies
    assert (statement.orders, statement.documents, statement.copies, statement.yen) == (1, 1, 3, 600)
    assert [(x.kind, x.documents, x.copies, x.yen) for x in statement.by_municipality] == [
        ("juminhyo", 1, 3, 600)
    ]
    assert [(x.kind, x.documents, x.copies, x.yen) for x in statement.by_chain] == [("juminhyo", 1, 3, 600)]
    rows = list(csv.reader(io.StringIO(settlement.statement_csv(statement))))
    assert ["total", "2026-04", "", "1", "1", "3", "600"] in rows


def test_fee1_settlement_finds_copies_charged_other_than_the_order_and_a_charge_without_document(
    center: Factory,
) -> None:
    """FEE-1: a ledger entry billing other copies than its order took, and a charge for an order that
    never had a document: both reported, so copies billed and documents printed cannot drift apart."""
    kiosk = Kiosk(center)
    a, b = kiosk.issue(Kind.JUMINHYO, 3), kiosk.issue()
    with transaction(center) as s:  # tamper behind the service's back, past the append-only guard
        if s.get_bind().dialect.name == "postgresql":
            s.execute(text("ALTER TABLE center_fee_ledger DISABLE TRIGGER USER"))
        else:
            s.execute(text("DROP TRIGGER center_fee_ledger_no_update"))
        s.execute(update(LedgerEntry).where(LedgerEntry.order_id == a.order_id).values(copies=1))
        s.execute(update(Order).where(Order.order_id == b.order_id).values(document_number=None))
    statement = settlement.settle(center, "2026-04")
    assert {(p.order_id, p.problem) for p in statement.discrepancies} == {
        (a.order_id, "copies_mismatch"),
        (b.order_id, "charged_without_document"),
    }
    assert statement.documents == 1


@pytest.mark.parametrize(
    ("month", "start", "end"),
    [
        ("2026-04", datetime(2026, 3, 31, 15, tzinfo=UTC), datetime(2026, 4, 30, 15, tzinfo=UTC)),
        ("2026-12", datetime(2026, 11, 30, 15, tzinfo=UTC), datetime(2026, 12, 31, 15, tzinfo=UTC)),
    ],
)
def test_fee1_months_are_japan_time(month: str, start: datetime, end: datetime) -> None:
    """FEE-1: a month runs from JST midnight to JST midnight."""
    assert settlement.month_bounds(month) == (start, end)
    assert end - start >= timedelta(days=30)


@pytest.mark.parametrize("bad", ["2026-13", "2026-4", "26-04", "2026-04-01", ""])
def test_settlement_refuses_bad_month(bad: str) -> None:
    with pytest.raises(ValueError):
        settlement.month_bounds(bad)
