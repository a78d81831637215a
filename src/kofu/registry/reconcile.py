"""The sync check: the registry against a full export of the village's core system, difference by
difference, so staff see what the change feed missed.

The export is in the import's format (`csvio`: one `<table>.csv` a table, the core system's row ids) and
is checked the same way; only the tables it has a file for are compared (the journal, the stops and the
card links are kofu's own). A row is matched by its id; a column is compared only where the export has it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.engine import Engine

from kofu.registry.csvio import ImportFailed, read_csv
from kofu.registry.models import TABLE_ORDER, Base

What = Literal["missing", "extra", "differs"]
_SAID: dict[str, str] = {
    "missing": "in the export, not here",
    "extra": "here, not in the export",
    "differs": "differs",
}


@dataclass(frozen=True)
class Difference:
    """One row that is not the same: missing here, here but not in the export, or with other values."""

    table: str
    row_id: int
    what: What
    columns: tuple[str, ...] = ()

    def __str__(self) -> str:
        cols = f" ({', '.join(self.columns)})" if self.columns else ""
        return f"{self.table} id {self.row_id}: {_SAID[self.what]}{cols}"


def reconcile(engine: Engine, directory: Path) -> list[Difference]:
    """Every difference between the registry behind `engine` and the export in `directory`."""
    exported, problems = read_csv(directory)
    if problems:
        raise ImportFailed(problems)
    present = [name for name in TABLE_ORDER if (directory / f"{name}.csv").is_file()]
    out: list[Difference] = []
    with engine.connect() as conn:
        for name in present:
            table = Base.metadata.tables[name]
            here: dict[int, dict[str, Any]] = {
                row["id"]: dict(row) for row in conn.execute(select(table)).mappings()
            }
            there = {row["id"]: row for row in exported.get(name, [])}
            for row_id in sorted(there.keys() - here.keys()):
                out.append(Difference(name, row_id, "missing"))
            for row_id in sorted(here.keys() - there.keys()):
                out.append(Difference(name, row_id, "extra"))
            for row_id in sorted(here.keys() & there.keys()):
                theirs, ours = there[row_id], here[row_id]
                differ = tuple(c for c in theirs if c in ours and theirs[c] != ours[c])
                if differ:
                    out.append(Difference(name, row_id, "differs", differ))
    return out
