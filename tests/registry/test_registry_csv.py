"""CSV export/import: identical round trip; a bad row names file, row, column and reason; all or nothing."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from registry_support import Village
from sqlalchemy import func, select
from typer.testing import CliRunner

from kofu.db import make_engine
from kofu.registry.csvio import ImportFailed, export_csv, import_csv
from kofu.registry.models import TABLE_ORDER, Person
from kofu.registry.schema import migrate_registry


def _files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.glob("*.csv"))}


def test_round_trip_export_import_export_is_identical(
    village: Village, tmp_path: Path, sqlite_url: str
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    counts = export_csv(village.engine, first)
    assert set(counts) == set(TABLE_ORDER) and counts["persons"] == 300
    target = sqlite_url.replace("kofu.db", "copy.db")
    migrate_registry(target)
    engine = make_engine(target)
    try:
        assert import_csv(engine, first) == counts
        export_csv(engine, second)
    finally:
        engine.dispose()
    assert _files(first) == _files(second)


@pytest.fixture(scope="module")
def exported_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small village exported to CSV once per module."""
    from kofu.registry.village import generate_village

    base = tmp_path_factory.mktemp("export")
    source = f"sqlite:///{base / 'source.db'}"
    generate_village(source, 60, 3, count_cases=False)
    engine = make_engine(source)
    try:
        export_csv(engine, base / "csv")
    finally:
        engine.dispose()
    return base / "csv"


@pytest.fixture
def exported(exported_once: Path, tmp_path: Path) -> Path:
    """A private copy of the export, to be spoiled by each test."""
    return Path(shutil.copytree(exported_once, tmp_path / "csv"))


def _spoil(directory: Path, table: str, row: int, column: str, value: str) -> None:
    """Set one field; `row` counts lines with the header as row 1."""
    path = directory / f"{table}.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    rows[row - 1][rows[0].index(column)] = value
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


@pytest.mark.parametrize(
    ("table", "row", "column", "value", "reason"),
    [
        ("persons", 3, "birth_date", "1990-02-30", "not a date"),
        ("persons", 4, "household_fk", "999999", "unknown households id 999999"),
        ("persons", 5, "id", "1", "duplicate id"),
        ("persons", 6, "person_id", "", "required value is empty"),
        ("persons", 2, "status", "emigrated", "is not one of"),
        ("card_links", 2, "auth_serial", "12x", "not a valid BigInteger"),
        ("card_links", 3, "auth_serial", str(2**70), "out of range"),
        ("persons", 7, "sex", "x" * 7, "longer than 6"),
        ("seal_impressions", 2, "png", "***", "not base64"),
        ("addresses", 3, "current", "maybe", "not a boolean"),
    ],
)
def test_bad_row_is_reported_and_nothing_is_kept(
    exported: Path, sqlite_url: str, table: str, row: int, column: str, value: str, reason: str
) -> None:
    """Rows are checked before anything is written (engine-independent; rollback is tested on both below)."""
    _spoil(exported, table, row, column, value)
    migrate_registry(sqlite_url)
    engine = make_engine(sqlite_url)
    try:
        with pytest.raises(ImportFailed) as err:
            import_csv(engine, exported)
        problems = err.value.problems
        assert any(
            p.file == f"{table}.csv" and p.row == row and column in p.column and reason in p.reason
            for p in problems
        ), problems
        with engine.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(Person)) == 0
    finally:
        engine.dispose()


