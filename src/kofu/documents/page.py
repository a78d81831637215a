"""The page machinery shared by the five layouts: ruled rows, pagination, the front's frame.

A layout is a list of `Row`s (bordered cells of wrapped text). `paginate` stacks them on A4 fronts,
keeping a row with the next one where asked, and leaves room for the certification block on the
last page. Both sides of every sheet carry the background pattern and the micro-text lines (SEC-6,
`draw_security`); every page carries the document's unique number and "n / N" (PAG-1), and 見本 across
it in demo configurations.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from kofu.documents import fonts, pattern, text
from kofu.documents.content import DocumentHeader
from kofu.rules.kinds import Kind
from kofu.rules.paging import page_label
from kofu.rules.wareki import to_wareki

PAGE_W, PAGE_H = A4
MARGIN_X = 15 * mm
CONTENT_W = PAGE_W - 2 * MARGIN_X
BODY_TOP = PAGE_H - 40 * mm  # below the title block
BODY_BOTTOM = 22 * mm  # above the footer
CERT_BLOCK_H = 52 * mm  # certification sentence, date, mayor and seal
PAD = 2.2  # points of padding inside a cell
LABEL_SHADE = (0.93, 0.93, 0.93)
SEAL_RED = (0.80, 0.10, 0.10)


@dataclass(frozen=True)
class Cell:
    """One cell of a row: text in a font and size, optionally shaded as a label."""

    text: str
    font: str = fonts.MINCHO
    size: float = 9.0
    label: bool = False
    align: str = "left"
    small: str | None = None  # a second, smaller line (ふりがな)
    image: bytes | None = None  # a PNG drawn at `image_side` points, centred (the 印影)
    image_side: float = 0.0


@dataclass(frozen=True)
class Row:
    """A line of cells with widths as fractions of the content width."""

    cells: Sequence[Cell]
    widths: Sequence[float]
    keep_with_next: bool = False
    border: bool = True
    gap_before: float = 0.0
    rule_above: bool = False  # a horizontal line across the page above the row (family registers)
    _lines: list[list[str]] = field(default_factory=list, compare=False, repr=False)

    def layout(self) -> float:
        """Wrap each cell's text; return the row's height in points."""
        self._lines.clear()
        height = 0.0
        for cell, frac in zip(self.cells, self.widths, strict=True):
            inner = frac * CONTENT_W - 2 * PAD
            lines = text.wrap(cell.text, inner, cell.font, cell.size) if cell.text else [""]
            self._lines.append(lines)
            h = len(lines) * cell.size * 1.3 + (cell.size * 0.95 if cell.small else 0)
            height = max(height, h, cell.image_side + 2 * PAD if cell.image else 0.0)
        return height + 2 * PAD + self.gap_before

    def draw(self, canvas: Canvas, top: float, height: float) -> None:
        """Draw the row with its top edge at `top`."""
        top -= self.gap_before
        height -= self.gap_before
        if self.rule_above:
            canvas.setLineWidth(0.7)
            canvas.setStrokeColorRGB(0, 0, 0)
            canvas.line(MARGIN_X, top, MARGIN_X + CONTENT_W, top)
        x = MARGIN_X
        for cell, frac, lines in zip(self.cells, self.widths, self._lines, strict=True):
            w = frac * CONTENT_W
            if self.border:
                canvas.setLineWidth(0.5)
                canvas.setStrokeColorRGB(0, 0, 0)
                if cell.label:
                    canvas.setFillColorRGB(*LABEL_SHADE)
                canvas.rect(x, top - height, w, height, stroke=1, fill=1 if cell.label else 0)
            canvas.setFillColorRGB(0, 0, 0)
            if cell.image:
                side = cell.image_side
                reader = ImageReader(io.BytesIO(cell.image))
                canvas.drawImage(
                    reader, x + (w - side) / 2, top - (height + side) / 2, side, side, mask="auto"
                )
            y = top - PAD - cell.size
            if cell.small:
                fonts.draw(canvas, x + PAD, y + 0.2 * cell.size, cell.small, fonts.MINCHO, cell.size * 0.65)
                y -= cell.size * 0.95
            for line in lines:
                if cell.align == "right":
                    fonts.draw(canvas, x + w - PAD, y, line, cell.font, cell.size, "right")
                elif cell.align == "centre":
                    fonts.draw(canvas, x + w / 2, y, line, cell.font, cell.size, "centre")
                else:
                    fonts.draw(canvas, x + PAD, y, line, cell.font, cell.size)
                y -= cell.size * 1.3
            x += w


def label(s: str) -> Cell:
    """A shaded label cell in the legible gothic face."""
    return Cell(s, font=fonts.GOTHIC, size=8.0, label=True)


def value(s: str, *, size: float = 9.5, align: str = "left", small: str | None = None) -> Cell:
    """A value cell in mincho."""
    return Cell(s, size=size, align=align, small=small)


def note(s: str, *, size: float = 9.0, gap: float = 0.0, font: str = fonts.MINCHO) -> Row:
    """A borderless line of text across the page."""
    return Row([Cell(s, font=font, size=size)], [1.0], border=False, gap_before=gap)


Page = list[tuple[Row, float]]


def paginate(rows: Sequence[Row]) -> list[Page]:
    """Stack rows on pages, honouring keep-with-next, leaving room for the certification block."""
    sized = [(row, row.layout()) for row in rows]
    pages: list[Page] = [[]]
    space = BODY_TOP - BODY_BOTTOM
    used = 0.0
    i = 0
    while i < len(sized):
        group = [sized[i]]
        while group[-1][0].keep_with_next and i + len(group) < len(sized):
            group.append(sized[i + len(group)])
        need = sum(h for _, h in group)
        if used + need > space and pages[-1]:
            pages.append([])
            used = 0.0
        for item in group:
            if used + item[1] > space and pages[-1]:  # a group taller than a page splits
                pages.append([])
                used = 0.0
            pages[-1].append(item)
            used += item[1]
        i += len(group)
    if used + CERT_BLOCK_H > space:
        pages.append([])
    return pages


def draw_rows(canvas: Canvas, page: Page) -> float:
    """Draw a page's rows from the body top; return the y below the last one."""
    y = BODY_TOP
    for row, height in page:
        row.draw(canvas, y, height)
        y -= height
    return y


