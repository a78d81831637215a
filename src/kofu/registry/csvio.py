"""CSV import and export of the registry: one file per table (`<table>.csv`), a header row, UTF-8.

Encoding: empty field = NULL, dates ISO 8601, booleans 1/0, the 印影 PNG in base64. An import checks every
row before writing anything (types, required values, allowed values, duplicate keys, references) and
reports each bad row with file, row (the line the record starts on, the header being line 1), column and
reason; then it writes everything in one transaction, so nothing of a failed import is kept. Files may be
UTF-8 with or without a BOM, or cp932 (`textfile`).
"""

from __future__ import annotations

import base64
import binascii
import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    Table,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import StatementError

from kofu.db import UtcDateTime
from kofu.registry import models
from kofu.registry.bulk import insert_tables
from kofu.registry.models import TABLE_ORDER, Base
from kofu.registry.textfile import UndecodableFile, csv_records, open_text

ALLOWED: dict[tuple[str, str], tuple[str, ...]] = {
    ("persons", "sex"): models.SEXES,
    ("persons", "status"): models.PERSON_STATUSES,
    ("seals", "status"): models.SEAL_STATUSES,
    ("koseki", "status"): models.KOSEKI_STATUSES,
    ("koseki_members", "sex"): models.SEXES,
    ("card_links", "credential"): models.CREDENTIALS,
    ("usage_registrations", "status"): models.USAGE_STATUSES,
    ("changes", "kind"): models.CHANGE_KINDS,
    ("changes", "status"): models.CHANGE_STATUSES,
    ("person_stops", "cause"): models.STOP_CAUSES,
    ("person_stops", "kind"): models.STOP_KINDS,
}
MAX_PROBLEMS = 100


@dataclass(frozen=True)
class ImportProblem:
    """One bad value: where it is and why it was refused."""

    file: str
    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}, row {self.row}, column {self.column}: {self.reason}"


class ImportFailed(Exception):
    """The import was refused; nothing was written."""

    def __init__(self, problems: list[ImportProblem]) -> None:
        super().__init__("; ".join(str(p) for p in problems[:5]))
        self.problems = problems


def _tables() -> Iterator[Table]:
    for name in TABLE_ORDER:
        yield Base.metadata.tables[name]


