"""FEE-1: the monthly settlement statement, per municipality and per store chain, from the fee ledger.

It reconciles every charged order with exactly one ledger entry of the same fee and copies, and lists
every mismatch; one order is one document (one number, printed `copies` times), so a charged order
without a document is a mismatch too; documents delivered for orders then voided (no fee, the document
revoked) are counted apart.
Months and days are Japan time. Output as data, CSV, and a PNG chart of daily totals.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from kofu.center.models import LedgerEntry, Order, Terminal
from kofu.rules.calendar import JST, to_jst
from kofu.rules.order import State

_MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")


@dataclass(frozen=True)
class Line:
    """Charged orders of one kind for one municipality or chain: their documents and the copies printed."""

    group: str
    kind: str
    orders: int
    documents: int
    copies: int
    yen: int


@dataclass(frozen=True)
class Day:
    """One JST day's charged orders and yen."""

    day: date
    orders: int
    yen: int


@dataclass(frozen=True)
class Voided:
    """Documents delivered for orders then voided, of one kind for one municipality: revoked, not charged."""

    municipality_code: str
    kind: str
    documents: int
    copies: int


@dataclass(frozen=True)
class Discrepancy:
    """A charged order and the ledger disagreeing (should never happen; the statement says so if it does)."""

    order_id: uuid.UUID
    # charged_without_entry | entry_without_charge | fee_mismatch | copies_mismatch | charged_without_document
    problem: str


@dataclass(frozen=True)
class Statement:
    """One month's settlement."""

    month: str
    by_municipality: tuple[Line, ...]
    by_chain: tuple[Line, ...]
    daily: tuple[Day, ...]
    orders: int
    documents: int  # charged orders with their document (one number each, however many copies)
    copies: int  # copies charged, each one printed
    yen: int
    discrepancies: tuple[Discrepancy, ...]
    voided_after_delivery: tuple[Voided, ...] = ()

    @property
    def reconciled(self) -> bool:
        return not self.discrepancies


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """The UTC instants where a JST month (YYYY-MM) starts and ends; ValueError when malformed."""
    match = _MONTH.fullmatch(month)
    if match is None:
        raise ValueError(f"not a month YYYY-MM: {month!r}")
    year, mon = int(match.group(1)), int(match.group(2))
    start = datetime(year, mon, 1, tzinfo=JST)
    end = datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=JST)
    return start.astimezone(UTC), end.astimezone(UTC)


def _lines(entries: list[LedgerEntry], group_of: str, documented: set[uuid.UUID]) -> tuple[Line, ...]:
    sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for e in entries:
        acc = sums[(getattr(e, group_of), e.kind)]
        acc[0] += 1
        acc[1] += e.order_id in documented
        acc[2] += e.copies
        acc[3] += e.fee
    return tuple(Line(g, k, *v) for (g, k), v in sorted(sums.items()))


