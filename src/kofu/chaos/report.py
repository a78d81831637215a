"""The figure of a chaos run: a rich table (on the console) and then one JSON line, the last on stdout."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table

from kofu.chaos.runner import ALSO_ZERO, INVARIANTS, Run

TOTALS = ("issued", "refused", "faults_injected", "certificates_per_s", "visits", "seconds", "storm_seconds")


def table(run: Run) -> Table:
    figure = run.figure
    out = Table(title=f"kofu bench chaos — {figure.get('database')}, {figure.get('kiosks')} kiosks")
    out.add_column("check")
    out.add_column("value", justify="right")
    out.add_column("", justify="left")
    for key in (*INVARIANTS, *ALSO_ZERO):
        value = figure.get(key, 0)
        out.add_row(key, str(value), "[green]ok[/]" if value == 0 else "[red]FAILED[/]")
    out.add_section()
    for key in TOTALS:
        out.add_row(key, str(figure.get(key)), "")
    out.add_section()
    for name, count in figure.get("faults", {}).items():
        out.add_row(f"fault {name}", str(count), "")
    return out


def show(run: Run, console: Console) -> None:
    """The table, the first examples of anything that failed, then the JSON line on stdout."""
    console.print(table(run))
    for key, cases in run.examples.items():
        console.print(f"[red]{key}[/]:")
        for case in cases:
            console.print(f"  {case}", markup=False)
    print(json_line(run.figure), flush=True)


def json_line(figure: dict[str, Any]) -> str:
    return json.dumps(figure, ensure_ascii=False, separators=(",", ":"))
