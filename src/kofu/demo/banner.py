"""What `kofu demo` prints at start: where each party is, and the demo cards with their PINs and
signing passwords, in 80 columns (each card's name whole, what it is for wrapped beneath it)."""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table
from rich.text import Text

from kofu.demo.world import DemoPaths


def print_banner(console: Console, paths: DemoPaths, urls: dict[str, str] | None) -> None:
    """The URLs (when serving) and the demo cards table."""
    if urls:
        console.rule("[bold]kofu demo[/] (plain HTTP on loopback: the demo has no mutual TLS)")
        lines = [("kiosk", f"{urls['kiosk']}/"), ("center API", f"{urls['center']}/docs")]
        lines += [(name, f"{url}/docs") for name, url in urls.items() if name.startswith("municipal-")]
        lines += [("verify", f"{urls['verify']}/verify"), ("jpki (OCSP)", f"{urls['jpki']}/ocsp")]
        width = max(len(name) for name, _ in lines)
        for name, url in lines:
            console.print(f"{name:<{width}}  {url}", soft_wrap=True)
    cards = json.loads(paths.cards_json.read_text(encoding="utf-8"))
    table = Table(title="demo cards", caption=str(paths.cards_json))
    table.add_column("card / for", width=20, overflow="fold")  # a name has at most 20 characters
    table.add_column("PIN", no_wrap=True)
    table.add_column("password", no_wrap=True)  # the signing password (署名用電子証明書)
    table.add_column("person", no_wrap=True)
    table.add_column("shows", overflow="fold")
    for c in cards:
        card = Text.assemble(c["name"], "\n", (c["label"], "dim"))  # a label is text, not markup
        table.add_row(card, c["pin"], c.get("sign_password", ""), c["person"], " ".join(c["shows"]))
    console.print(table)
    phones = [c for c in cards if c.get("biometric_sample")]
    if phones:
        console.print("a phone's biometric sample (kofu kiosk session --biometric-sample):")
        for c in phones:
            console.print(f"  {c['name']:<20} {c['biometric_sample']}")
    console.print(f"home: {paths.home} (delete it to start afresh)", overflow="fold")