def settle(
    factory: sessionmaker[Session],
    month: str,
    *,
    municipality_code: str | None = None,
    chain: str | None = None,
) -> Statement:
    """The statement for `month` (JST), optionally for one municipality or one chain only."""
    start, end = month_bounds(month)
    with factory() as session:
        q = select(LedgerEntry).where(LedgerEntry.charged_at >= start, LedgerEntry.charged_at < end)
        o = select(Order).where(
            Order.state == State.CHARGED.value, Order.charged_at >= start, Order.charged_at < end
        )
        if municipality_code is not None:
            q = q.where(LedgerEntry.municipality_code == municipality_code)
            o = o.where(Order.municipality_code == municipality_code)
        if chain is not None:
            q = q.where(LedgerEntry.chain == chain)
            o = o.join(Terminal, Terminal.terminal_id == Order.terminal_id).where(Terminal.chain == chain)
        entries = list(session.scalars(q.order_by(LedgerEntry.charged_at, LedgerEntry.id)))
        charged = {order.order_id: order for order in session.scalars(o)}
        v = select(Order).where(
            Order.state == State.VOIDED.value,
            Order.document_number.is_not(None),
            Order.updated_at >= start,
            Order.updated_at < end,
        )
        if municipality_code is not None:
            v = v.where(Order.municipality_code == municipality_code)
        if chain is not None:
            v = v.join(Terminal, Terminal.terminal_id == Order.terminal_id).where(Terminal.chain == chain)
        voided: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
        for order in session.scalars(v):
            acc = voided[(order.municipality_code, order.kind)]
            acc[0] += 1
            acc[1] += order.copies
    problems: list[Discrepancy] = []
    by_order: dict[uuid.UUID, LedgerEntry] = {}
    for e in entries:
        by_order[e.order_id] = e
        if e.order_id not in charged:
            problems.append(Discrepancy(e.order_id, "entry_without_charge"))
        elif charged[e.order_id].fee != e.fee:
            problems.append(Discrepancy(e.order_id, "fee_mismatch"))
        elif charged[e.order_id].copies != e.copies:
            problems.append(Discrepancy(e.order_id, "copies_mismatch"))
    problems.extend(Discrepancy(oid, "charged_without_entry") for oid in charged if oid not in by_order)
    documented = {oid for oid, order in charged.items() if order.document_number is not None}
    problems.extend(Discrepancy(oid, "charged_without_document") for oid in charged if oid not in documented)
    days: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for e in entries:
        acc = days[to_jst(e.charged_at).date()]
        acc[0] += 1
        acc[1] += e.fee
    return Statement(
        month=month,
        by_municipality=_lines(entries, "municipality_code", documented),
        by_chain=_lines(entries, "chain", documented),
        daily=tuple(Day(d, n, y) for d, (n, y) in sorted(days.items())),
        orders=len(entries),
        documents=sum(e.order_id in documented for e in entries),
        copies=sum(e.copies for e in entries),
        yen=sum(e.fee for e in entries),
        discrepancies=tuple(sorted(problems, key=lambda p: (p.problem, str(p.order_id)))),
        voided_after_delivery=tuple(Voided(m, k, n, c) for (m, k), (n, c) in sorted(voided.items())),
    )


def statement_csv(statement: Statement) -> str:
    """The statement as CSV: one section column, then group, kind, orders, documents, copies, yen."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "group", "kind", "orders", "documents", "copies", "yen"])
    for section, lines in (("municipality", statement.by_municipality), ("chain", statement.by_chain)):
        for line in lines:
            writer.writerow(
                [section, line.group, line.kind, line.orders, line.documents, line.copies, line.yen]
            )
    for day in statement.daily:
        writer.writerow(["day", day.day.isoformat(), "", day.orders, "", "", day.yen])
    total = statement
    writer.writerow(["total", total.month, "", total.orders, total.documents, total.copies, total.yen])
    for v in statement.voided_after_delivery:  # delivered, then voided: revoked, no fee
        writer.writerow(
            ["voided_after_delivery", v.municipality_code, v.kind, v.documents, v.documents, v.copies, 0]
        )
    for problem in statement.discrepancies:
        writer.writerow(["discrepancy", str(problem.order_id), problem.problem, "", "", "", ""])
    return out.getvalue()


def daily_chart_png(statement: Statement, path: Path) -> Path:
    """A bar chart of the month's daily totals (yen, JST days) as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    start, end = month_bounds(statement.month)
    first = to_jst(start).date()
    n_days = (to_jst(end).date() - first).days
    totals = {d.day: d.yen for d in statement.daily}
    days = [first + timedelta(days=i) for i in range(n_days)]
    fig, ax = plt.subplots(figsize=(10, 4), dpi=100)
    ax.bar([d.day for d in days], [totals.get(d, 0) for d in days], color="#2f6f9f")
    ax.set_title(f"kofu fees charged per day, {statement.month} (JST) - total {statement.yen:,} yen")
    ax.set_xlabel("day of month")
    ax.set_ylabel("yen")
    ax.set_xticks([d.day for d in days])
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png")
    plt.close(fig)
    return path


def write_settlement(statement: Statement, folder: Path) -> tuple[Path, Path]:
    """Write `settlement-YYYY-MM.csv` and `.png` into `folder`; their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    csv_path = folder / f"settlement-{statement.month}.csv"
    csv_path.write_text(statement_csv(statement), encoding="utf-8")
    return csv_path, daily_chart_png(statement, folder / f"settlement-{statement.month}.png")
