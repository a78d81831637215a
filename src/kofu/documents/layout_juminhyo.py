"""住民票の写し: household block, then one block per listed member (CRT-1, INC-6)."""

from __future__ import annotations

from kofu.documents.content import JuminhyoContent, ResidentEntry
from kofu.documents.names import kana_with_kyuuji, wareki, with_kyuuji
from kofu.documents.page import Row, label, note, value

TITLE = "住民票の写し"
_W3 = (0.15, 0.35, 0.15, 0.35)


def _member(i: int, m: ResidentEntry) -> list[Row]:
    # the ふりがな line mirrors the name below it: たかはし　はなこ（よしだ） over 髙橋　花子（旧氏　𠮷田）
    reading = kana_with_kyuuji(m.name_kana, m.kyuuji_kana)
    rows = [
        Row(
            [label(f"{i}　氏名"), value(with_kyuuji(m.name, m.kyuuji), small=reading, size=10.5)],
            (0.15, 0.85),
            keep_with_next=True,
            gap_before=4,
        ),
    ]
    if m.alias:  # a registered 通称 is printed with the name
        rows.append(Row([label("通称"), value(m.alias)], (0.15, 0.85), keep_with_next=True))
    rows += [
        Row(
            [label("生年月日"), value(wareki(m.birth_date)), label("性別"), value(m.sex)],
            _W3,
            keep_with_next=True,
        ),
    ]
    second = [label("住民となった年月日"), value(wareki(m.resident_since))]
    if m.relationship is not None:
        second = [label("続柄"), value(m.relationship), *second]
    else:
        second = [*second, label(""), value("")]
    rows.append(Row(second, _W3, keep_with_next=True))
    rows.append(
        Row(
            [
                label("住所を定めた年月日"),
                value(wareki(m.address_since)),
                label("届出の年月日"),
                value(wareki(m.notified_on)),
            ],
            _W3,
            keep_with_next=True,
        )
    )
    rows += _foreign(m)
    if m.previous_address:
        rows.append(Row([label("従前の住所"), value(m.previous_address)], (0.15, 0.85), keep_with_next=True))
    if m.honseki is not None:  # each member's own: a household may span registers
        rows.append(
            Row(
                [label("本籍"), value(m.honseki), label("筆頭者"), value(m.hittousha or "")],
                (0.15, 0.45, 0.1, 0.3),
                keep_with_next=True,
            )
        )
    rows.append(
        Row(
            [label("異動事由"), value(m.last_change), label("異動年月日"), value(wareki(m.last_change_on))],
            _W3,
        )
    )
    return rows


def _foreign(m: ResidentEntry) -> list[Row]:
    """国籍・地域 and 在留資格 etc., each only where chosen (documents.md)."""
    out: list[Row] = []
    if m.nationality is not None:
        out.append(Row([label("国籍・地域"), value(m.nationality)], (0.15, 0.85), keep_with_next=True))
    r = m.residence
    if r is not None:
        out.append(
            Row(
                [label("在留資格"), value(r.status or ""), label("在留期間"), value(r.period or "")],
                _W3,
                keep_with_next=True,
            )
        )
        out.append(
            Row(
                [label("満了の日"), value(wareki(r.until)), label("区分"), value(r.category or "")],
                _W3,
                keep_with_next=True,
            )
        )
    return out


def rows(content: JuminhyoContent) -> list[Row]:
    """The rows of the front, in print order."""
    out = [Row([label("住所"), value(content.address, size=10.5)], (0.15, 0.85))]
    if content.householder is not None:
        out.append(Row([label("世帯主"), value(content.householder)], (0.15, 0.85)))
    for i, member in enumerate(content.members, start=1):
        out += _member(i, member)
    out.append(note("以下余白", gap=6))
    return out
