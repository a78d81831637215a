"""The sync check: `kofu village reconcile` lists every row where the registry and a full export of the
core system differ, and says nothing when they agree."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

from registry_support import TODAY, Village
from sqlalchemy import delete
from typer.testing import CliRunner

from kofu.registry import repository
from kofu.registry.cases import find_person
from kofu.registry.csvio import export_csv
from kofu.registry.feed import apply_events
from kofu.registry.feed_events import read_events
from kofu.registry.models import TaxRecord
from kofu.registry.reconcile import Difference, reconcile
from kofu.rules.calendar import JST


def _drop_row(path: Path, row_id: int) -> None:
    rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))
    kept = [rows[0], *(r for r in rows[1:] if r[0] != str(row_id))]
    with path.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out, lineterminator="\n").writerows(kept)


def test_reconcile_agrees_with_its_own_export_and_lists_each_difference(
    village: Village, tmp_path: Path
) -> None:
    export = tmp_path / "export"
    export_csv(village.engine, export)
    assert reconcile(village.engine, export) == []
    # the feed moves a resident: their old address is no longer current, a new one is here only
    with village.session() as s:
        pid = find_person(s, "adult_resident", today=TODAY)
    feed = tmp_path / "e.csv"
    feed.write_text(
        f"event_id,kind,person_id,effective_at,address\nr-1,move_within,{pid},{TODAY},宮城県黒川郡大衡村1番地\n"
    )
    events, _ = read_events(feed)
    apply_events(
        village.engine, events, now=datetime(TODAY.year, TODAY.month, TODAY.day, 9, tzinfo=JST), by="t"
    )
    _drop_row(export / "tax_records.csv", 1)  # the export lacks a tax record the registry has
    (export / "changes.csv").unlink()  # the journal is kofu's own: not compared
    with village.engine.begin() as conn:  # a tax record the core system has, lost here
        conn.execute(delete(TaxRecord).where(TaxRecord.id == 2))
    found = reconcile(village.engine, export)
    snap = repository.read_snapshot(village.engine, pid)
    assert snap is not None
    kinds = {(d.table, d.what) for d in found}
    assert ("addresses", "extra") in kinds and ("tax_records", "extra") in kinds
    assert Difference("tax_records", 2, "missing") in found
    assert any(d.table == "addresses" and d.what == "differs" and d.columns == ("current",) for d in found)
    assert not any(d.table == "changes" for d in found)
    assert str(Difference("persons", 7, "differs", ("family_name",))) == "persons id 7: differs (family_name)"


def test_reconcile_cli_exit_codes(village: Village, tmp_path: Path) -> None:
    from kofu.registry.cli import app

    export = tmp_path / "export"
    export_csv(village.engine, export)
    runner = CliRunner()
    same = runner.invoke(app, ["reconcile", str(export), "--db", village.url])
    assert same.exit_code == 0 and "0 difference(s): none" in same.output
    _drop_row(export / "tax_records.csv", 3)
    differs = runner.invoke(app, ["reconcile", str(export), "--db", village.url])
    assert differs.exit_code == 1 and "tax_records id 3: here, not in the export" in differs.output
    (export / "persons.csv").write_text("id,nonsense\n1,2\n", encoding="utf-8")
    broken = runner.invoke(app, ["reconcile", str(export), "--db", village.url])
    assert broken.exit_code == 2 and "error [export_unreadable]" in broken.output