def page_marks(header: DocumentHeader, n: int, total: int, *, back: bool = False) -> str:
    """The unique number and "n / N" printed on every page (PAG-1)."""
    side = "（裏面）" if back else ""
    return f"証明書番号 {header.unique_number}　{page_label(n, total)}{side}"


def micro_text(header: DocumentHeader) -> str:
    """The micro-printed line: municipality, code and unique number, repeated."""
    unit = f"{header.municipality_name}{header.municipality_code}KOFU{header.unique_number}"
    return (unit + "・") * 12


def draw_security(canvas: Canvas, header: DocumentHeader) -> None:
    """SEC-6 on either side of a sheet: the 複写 background pattern and the micro-text lines.

    Drawn first: content, codes (on their own white ground) and marks go over it.
    """
    pattern.draw(canvas)
    canvas.setFillColorRGB(0.35, 0.35, 0.35)
    line = micro_text(header)
    fonts.draw(canvas, MARGIN_X, PAGE_H - 33 * mm, line, fonts.GOTHIC, 1.4)
    fonts.draw(canvas, MARGIN_X, 16 * mm, line, fonts.GOTHIC, 1.4)
    canvas.setFillColorRGB(0, 0, 0)


def draw_frame(canvas: Canvas, header: DocumentHeader, title: str, n: int, total: int) -> None:
    """The front's frame: pattern and micro-text, title, marks."""
    draw_security(canvas, header)
    fonts.draw(canvas, PAGE_W / 2, PAGE_H - 24 * mm, title, fonts.MINCHO, 20, "centre")
    marks = page_marks(header, n, total)
    fonts.draw(canvas, PAGE_W - MARGIN_X, PAGE_H - 12 * mm, marks, fonts.GOTHIC, 8, "right")
    fonts.draw(canvas, PAGE_W - MARGIN_X, 10 * mm, marks, fonts.GOTHIC, 8, "right")


def draw_demo(canvas: Canvas, *, back: bool = False) -> None:
    """見本 across the page, over the content (demo configurations).

    On a back it goes below the codes, which must stay readable.
    """
    canvas.saveState()
    canvas.setFillColorRGB(*SEAL_RED)
    canvas.setFillAlpha(0.22)
    if back:
        fonts.draw(canvas, PAGE_W / 2, 28 * mm, "見本", fonts.GOTHIC, 60, "centre")
    else:
        canvas.translate(PAGE_W / 2, PAGE_H / 2)
        canvas.rotate(35)
        fonts.draw(canvas, 0, -60, "見本", fonts.GOTHIC, 180, "centre")
    canvas.restoreState()


def draw_certification(canvas: Canvas, header: DocumentHeader, top: float) -> None:
    """The certification sentence, the date of issue in 和暦, the mayor, and the seal text."""
    y = top - 10 * mm
    for line in text.wrap(header.certification, CONTENT_W - 20 * mm, fonts.MINCHO, 10.5):
        fonts.draw(canvas, MARGIN_X + 10 * mm, y, line, fonts.MINCHO, 10.5)
        y -= 14
    y -= 8
    # a family register is full-width throughout, its date of issue included
    issued = to_wareki(header.issued_on, fullwidth=header.kind is Kind.KOSEKI)
    fonts.draw(canvas, MARGIN_X + 10 * mm, y, issued, fonts.MINCHO, 10.5)
    y -= 24
    mayor = f"{header.mayor_title}　{header.mayor_name}"
    right = PAGE_W - MARGIN_X - 34 * mm
    fonts.draw(canvas, right, y, mayor, fonts.MINCHO, 13, "right")
    draw_seal(canvas, header.seal_text, right + 6 * mm, y - 9 * mm, 22 * mm)


def draw_seal(canvas: Canvas, seal_text: str, x: float, y: float, side: float) -> None:
    """The mayor's seal (公印): a red square with its text in vertical columns, right to left."""
    canvas.saveState()
    canvas.setStrokeColorRGB(*SEAL_RED)
    canvas.setFillColorRGB(*SEAL_RED)
    canvas.setLineWidth(1.6)
    canvas.rect(x, y, side, side, stroke=1, fill=0)
    chars = list(seal_text.replace(" ", "").replace("\u3000", ""))
    columns = 3 if len(chars) > 4 else 2
    per = -(-len(chars) // columns)
    size = min(side / per, side / columns) * 0.82
    for c in range(columns):
        col = chars[c * per : (c + 1) * per]
        cx = x + side - (c + 0.5) * side / columns
        for r, ch in enumerate(col):
            cy = y + side - (r + 1) * side / per + (side / per - size) / 2 + size * 0.12
            fonts.draw(canvas, cx, cy, ch, fonts.MINCHO, size, "centre")
    canvas.restoreState()
