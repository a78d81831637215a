"""What `kofu demo` prints at start: where each party is, and the demo cards with their PINs."""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table

from kofu.demo.world import DemoPaths


def print_banner(console: Console, paths: DemoPaths, urls: dict[str, str] | None) -> None:
    """The URLs (when serving) and the demo cards table."""
    if urls:
        console.rule("[bold]kofu demo[/] (plain HTTP on loopback: the demo has no mutual TLS)")
        console.print(f"kiosk          {urls['kiosk']}/")
        console.print(f"center API     {urls['center']}/docs")
        for name, url in urls.items():
            if name.startswith("municipal-"):
                console.print(f"{name:<14} {url}/docs")
        console.print(f"verify         {urls['verify']}/verify")
        console.print(f"jpki (OCSP)    {urls['jpki']}/ocsp")
    cards = json.loads(paths.cards_json.read_text(encoding="utf-8"))
    table = Table(title=f"demo cards ({paths.cards_json})")
    for col in ("card", "PIN", "person", "for", "shows"):
        table.add_column(col)
    for c in cards:
        table.add_row(c["name"], c["pin"], c["person"], c["label"], " ".join(c["shows"]))
    console.print(table)
    console.print(f"home: {paths.home}   (delete it to start afresh)")
