"""印鑑登録証明書: the 印影 at its registered size beside the registrant's items (CRT-2)."""

from __future__ import annotations

from reportlab.lib.units import mm

from kofu.documents.content import InkanContent
from kofu.documents.names import wareki, with_kyuuji
from kofu.documents.page import Cell, Row, label, note, value

TITLE = "印鑑登録証明書"


def rows(content: InkanContent) -> list[Row]:
    """The rows of the front: the impression at its registered size, then the registrant."""
    return [
        Row(
            [label("印影"), Cell("", image=content.seal_image, image_side=content.seal_size_mm * mm)],
            (0.15, 0.85),
        ),
        Row([label("氏名"), value(with_kyuuji(content.name, content.kyuuji), size=10.5)], (0.15, 0.85)),
        Row(
            [label("生年月日"), value(wareki(content.birth_date)), label("性別"), value(content.sex)],
            (0.15, 0.35, 0.15, 0.35),
        ),
        Row([label("住所"), value(content.address)], (0.15, 0.85)),
        note("以下余白", gap=6),
    ]
