"""QR codes for the back of a certificate, encoded by zxing-cpp and drawn as vector rectangles.

zxing-cpp's C++ encoder (mode choice, Reed-Solomon, all eight masks) takes a fraction of the time segno
needs even with a fixed mask. A 1:1 bitmap blurs when a viewer upscales it, so each row's dark runs
become one rectangle instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import zxingcpp
from reportlab.pdfgen.canvas import Canvas
from reportlab.pdfgen.pathobject import PDFPathObject

QUIET_ZONE = 4  # modules of white border a decoder needs


@dataclass(frozen=True)
class QrSymbol:
    """A QR symbol: its module matrix and the text it carries."""

    text: str
    modules: tuple[tuple[bool, ...], ...]

    @property
    def size(self) -> int:
        """Modules per side (without the quiet zone)."""
        return len(self.modules)


def make_qr(text: str, *, error: str = "M") -> QrSymbol:
    """Encode `text` (Base45 with a prefix: QR alphanumeric mode) at error-correction level `error`."""
    barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level=error.upper())
    image = memoryview(barcode.to_image(scale=1, add_quiet_zones=False))  # type: ignore[arg-type]
    height, width = image.shape or (0, 0)
    pixels = image.tobytes()
    rows = (pixels[r * width : (r + 1) * width] for r in range(height))
    return QrSymbol(text, tuple(tuple(p < 128 for p in row) for row in rows))


class _ModulePath(PDFPathObject):
    """A path whose code is a ready-made string (rectangles in whole-module units)."""

    def __init__(self, code: str) -> None:
        super().__init__()
        self._ready = code

    def getCode(self) -> str:
        return self._ready


def module_path(symbol: QrSymbol) -> PDFPathObject:
    """One rectangle per run of dark modules in a row, in module units with the origin at the bottom left.

    Whole numbers keep the content stream short and fast to write; the canvas scales it to size.
    """
    parts: list[str] = []
    size = symbol.size
    for r, row in enumerate(symbol.modules):
        y = size - r - 1
        col = 0
        while col < size:
            if row[col]:
                start = col
                while col < size and row[col]:
                    col += 1
                parts.append(f"{start} {y} {col - start} 1 re")
            else:
                col += 1
    return _ModulePath(" ".join(parts))


def draw_qr(canvas: Canvas, symbol: QrSymbol, x: float, y: float, side: float) -> None:
    """Draw `symbol` in black with its lower-left corner at (x, y); `side` excludes the quiet zone."""
    canvas.saveState()
    canvas.setFillColorRGB(1, 1, 1)
    q = side / symbol.size * QUIET_ZONE
    canvas.rect(x - q, y - q, side + 2 * q, side + 2 * q, stroke=0, fill=1)
    canvas.setFillColorRGB(0, 0, 0)
    canvas.translate(x, y)
    canvas.scale(side / symbol.size, side / symbol.size)
    canvas.drawPath(module_path(symbol), stroke=0, fill=1)
    canvas.restoreState()
