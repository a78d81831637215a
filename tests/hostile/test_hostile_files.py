"""Hostile file names and file contents (issue 6 §3): the CSV import, `kofu verify`, the kiosk tray.

Each is refused with a reason (an exit code and an `error [code]` line for the CLIs, a 4xx or a
refusal screen for the kiosk), never a traceback, and nothing is written.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hostile_world import PIN, SQL_LIKE, TERMINAL, AsOwnPage, HostileWorld, is_refusal
from sqlalchemy import column, func, inspect, select, table
from typer.testing import CliRunner, Result

from kofu.db import make_engine
from kofu.kiosk.app import build_service
from kofu.kiosk.app import create_app as create_kiosk
from kofu.kiosk.config import KioskConfig
from kofu.registry.csvio import export_csv
from kofu.registry.village import generate_village


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small village exported as CSV, once for this module."""
    folder = tmp_path_factory.mktemp("hostile-csv")
    url = f"sqlite:///{folder / 'v.db'}"
    generate_village(url, 20, 3, "ohira", today=date(2026, 4, 1), count_cases=False)
    engine = make_engine(url)
    try:
        export_csv(engine, folder / "csv")
    finally:
        engine.dispose()
    return folder / "csv"


def _spoil(folder: Path, name: str, column: str, value: str) -> None:
    path = folder / f"{name}.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    rows[0][column] = value
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _rows(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            names = inspect(engine).get_table_names()
            return {
                n: int(conn.execute(select(func.count()).select_from(table(n))).scalar_one()) for n in names
            }
    finally:
        engine.dispose()


def _import(folder: Path, url: str) -> Result:
    from kofu.registry.cli import app

    return CliRunner().invoke(app, ["import", str(folder), "--db", url])


CSV_HOSTILE = (SQL_LIKE[0], SQL_LIKE[2], SQL_LIKE[4], SQL_LIKE[7])  # drop table, %, NUL, bidi + BOM


@pytest.mark.parametrize("value", CSV_HOSTILE, ids=["drop_table", "percent", "nul", "bidi"])
def test_csv_import_of_hostile_text_is_data_or_refused(
    exported: Path, tmp_path: Path, db_url: str, value: str
) -> None:
    """A hostile string in a name is stored verbatim or refused with a reason; never a traceback."""
    folder = tmp_path / "csv"
    shutil.copytree(exported, folder)
    _spoil(folder, "persons", "family_name", value)
    target = db_url
    result = _import(folder, target)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    if result.exit_code == 0:  # data, stored verbatim, and every table is still there
        engine = make_engine(target)
        try:
            with engine.connect() as conn:
                persons = table("persons", column("family_name"))
                query = select(func.count()).select_from(persons).where(persons.c.family_name == value)
                assert conn.execute(query).scalar_one() == 1
        finally:
            engine.dispose()
        assert set(_rows(target)) >= {"persons", "households"}
    else:
        assert result.exit_code == 2 and "error [" in result.output, result.output
        assert all(n == 0 for t, n in _rows(target).items() if not t.startswith("alembic"))


@pytest.mark.parametrize("name", ["../../etc", "/dev/zero", "/proc/self/fd/0", "nul\\x00l", "-rf"])
def test_csv_import_refuses_odd_folders(tmp_path: Path, name: str) -> None:
    """A folder that is not one (a device, a traversal, an option-like name) is refused by name."""
    url = f"sqlite:///{tmp_path / 'r.db'}"
    result = _import(Path(name), url)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)


def test_csv_import_does_not_follow_a_table_file_to_a_device(exported: Path, tmp_path: Path) -> None:
    """persons.csv as a symlink to /dev/zero is not read forever: it is refused as not a file."""
    folder = tmp_path / "csv"
    shutil.copytree(exported, folder)
    (folder / "households.csv").unlink()
    os.symlink("/dev/zero", folder / "households.csv")
    url = f"sqlite:///{tmp_path / 'r.db'}"
    result = _import(folder, url)
    assert result.exit_code == 2 and "error [" in result.output, result.output


@pytest.mark.parametrize("name", ["../../etc/passwd", "/dev/zero", "/etc", "does-not-exist.pdf"])
def test_verify_refuses_paths_that_are_not_documents(kofu_home: Path, name: str) -> None:
    """`kofu verify` on a device, a folder, a traversal or nothing: a verdict or refusal, no traceback."""
    from kofu.cli import app

    result = CliRunner().invoke(app, ["verify", name, "--json"])
    assert result.exit_code in (1, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output


def test_kiosk_tray_refuses_file_names_and_odd_indexes(world: HostileWorld) -> None:
    """The tray takes an index into the demo cards, never a file name: anything else is a 400."""
    card = world.issue(world.person())
    entry = {"card": str(card.path), "pin": PIN, "person": card.person_id, "label": "hostile"}
    (world.home / "demo-cards.json").write_text(json.dumps([entry]), encoding="utf-8")
    config = KioskConfig(home=world.home, terminal_id=TERMINAL)
    client = TestClient(
        AsOwnPage(create_kiosk(config, service=build_service(config, center_http=world.center)))
    )
    client.post("/api/start")
    for index in ("../../etc/passwd", str(card.path), -1, 100, 2**70, None, 1.5, [0]):
        reply = client.post("/api/tray/place", json={"index": index})
        assert is_refusal(reply, 400), (index, reply.status_code)
    # an index with no card behind it is a refusal screen (no file is opened)
    reply = client.post("/api/tray/place", json={"index": 5})
    assert reply.status_code == 200 and reply.json()["message"]["code"] == "card_unreadable"
