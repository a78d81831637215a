"""The back of each sheet: the signed code, the encrypted copy of the front, and the page marks.

Every back carries the same codes, so a photo of any one back verifies the whole document. Like the
front, the back carries the 複写 background pattern and the micro-text (SEC-6, `draw_security`); each
code is drawn on its own white quiet zone, so the pattern never reaches a module.
"""

from __future__ import annotations

from collections.abc import Sequence

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from kofu.documents import fonts, text
from kofu.documents.content import DocumentHeader
from kofu.documents.names import wareki
from kofu.documents.page import CONTENT_W, MARGIN_X, PAGE_H, PAGE_W, draw_security, page_marks
from kofu.documents.qr import QUIET_ZONE, QrSymbol, draw_qr
from kofu.rules.verification import Verification

MODULE = 0.5 * mm  # about 4 pixels per module in a 200 dpi scan
GAP = 6 * mm
TOP = PAGE_H - 80 * mm
BOTTOM = 52 * mm  # below: the demo mark and the page marks


class BackOverflowError(ValueError):
    """The encrypted copy needs more codes than one back can carry."""


def _explain(header: DocumentHeader) -> str:
    return (
        f"この面の左上のコードは、{header.municipality_name}の電子公印による署名です。"
        "検証サービスで読み取ると、証明書番号・種類・交付日と表面の内容の同一性を確認できます。"
        "ほかのコードは表面の内容を暗号化したもので、検証サービスだけが読み取れます。"
    )


def plan(signed: QrSymbol, sealed: Sequence[QrSymbol]) -> list[tuple[QrSymbol, float, float, float]]:
    """Where each code goes on the back: (symbol, x, y, side); raise BackOverflowError if they do not fit."""
    placed: list[tuple[QrSymbol, float, float, float]] = []
    x, top, row_h = MARGIN_X + QUIET_ZONE * MODULE, TOP, 0.0
    right = PAGE_W - MARGIN_X
    for symbol in [signed, *sealed]:
        side = symbol.size * MODULE
        quiet = QUIET_ZONE * MODULE
        if x + side + quiet > right:
            x, top, row_h = MARGIN_X + quiet, top - row_h - GAP, 0.0
        if top - side < BOTTOM:
            raise BackOverflowError("the encrypted copy does not fit on the back of a sheet")
        placed.append((symbol, x, top - side, side))
        x += side + 2 * quiet + GAP
        row_h = max(row_h, side + quiet)
    return placed


def draw_back(
    canvas: Canvas,
    header: DocumentHeader,
    n: int,
    total: int,
    placed: Sequence[tuple[QrSymbol, float, float, float]],
    verification: Verification,
) -> None:
    """Draw one back page."""
    draw_security(canvas, header)
    marks = page_marks(header, n, total, back=True)
    fonts.draw(canvas, PAGE_W - MARGIN_X, PAGE_H - 12 * mm, marks, fonts.GOTHIC, 8, "right")
    fonts.draw(canvas, PAGE_W - MARGIN_X, 10 * mm, marks, fonts.GOTHIC, 8, "right")
    fonts.draw(canvas, PAGE_W / 2, PAGE_H - 28 * mm, "検証用コード（裏面）", fonts.GOTHIC, 14, "centre")
    y = PAGE_H - 40 * mm
    for line in text.wrap(_explain(header), CONTENT_W, fonts.MINCHO, 9):
        fonts.draw(canvas, MARGIN_X, y, line, fonts.MINCHO, 9)
        y -= 12
    facts = (
        f"{header.municipality_name}（{header.municipality_code}）　{header.kind.title_ja}　"
        f"交付日 {wareki(header.issued_on)}　証明書番号 {header.unique_number}"
    )
    fonts.draw(canvas, MARGIN_X, y - 6, facts, fonts.GOTHIC, 8)
    where = (
        f"検証サービス {verification.url}　（{wareki(verification.until(header.issued_on))}まで確認できます）"
    )
    fonts.draw(canvas, MARGIN_X, y - 18, where, fonts.GOTHIC, 8)
    total_parts = len(placed) - 1
    for i, (symbol, x, qy, side) in enumerate(placed):
        draw_qr(canvas, symbol, x, qy, side)
        caption = "電子公印（署名）" if i == 0 else f"暗号化された内容 {i}/{total_parts}"
        fonts.draw(canvas, x, qy - QUIET_ZONE * MODULE - 7, caption, fonts.GOTHIC, 6.5)
