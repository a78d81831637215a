"""The anti-copy background of both sides of a certificate (SEC-6): a latent 「複写」 in a fine line pattern.

Fine hairlines cover the page; inside the glyphs of the word 複写 the lines are twice as thick and half
as frequent. Both read as the same pale tint to the eye, but a copier drops the hairlines and keeps the
thick lines, so the copy shows 複写 (a latent image, as on real certificate paper). The hairlines
are one form XObject; the word tiles are a tiling pattern (a cell of two staggered tiles, each the
word's form XObject) filling the tiles' rectangles. Text extraction skips a pattern fill unparsed
(poppler does), so reading a certificate's text no longer parses 27 copies of the word's 4,300 lines.
"""

from __future__ import annotations

from functools import cache

from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfdoc import (
    PDFArray,
    PDFDictionary,
    PDFName,
    PDFObjectReference,
    PDFResourceDictionary,
    PDFStream,
    PDFZCompress,
    xObjectName,
)
from reportlab.pdfgen.canvas import Canvas
from reportlab.pdfgen.pathobject import PDFPathObject

from kofu.documents import fonts

WORD = "複写"
PITCH = 0.9 * mm  # distance between hairlines
TILE_W, TILE_H = 44 * mm, 22 * mm
_MASK_W, _MASK_H = 88, 44  # mask resolution: one cell = 0.5 mm
_TINT = (0.62, 0.80, 0.74)
_THIN, _THICK = 0.22, 0.55
FORM = "kofuBackground"
_TILE_FORM = "kofuCopyWord"
_TILES = "kofuCopyTiles"  # the pattern's resource name
_GAP_X, _STAGGER_X, _MARGIN_X = 22 * mm, (TILE_W + 6 * mm) / 2, 8 * mm


@cache
def _mask() -> tuple[tuple[bool, ...], ...]:
    image = Image.new("L", (_MASK_W, _MASK_H), 0)
    font = ImageFont.truetype(str(fonts.font_file(fonts.IPAEX_GOTHIC)), 38)
    ImageDraw.Draw(image).text((_MASK_W / 2, _MASK_H / 2), WORD, fill=255, font=font, anchor="mm")
    return tuple(tuple(image.getpixel((x, y)) > 96 for x in range(_MASK_W)) for y in range(_MASK_H))  # type: ignore[operator]


@cache
def _tile_paths() -> tuple[str, str]:
    """PDF path code of the tile's thin and thick segments, in tile coordinates."""
    mask = _mask()
    thin, thick = PDFPathObject(), PDFPathObject()
    cell_w = TILE_W / _MASK_W
    rows = int(TILE_H / PITCH)
    for r in range(rows):
        y = (r + 0.5) * PITCH
        row = mask[min(_MASK_H - 1, int((TILE_H - y) / TILE_H * _MASK_H))]
        col = 0
        while col < _MASK_W:
            inside = row[col]
            start = col
            while col < _MASK_W and row[col] == inside:
                col += 1
            if inside and r % 2 == 0:
                thick.moveTo(start * cell_w, y)
                thick.lineTo(col * cell_w, y)
            elif not inside:
                thin.moveTo(start * cell_w, y)
                thin.lineTo(col * cell_w, y)
    return thin.getCode(), thick.getCode()


@cache
def _page_lines() -> str:
    path = PDFPathObject()
    width, height = A4
    for r in range(int(height / PITCH)):
        y = (r + 0.5) * PITCH
        path.moveTo(0, y)
        path.lineTo(width, y)
    return path.getCode()


class _CodePath(PDFPathObject):
    """A path whose PDF code was computed once (the pattern is the same on every page)."""

    def __init__(self, code: str) -> None:
        super().__init__()
        self._cached = code

    def getCode(self) -> str:
        return self._cached


def _step() -> float:
    """Vertical distance between rows of tiles (on the hairline grid)."""
    return round((TILE_H + 12 * mm) / PITCH) * PITCH


def _first_y() -> float:
    return PITCH * round(12 * mm / PITCH)


def tile_origins() -> tuple[tuple[float, float], ...]:
    """Lower-left corners of the whole tiles on the page: staggered rows, none cut by the page edge."""
    width, height = A4
    origins = []
    for row in range(int((height - TILE_H) / _step()) + 1):
        y = _first_y() + row * _step()
        x = _MARGIN_X + (row % 2) * _STAGGER_X
        while x + TILE_W < width:
            origins.append((x, y))
            x += TILE_W + _GAP_X
    return tuple(origins)


def _pattern(canvas: Canvas) -> PDFStream:
    """The tiling pattern: one cell holds a tile and the next row's staggered one."""
    word = xObjectName(_TILE_FORM)
    dictionary = PDFDictionary(
        {
            "Type": PDFName("Pattern"),
            "PatternType": 1,
            "PaintType": 1,  # coloured: the cell's own colours
            "TilingType": 1,
            "BBox": PDFArray([0, 0, _STAGGER_X + TILE_W, _step() + TILE_H]),
            "XStep": TILE_W + _GAP_X,
            "YStep": 2 * _step(),
            "Matrix": PDFArray([1, 0, 0, 1, _MARGIN_X, _first_y()]),
            "Resources": PDFResourceDictionary(XObject={word: PDFObjectReference(word)}),
        }
    )
    cell = f"/{word} Do q 1 0 0 1 {_STAGGER_X:.4f} {_step():.4f} cm /{word} Do Q"
    return PDFStream(dictionary, cell, filters=[PDFZCompress] if canvas._pageCompression else [])


def define(canvas: Canvas) -> None:
    """Define the background (form XObjects and the tiles' pattern) in `canvas` (once per document)."""
    thin, thick = _tile_paths()
    canvas.beginForm(_TILE_FORM, lowerx=0, lowery=0, upperx=TILE_W, uppery=TILE_H)
    canvas.setFillColorRGB(1, 1, 1)
    canvas.rect(0, 0, TILE_W, TILE_H, stroke=0, fill=1)  # knock out the page hairlines under the tile
    canvas.setStrokeColorRGB(*_TINT)
    canvas.setLineWidth(_THIN)
    canvas.drawPath(_CodePath(thin), stroke=1, fill=0)
    canvas.setLineWidth(_THICK)
    canvas.drawPath(_CodePath(thick), stroke=1, fill=0)
    canvas.endForm()

    canvas._doc.Reference(_pattern(canvas), _TILES)
    canvas.beginForm(FORM)
    canvas.setStrokeColorRGB(*_TINT)
    canvas.setLineWidth(_THIN)
    canvas.drawPath(_CodePath(_page_lines()), stroke=1, fill=0)
    tiles = " ".join(f"{x:.4f} {y:.4f} {TILE_W:.4f} {TILE_H:.4f} re" for x, y in tile_origins())
    canvas.addLiteral(f"q /Pattern cs /{_TILES} scn {tiles} f Q")
    canvas.endForm(Resources=PDFResourceDictionary(Pattern={_TILES: PDFObjectReference(_TILES)}))


def draw(canvas: Canvas) -> None:
    """Draw the background on the current page (after `define`)."""
    canvas.doForm(FORM)
