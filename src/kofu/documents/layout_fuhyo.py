"""戸籍の附票の写し: 本籍・筆頭者 (option), then each member's addresses oldest first, 消除 for a member
who left the register or died (CRT-5)."""

from __future__ import annotations

from kofu.documents.content import FuhyoContent, FuhyoMember
from kofu.documents.names import wareki, with_kyuuji
from kofu.documents.page import Row, label, note, value

TITLE = "戸籍の附票の写し"
_W3 = (0.15, 0.35, 0.15, 0.35)


def _member(i: int, m: FuhyoMember) -> list[Row]:
    out = [
        Row(
            [label(f"{i}　氏名"), value(with_kyuuji(m.name, m.kyuuji), size=10.5)],
            (0.15, 0.85),
            keep_with_next=True,
            gap_before=4,
        ),
        Row(
            [label("生年月日"), value(wareki(m.birth_date)), label("性別"), value(m.sex)],
            _W3,
            keep_with_next=True,
        ),
    ]
    for j, spell in enumerate(m.addresses):
        out.append(
            Row(
                [
                    label("住所"),
                    value(spell.address),
                    label("住所を定めた年月日"),
                    value(wareki(spell.since)),
                ],
                (0.1, 0.5, 0.18, 0.22),
                keep_with_next=j < len(m.addresses) - 1 or m.removed,
            )
        )
    if m.removed:
        # the last address is no current one: the member is erased with the reason and the day
        said = "　".join(s for s in (m.removed_reason, wareki(m.removed_on)) if s)
        out.append(Row([label("消除"), value(said)], (0.15, 0.85)))
    return out


def rows(content: FuhyoContent) -> list[Row]:
    """The rows of the front, in print order."""
    out: list[Row] = []
    if content.honseki is not None:
        out.append(Row([label("本籍"), value(content.honseki)], (0.15, 0.85)))
    if content.hittousha is not None:
        out.append(Row([label("筆頭者"), value(content.hittousha)], (0.15, 0.85)))
    for i, member in enumerate(content.members, start=1):
        out += _member(i, member)
    out.append(note("以下余白", gap=6))
    return out
