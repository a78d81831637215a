"""QR codes for the back of a certificate, encoded by libzint and drawn as vector rectangles.

The mask is fixed: trying all eight and scoring them is nine tenths of an encoder's time, and the
data (signatures and ciphertext in Base45) is already as good as random, so the masks score alike.
A 1:1 bitmap blurs when a viewer upscales it, so each row's dark runs become one rectangle instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import zint
from reportlab.pdfgen.canvas import Canvas
from reportlab.pdfgen.pathobject import PDFPathObject

QUIET_ZONE = 4  # modules of white border a decoder needs
MASK = 3  # any of the eight: see the module's docstring
_LEVELS = {"L": 1, "M": 2, "Q": 3, "H": 4}  # libzint's option_1 for QR


@dataclass(frozen=True)
class QrSymbol:
    """A QR symbol: its module matrix and the text it carries."""

    text: str
    modules: tuple[tuple[bool, ...], ...]

    @property
    def size(self) -> int:
        """Modules per side (without the quiet zone)."""
        return len(self.modules)

    @cached_property
    def path_code(self) -> str:
        """The dark runs of each row as PDF rectangles (`x y width 1 re`); made once, drawn on every back."""
        dark = np.array(self.modules, dtype=np.int8).reshape(self.size, self.size)
        edges = np.diff(np.pad(dark, ((0, 0), (1, 1))), axis=1)  # +1 where a run starts, -1 after it ends
        starts, ends = np.argwhere(edges == 1), np.argwhere(edges == -1)  # row-major: they pair up
        ys = self.size - 1 - starts[:, 0]
        return " ".join(
            f"{x} {y} {w} 1 re"
            for x, y, w in zip(
                starts[:, 1].tolist(), ys.tolist(), (ends[:, 1] - starts[:, 1]).tolist(), strict=True
            )
        )


def make_qr(text: str, *, error: str = "M") -> QrSymbol:
    """Encode `text` (Base45 with a prefix: QR alphanumeric mode) at error-correction level `error`."""
    symbol = zint.Symbol()
    symbol.symbology = zint.Symbology.QRCODE
    symbol.option_1 = _LEVELS[error.upper()]
    symbol.option_3 = (MASK + 1) << 8  # libzint: a fixed mask is its number plus one, in the second byte
    symbol.encode(text.encode())  # RuntimeError when the text does not fit a QR code
    packed = np.asarray(symbol.encoded_data)[: symbol.rows]  # one bit a module, least significant first
    modules = np.unpackbits(packed, axis=1, bitorder="little")[:, : symbol.width].astype(bool)
    return QrSymbol(text, tuple(map(tuple, modules.tolist())))


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
    return _ModulePath(symbol.path_code)


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
