"""The checks after the storm: the ledger against the papers, the hours against the rulebook, and what is
left at rest. (Each paper itself was judged as it came out: `kofu.chaos.judge`.)
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.orm import Session, sessionmaker

from kofu.center.models import LedgerEntry, Order
from kofu.chaos.kiosk import Result
from kofu.registry.models import Address, Koseki, KosekiMember, Person
from kofu.rules.decision import Refused
from kofu.rules.hours import service_open
from kofu.rules.kinds import Kind
from kofu.rules.numerals import to_fullwidth
from kofu.rules.rulebook import Rulebook

HOURS_REASONS = frozenset(
    {"closed_hours", "year_end_closure", "office_hours_only", "maintenance", "store_closed"}
)


# --- the ledger ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerVerdict:
    charged_without_print: list[str]  # "<order> copy n/N": a copy charged that no paper shows
    print_without_one_charge: list[str]  # "<order> copy n/N": a copy printed beyond its one charge's copies
    stuck_orders: list[str]
    number_not_registered: list[str]  # printed with another number than the order's (verify would fail)
    orders: int
    charges: int
    voided: int
    cash_returned_orders: int


@dataclass(frozen=True)
class OrderRow:
    """An order as the center's table holds it at the end of the storm."""

    state: str
    document_number: str | None
    cash: int | None


@dataclass(frozen=True)
class LedgerRow:
    """One fee ledger entry: the order it charges and the copies it bills."""

    order_id: str
    copies: int


def judge_ledger(factory: sessionmaker[Session], results: Sequence[Result]) -> LedgerVerdict:
    """NRF-1, FEE-1: every copy printed has its charge and every copy charged its paper (the tables)."""
    with factory() as session:
        orders = {
            str(o.order_id): OrderRow(o.state, o.document_number, o.cash)
            for o in session.scalars(select(Order))
        }
        entries = [LedgerRow(str(oid), copies) for oid, copies in session.execute(_ENTRIES)]
    return tally_ledger(orders, entries, results)


_ENTRIES = select(LedgerEntry.order_id, LedgerEntry.copies)


def _copies(order_id: str, first: int, last: int, of: int) -> list[str]:
    return [f"{order_id} copy {n}/{of}" for n in range(first, last + 1)]


def tally_ledger(
    orders: Mapping[str, OrderRow], entries: Sequence[LedgerRow], results: Sequence[Result]
) -> LedgerVerdict:
    """NRF-1, FEE-1, per copy: an order's copies count as charged only under exactly one ledger entry of
    a charged order; printed copies beyond those are prints without a charge, charged copies beyond the
    printed ones charges without a print."""
    billed: dict[str, list[int]] = {}
    for entry in entries:
        billed.setdefault(entry.order_id, []).append(entry.copies)
    printed = {r.printed_order: r for r in results if r.printed_order}

    def charged_copies(order_id: str) -> int:
        bills = billed.get(order_id, [])
        row = orders.get(order_id)
        return bills[0] if len(bills) == 1 and row is not None and row.state == "charged" else 0

    uncharged: list[str] = []
    unprinted: list[str] = []
    for order_id, result in printed.items():
        charged, made = charged_copies(order_id), result.printed_copies
        uncharged += _copies(order_id, charged + 1, made, made)
        unprinted += _copies(order_id, made + 1, charged, charged)
    for order_id in billed.keys() - printed.keys():  # billed, whatever the order's state: no paper at all
        total = sum(billed[order_id])
        unprinted += _copies(order_id, 1, total, total)
    return LedgerVerdict(
        charged_without_print=sorted(unprinted),
        print_without_one_charge=sorted(uncharged),
        stuck_orders=sorted(o for o, row in orders.items() if row.state not in ("charged", "voided")),
        number_not_registered=sorted(
            o
            for o, r in printed.items()
            if r.number is not None and (orders[o].document_number if o in orders else None) != r.number
        ),
        orders=len(orders),
        charges=len(entries),
        voided=sum(1 for row in orders.values() if row.state == "voided"),
        cash_returned_orders=sum(1 for row in orders.values() if row.state == "voided" and row.cash),
    )


# --- the hours -------------------------------------------------------------------------------------------


def _decision(rulebook: Rulebook, kind: str, at: datetime) -> str | None:
    """The hours reason refusing `kind` at `at` (None: open)."""
    decided = service_open(rulebook, Kind(kind), at)
    return decided.reason.value if isinstance(decided, Refused) else None


def judge_hours(result: Result, offset_s: float, rulebook: Rulebook) -> str | None:
    """HRS-1..3: nothing issued when closed all through the visit; a refusal for hours only when closed,
    with the reason of the time. The servers' clock was the kiosk's plus `offset_s`."""
    if result.code.startswith("bench_error"):
        return None
    start = datetime.fromtimestamp(result.started, UTC) + timedelta(seconds=offset_s)
    end = datetime.fromtimestamp(result.ended, UTC) + timedelta(seconds=offset_s)
    possible = {_decision(rulebook, result.kind, start), _decision(rulebook, result.kind, end)}
    if result.printed_order is not None and None not in possible:
        return f"issued while closed ({sorted(p for p in possible if p)})"
    if result.code in HOURS_REASONS and result.code not in possible:
        return f"refused {result.code} at a time when the rule says {sorted(str(p) for p in possible)}"
    return None