def test_database_refusal_rolls_back_everything(
    exported: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refusal only the database notices, after every table was written, leaves nothing behind."""
    from sqlalchemy.exc import IntegrityError

    from kofu.registry import csvio

    real = csvio.insert_tables

    def insert_then_fail(conn, tables, **kw):  # type: ignore[no-untyped-def]
        real(conn, tables, **kw)
        raise IntegrityError("INSERT …", {}, Exception("constraint failed"))

    monkeypatch.setattr(csvio, "insert_tables", insert_then_fail)
    migrate_registry(db_url)
    engine = make_engine(db_url)
    try:
        with pytest.raises(ImportFailed) as err:
            import_csv(engine, exported)
        assert "constraint failed" in err.value.problems[0].reason
        with engine.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(Person)) == 0
    finally:
        engine.dispose()


def test_missing_file_and_bad_header(exported: Path, tmp_path: Path, sqlite_url: str) -> None:
    migrate_registry(sqlite_url)
    engine = make_engine(sqlite_url)
    try:
        with pytest.raises(ImportFailed) as err:
            import_csv(engine, tmp_path / "nowhere")
        assert err.value.problems[0].file == "persons.csv"
        text = (exported / "households.csv").read_text(encoding="utf-8")
        (exported / "households.csv").write_text(text.replace("formed_on", "founded_on", 1), encoding="utf-8")
        with pytest.raises(ImportFailed) as err:
            import_csv(engine, exported)
        columns = {(p.file, p.row, p.column) for p in err.value.problems}
        assert ("households.csv", 1, "formed_on") in columns and (
            "households.csv",
            1,
            "founded_on",
        ) in columns
    finally:
        engine.dispose()


def test_cli_import_reports_file_row_column_reason(exported: Path, tmp_path: Path) -> None:
    from kofu.registry.cli import app

    bad = tmp_path / "bad"
    shutil.copytree(exported, bad)
    _spoil(bad, "persons", 3, "birth_date", "yesterday")
    runner = CliRunner()
    target = f"sqlite:///{tmp_path / 'cli.db'}"
    result = runner.invoke(app, ["import", str(bad), "--db", target])
    assert result.exit_code == 2
    assert "persons.csv, row 3, column birth_date: not a date" in result.output
    assert "nothing was written" in result.output
    ok = runner.invoke(app, ["import", str(exported), "--db", target])
    assert ok.exit_code == 0, ok.output
    out = runner.invoke(app, ["export", str(tmp_path / "out"), "--db", target])
    assert out.exit_code == 0
    assert _files(tmp_path / "out") == _files(exported)


def test_an_export_without_a_newer_nullable_column_still_imports(exported: Path, sqlite_url: str) -> None:
    """An export made before a nullable column existed (koseki_events.new_register) imports with the
    column empty; a missing required column is still refused."""
    import csv

    path = exported / "koseki_events.csv"
    rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))
    drop = rows[0].index("new_register")
    with path.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows([r[:drop] + r[drop + 1 :] for r in rows])
    migrate_registry(sqlite_url)
    engine = make_engine(sqlite_url)
    try:
        assert import_csv(engine, exported)["koseki_events"] == len(rows) - 1
    finally:
        engine.dispose()


def _import(directory: Path, sqlite_url: str) -> dict[str, int]:
    migrate_registry(sqlite_url)
    engine = make_engine(sqlite_url)
    try:
        return import_csv(engine, directory)
    finally:
        engine.dispose()


def test_a_csv_saved_by_excel_with_a_bom_imports(exported: Path, sqlite_url: str) -> None:
    """Excel's "CSV UTF-8" starts each file with a byte-order mark; the first column is still `id`."""
    for path in exported.glob("*.csv"):
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    assert _import(exported, sqlite_url)["persons"] == 60


def test_a_cp932_csv_imports_with_its_names_intact(exported: Path, sqlite_url: str) -> None:
    """A file saved as Shift_JIS (cp932, Excel's plain "CSV") is read, and its kanji survive."""
    names = (exported / "persons.csv").read_text(encoding="utf-8")
    (exported / "persons.csv").write_bytes(names.encode("cp932"))
    _import(exported, sqlite_url)
    engine = make_engine(sqlite_url)
    try:
        with engine.connect() as conn:
            stored = set(conn.scalars(select(Person.family_name)))
    finally:
        engine.dispose()
    first = list(csv.DictReader(names.splitlines()))
    assert {r["family_name"] for r in first} == stored and any(not n.isascii() for n in stored)


def test_a_file_in_neither_encoding_is_refused_with_its_name(exported: Path, sqlite_url: str) -> None:
    (exported / "households.csv").write_bytes(b"id,\xff\xfe\x80\x81\n")
    with pytest.raises(ImportFailed) as err:
        _import(exported, sqlite_url)
    p = err.value.problems[0]
    assert p.file == "households.csv" and "UTF-8" in p.reason and "cp932" in p.reason


def test_row_numbers_count_lines_when_a_field_spans_lines(exported: Path, sqlite_url: str) -> None:
    """A quoted field with a line break makes a record of two lines; errors after it name the file's line."""
    _spoil(exported, "persons", 2, "family_name", "一行目\n二行目")
    _spoil(exported, "persons", 4, "birth_date", "1990-02-30")
    with pytest.raises(ImportFailed) as err:
        _import(exported, sqlite_url)
    assert [(p.row, p.column) for p in err.value.problems] == [(5, "birth_date")]
