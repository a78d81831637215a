"""The TrueType fonts of a certificate and per-character fallback between them.

IPAex Mincho prints the body, BIZ UD Gothic the labels (designed for legibility); a character that
neither has (𠮷 and other name variants) falls back to IPAex Mincho, then IPAex Gothic, then IPAmj
Mincho, which covers the 戸籍統一文字. ReportLab embeds only the glyphs used (subsets).
"""

from __future__ import annotations

import subprocess
import threading
from functools import cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

MINCHO = "KofuMincho"
GOTHIC = "KofuGothic"
IPAEX_GOTHIC = "KofuIpaexGothic"
IPAMJ = "KofuIpamjMincho"

# Debian package paths first; fontconfig's answer if a distribution put them elsewhere.
_FILES: dict[str, tuple[str, str]] = {
    MINCHO: ("/usr/share/fonts/opentype/ipaexfont-mincho/ipaexm.ttf", "IPAexMincho"),
    GOTHIC: ("/usr/share/fonts/truetype/bizud-gothic/BIZUDGothic-Regular.ttf", "BIZ UDGothic"),
    IPAEX_GOTHIC: ("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf", "IPAexGothic"),
    IPAMJ: ("/usr/share/fonts/truetype/ipamj/ipamjm.ttf", "IPAmjMincho"),
}
FALLBACKS = (MINCHO, IPAEX_GOTHIC, IPAMJ)
# Server threads render at once: without a lock each first caller parses every font again (1 GB seen).
_LOADING = threading.Lock()


class FontMissingError(RuntimeError):
    """A font file kofu needs is not installed."""


def font_file(name: str) -> Path:
    path, family = _FILES[name]
    if Path(path).exists():
        return Path(path)
    out = subprocess.run(
        ["fc-list", f":family={family}:style=Regular", "file"], capture_output=True, text=True, check=False
    ).stdout
    found = sorted(line.split(":")[0] for line in out.splitlines() if line.strip())
    if not found:
        raise FontMissingError(
            f"font {family} is not installed (Debian: fonts-ipaexfont-mincho, fonts-ipaexfont-gothic, "
            "fonts-morisawa-bizud-gothic, fonts-ipamj-mincho)"
        )
    return Path(found[0])


def _utf16_hex(cp: int) -> str:
    return chr(cp).encode("utf-16-be").hex().upper()


def to_unicode_cmap(fontname: str, subset: list[int]) -> str:
    """ReportLab's ToUnicode CMap, but with UTF-16 (surrogate pairs) for characters beyond the BMP.

    ReportLab writes 𠮷 (U+20BB7) as five hex digits, which text extraction reads as ₻ (U+20BB).
    """
    head = [
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        f"/CIDSystemInfo\n<< /Registry ({fontname})\n/Ordering ({fontname})\n/Supplement 0\n>> def",
        f"/CMapName /{fontname} def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        f"<00> <{len(subset) - 1:02X}>",
        "endcodespacerange",
        f"{len(subset)} beginbfchar",
    ]
    body = [f"<{i:02X}> <{_utf16_hex(v)}>" for i, v in enumerate(subset)]
    tail = ["endbfchar", "endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return "\n".join(head + body + tail)


def register_fonts() -> None:
    """Register kofu's fonts with ReportLab once per process (thread-safe)."""
    with _LOADING:
        _register_fonts()


@cache
def _register_fonts() -> None:
    ttfonts.makeToUnicodeCMap = to_unicode_cmap  # a library fix, same output for every BMP character
    for name in _FILES:
        font = TTFont(name, str(font_file(name)))
        # Subsetting copies whole tables (glyf: megabytes) out of the font file for every document;
        # the tables never change, so keep each one after its first read.
        font.face.get_table = cache(font.face.get_table)
        pdfmetrics.registerFont(font)


_COVERAGE: dict[str, frozenset[int]] = {}


def coverage(name: str) -> frozenset[int]:
    """The code points font `name` has a glyph for."""
    found = _COVERAGE.get(name)  # the lock only on a first call: this runs for every character
    if found is None:
        with _LOADING:
            _register_fonts()
            found = _COVERAGE.setdefault(name, frozenset(pdfmetrics.getFont(name).face.charToGlyph))
    return found


def load_all() -> None:
    """Parse every font and its coverage now (a server does it at start, not in its first request)."""
    for name in _FILES:
        coverage(name)


def font_for(ch: str, preferred: str) -> str:
    """The first of `preferred` and the fallbacks that has a glyph for `ch` (the preferred one if none)."""
    cp = ord(ch)
    if cp in coverage(preferred):
        return preferred
    for name in FALLBACKS:
        if cp in coverage(name):
            return name
    return preferred


def runs(text: str, preferred: str) -> list[tuple[str, str]]:
    """Split `text` into (font, substring) runs, each drawn with a font that has its glyphs."""
    out: list[tuple[str, str]] = []
    have = coverage(preferred)
    for ch in text:
        name = preferred if ord(ch) in have or ch in " \u3000" else font_for(ch, preferred)
        if out and out[-1][0] == name:
            out[-1] = (name, out[-1][1] + ch)
        else:
            out.append((name, ch))
    return out


def missing_glyphs(text: str) -> set[str]:
    """Characters of `text` that no font of kofu can draw."""
    every = coverage(MINCHO) | coverage(GOTHIC) | coverage(IPAEX_GOTHIC) | coverage(IPAMJ)
    return {ch for ch in text if ord(ch) not in every and not ch.isspace()}


def width(text: str, font: str, size: float) -> float:
    """The printed width of `text` in points, with fallback fonts where they apply."""
    return sum(pdfmetrics.stringWidth(part, name, size) for name, part in runs(text, font))


def draw(canvas: Canvas, x: float, y: float, text: str, font: str, size: float, align: str = "left") -> float:
    """Draw `text` on one line at (x, y) (left, right or centre aligned); return its width."""
    parts = runs(text, font)
    total = sum(pdfmetrics.stringWidth(part, name, size) for name, part in parts)
    if align == "right":
        x -= total
    elif align == "centre":
        x -= total / 2
    for name, part in parts:
        canvas.setFont(name, size)
        canvas.drawString(x, y, part)
        x += pdfmetrics.stringWidth(part, name, size)
    return total