# --- content at rest -----------------------------------------------------------------------------------

WIDE_LIMIT = 64 * 1024 * 1024
SOURCES_OF_RECORD = re.compile(r"db/(registry|jpki)\.db(-wal|-shm|-journal)?")


def needles(factory: sessionmaker[Session], person_ids: Iterable[str]) -> list[str]:
    """The printed names and addresses (present and past) of these persons, in the forms files hold them."""
    wanted = set(person_ids)
    found: set[str] = set()
    with factory() as session:
        rows = session.execute(
            select(Person.id, Person.person_id, Person.family_name, Person.given_name)
        ).all()
        pks = {pk for pk, pid, _, _ in rows if pid in wanted}
        for _pk, pid, family, given in rows:
            if pid in wanted:
                found |= {f"{family}\u3000{given}", f"{family} {given}", f"{family}{given}"}
        for pk, address in session.execute(select(Address.person_fk, Address.address)).all():
            if pk in pks:
                found |= {address, address.replace("\u3000", " "), to_fullwidth(address)}
        honseki = session.execute(
            select(KosekiMember.person_fk, Koseki.honseki_place, Koseki.honseki_lot).join(
                Koseki, Koseki.id == KosekiMember.koseki_fk
            )
        ).all()
        for member, place, lot in honseki:
            if member in pks and place:
                found |= {place + lot, place + to_fullwidth(lot)}
    return sorted(n for n in found if len(n) >= 3)


def _grep(paths: Sequence[Path], patterns: Path) -> set[str]:
    """Which files hold any pattern (GNU grep's many-fixed-strings search)."""
    if not paths:
        return set()
    done = subprocess.run(
        ["grep", "-l", "-a", "-F", "-f", str(patterns), "--", *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )
    return set(done.stdout.splitlines())


def utf16_readings(data: bytes) -> str:
    """`data` read as UTF-16 in both byte orders from both byte alignments, one reading a line."""
    return "\n".join(
        data[offset:].decode(encoding, errors="replace")
        for encoding in ("utf-16-le", "utf-16-be")
        for offset in (0, 1)
    )


def _wide_hits(paths: Sequence[Path], patterns: Path, scratch: Path) -> list[Path]:
    """Which files hold a pattern in UTF-16 (which nothing in kofu writes; files of a reasonable size).

    Each file's UTF-16 readings are written out as UTF-8 for grep: one regular expression of every
    pattern in both encodings scanned the bytes instead, at about 30 µs a byte with 5,000 patterns.
    """
    readings = scratch / "utf-16"
    readings.mkdir(parents=True, exist_ok=True)
    source: dict[str, Path] = {}
    for index, path in enumerate(paths):
        if path.stat().st_size > WIDE_LIMIT:
            continue
        reading = readings / f"{index}.txt"
        reading.write_text(utf16_readings(path.read_bytes()), encoding="utf-8")
        source[str(reading)] = path
    try:
        return sorted(source[hit] for hit in _grep([Path(r) for r in source], patterns))
    finally:
        for reading_name in source:
            Path(reading_name).unlink()
        readings.rmdir()


def content_at_rest(
    home: Path, texts: Sequence[str], database_urls: dict[str, str], scratch: Path
) -> dict[str, str]:
    """Every file under `home` (outside the sources of record) and every table of the given databases
    holding a printed name or address: location -> how it was found. `scratch` is outside the home."""
    scratch.mkdir(parents=True, exist_ok=True)
    patterns = scratch / "needles.txt"
    forms = {form for t in texts for form in (t, json.dumps(t).strip('"'))}
    patterns.write_text("\n".join(sorted(forms)) + "\n", encoding="utf-8")
    files = [
        p
        for p in sorted(home.rglob("*"))
        if p.is_file() and not SOURCES_OF_RECORD.fullmatch(p.relative_to(home).as_posix())
    ]
    found = {Path(p).relative_to(home).as_posix(): "utf-8" for p in _grep(files, patterns)}
    rest = [p for p in files if p.relative_to(home).as_posix() not in found]
    for path in _wide_hits(rest, patterns, scratch):
        found[path.relative_to(home).as_posix()] = "utf-16"
    for name, url in database_urls.items():  # PostgreSQL: every table's rows as text
        engine = create_engine(url)
        try:
            dump = scratch / f"{name}.txt"
            with engine.connect() as conn, dump.open("w", encoding="utf-8") as out:
                for table in inspect(conn).get_table_names():
                    for (row,) in conn.execute(text(f'SELECT t::text FROM "{table}" t')):
                        out.write(f"{table}\t{row}\n")
            if _grep([dump], patterns):
                hits = subprocess.run(
                    ["grep", "-a", "-F", "-f", str(patterns), str(dump)],
                    capture_output=True,
                    text=True,
                    check=False,
                ).stdout.splitlines()
                for line in hits:
                    found[f"{name}:{line.split(chr(9), 1)[0]}"] = "postgresql row"
            dump.unlink()
        finally:
            engine.dispose()
    patterns.unlink()
    return found
