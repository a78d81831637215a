"""Issue 26 (6): the demo's start banner fits an 80-column terminal, every card named in full, with
its PIN and its signing password."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.text import Text

from kofu.demo.banner import print_banner
from kofu.demo.cards import DEMO_CARDS
from kofu.demo.world import DemoPaths


def _cards_json(home: Path) -> DemoPaths:
    paths = DemoPaths(home)
    entries = [
        {
            "card": str(home / "cards" / f"{card.name}.card"),
            "name": card.name,
            "pin": card.pin,
            "sign_password": card.sign_password,
            "person": f"044245-{n:07d}",
            "label": card.label_ja,
            "label_en": card.label_en,
            "shows": list(card.shows),
            "biometric_sample": f"face:044245-{n:07d}" if card.credential == "phone" else None,
        }
        for n, card in enumerate(DEMO_CARDS, start=1)
    ]
    paths.cards_json.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    return paths


def test_the_banner_fits_80_columns_and_names_every_card_and_secret(tmp_path: Path) -> None:
    paths = _cards_json(tmp_path)
    console = Console(width=80, record=True, color_system=None, force_terminal=False)
    urls = {
        name: f"http://127.0.0.1:{8000 + i}" for i, name in enumerate(["kiosk", "center", "jpki", "verify"])
    }
    urls["municipal-ohira"] = "http://127.0.0.1:8004"
    print_banner(console, paths, urls)
    text = console.export_text()
    lines = text.splitlines()
    assert max(Text(line).cell_len for line in lines) <= 80
    for card in DEMO_CARDS:
        row = next((r for r in lines if f" {card.name} " in f" {r.replace('│', ' ')} "), None)
        assert row is not None, f"{card.name} not named in full:\n{text}"
        assert card.pin in row and card.sign_password in row, row
    assert "face:044245-" in text  # a phone's sample, as `kofu kiosk session --biometric-sample` takes it