def _encode(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def export_csv(engine: Engine, directory: Path) -> dict[str, int]:
    """Write every registry table to `directory/<table>.csv`; returns rows per table."""
    directory.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    with engine.connect() as conn:
        for table in _tables():
            names = [c.name for c in table.columns]
            path = directory / f"{table.name}.csv"
            n = 0
            with path.open("w", newline="", encoding="utf-8") as fh:
                writer = csv.writer(fh, lineterminator="\n")
                writer.writerow(names)
                for row in conn.execute(select(table).order_by(table.c.id)):
                    writer.writerow([_encode(v) for v in row])
                    n += 1
            counts[table.name] = n
    return counts


def _parse_aware(s: str) -> datetime:
    value = datetime.fromisoformat(s)
    if value.tzinfo is None:
        raise ValueError("a date-time with its time zone is required (e.g. 2026-12-07T09:00:00+09:00)")
    return value


def _parser(column: Column[Any]) -> Callable[[str], Any]:
    t = column.type
    if isinstance(t, UtcDateTime):
        return _parse_aware
    if isinstance(t, Boolean):
        return _parse_bool
    if isinstance(t, Integer):
        bits = 63 if isinstance(t, BigInteger) else 31
        return lambda s: _parse_int(s, bits)
    if isinstance(t, Date):
        return date.fromisoformat
    if isinstance(t, LargeBinary):
        return lambda s: base64.b64decode(s, validate=True)
    length = getattr(t, "length", None)
    return (lambda s: _parse_str(s, length)) if length else str


def _parse_int(s: str, bits: int) -> int:
    value = int(s)
    if not -(2**bits) <= value < 2**bits:
        raise ValueError(f"{value} is out of range (±2^{bits})")
    return value


def _parse_str(s: str, length: int) -> str:
    if len(s) > length:
        raise ValueError(f"longer than {length} characters")
    return s


def _parse_bool(s: str) -> bool:
    if s in ("1", "true", "True"):
        return True
    if s in ("0", "false", "False"):
        return False
    raise ValueError(f"not a boolean: {s!r} (use 1 or 0)")


def _reason(exc: Exception, column: Column[Any]) -> str:
    kind = type(column.type).__name__
    if isinstance(column.type, UtcDateTime):
        return f"not a date-time with a time zone: {exc}"
    if isinstance(column.type, Date):
        return f"not a date (YYYY-MM-DD): {exc}"
    if isinstance(exc, binascii.Error):
        return f"not base64: {exc}"
    if "longer than" in str(exc):
        return str(exc)
    return f"not a valid {kind}: {exc}"


def read_csv(directory: Path) -> tuple[dict[str, list[dict[str, Any]]], list[ImportProblem]]:
    """Parse and check every table file of `directory`; rows only count when there are no problems."""
    problems: list[ImportProblem] = []
    out: dict[str, list[dict[str, Any]]] = {}
    ids: dict[str, set[int]] = {}
    if not (directory / "persons.csv").is_file():
        return {}, [ImportProblem("persons.csv", 0, "-", f"missing file in {directory}")]
    for table in _tables():
        fname = f"{table.name}.csv"
        path = directory / fname
        rows: list[dict[str, Any]] = []
        out[table.name] = rows
        ids[table.name] = set()
        if not path.is_file():
            continue
        columns = {c.name: c for c in table.columns}
        parsers = {name: _parser(c) for name, c in columns.items()}
        uniques = [
            tuple(c.name for c in u.columns)
            for u in table.constraints
            if isinstance(u, (UniqueConstraint, PrimaryKeyConstraint))
        ]
        seen: dict[tuple[str, ...], dict[tuple[Any, ...], int]] = {u: {} for u in uniques}
        try:
            fh = open_text(path)
        except UndecodableFile as exc:
            problems.append(ImportProblem(fname, 0, "-", str(exc)))
            continue
        with fh:
            records = csv_records(fh)
            _, header = next(records, (1, None))
            if header is None:
                problems.append(ImportProblem(fname, 1, "-", "empty file (a header row is required)"))
                continue
            # a nullable column may be absent (an export from before it existed): its values are empty
            missing = [n for n in columns if n not in header and not columns[n].nullable]
            extra = [n for n in header if n not in columns]
            for n in missing:
                problems.append(ImportProblem(fname, 1, n, "column missing from the header"))
            for n in extra:
                problems.append(ImportProblem(fname, 1, n, "unknown column"))
            if missing or extra:
                continue
            for line, values in records:
                if len(values) != len(header):
                    problems.append(
                        ImportProblem(fname, line, "-", f"{len(values)} fields, the header has {len(header)}")
                    )
                    continue
                row: dict[str, Any] = {}
                for name, raw in zip(header, values, strict=True):
                    col = columns[name]
                    if raw == "":
                        if not col.nullable:
                            problems.append(ImportProblem(fname, line, name, "required value is empty"))
                        row[name] = None
                        continue
                    try:
                        value = parsers[name](raw)
                    except (ValueError, binascii.Error) as exc:
                        problems.append(ImportProblem(fname, line, name, _reason(exc, col)))
                        continue
                    allowed = ALLOWED.get((table.name, name))
                    if allowed is not None and value not in allowed:
                        problems.append(
                            ImportProblem(fname, line, name, f"{value!r} is not one of {allowed}")
                        )
                    row[name] = value
                for u in uniques:
                    key = tuple(row.get(c) for c in u)
                    if any(k is None for k in key):
                        continue
                    if key in seen[u]:
                        problems.append(
                            ImportProblem(
                                fname,
                                line,
                                ",".join(u),
                                f"duplicate {'/'.join(u)} (first at row {seen[u][key]})",
                            )
                        )
                    else:
                        seen[u][key] = line
                row["_line"] = line
                rows.append(row)
                if len(problems) >= MAX_PROBLEMS:
                    return out, problems
        ids[table.name] = {r["id"] for r in rows if r.get("id") is not None}
        # References point only at rows of this import (the registry is empty before an import).
        for name, col in columns.items():
            for fk in col.foreign_keys:
                target = fk.column.table.name
                for r in rows:
                    ref = r.get(name)
                    if ref is not None and ref not in ids.get(target, set()):
                        problems.append(ImportProblem(fname, r["_line"], name, f"unknown {target} id {ref}"))
    for rows in out.values():
        for r in rows:
            r.pop("_line", None)
    return out, problems


def import_csv(engine: Engine, directory: Path) -> dict[str, int]:
    """Import `directory` into the empty registry behind `engine` (migrated); all or nothing."""
    with engine.connect() as conn:
        if conn.scalar(select(func.count()).select_from(models.Person)):
            raise ImportFailed(
                [ImportProblem("-", 0, "-", "the registry is not empty; import into a new database")]
            )
    tables, problems = read_csv(directory)
    if problems:
        raise ImportFailed(problems)
    try:
        with engine.begin() as conn:
            insert_tables(conn, tables)
    except (StatementError, OverflowError) as exc:  # something the checks above missed; all is rolled back
        reason = f"database refused the import: {getattr(exc, 'orig', exc)}"
        raise ImportFailed([ImportProblem("-", 0, "-", reason)]) from exc
    return {name: len(rows) for name, rows in tables.items()}
