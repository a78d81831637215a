"""印影 images: a red seal impression of a surname in a circle or a square, drawn with Pillow.

The font is an installed Japanese Mincho (found with fc-list); a glyph the font lacks (e.g. 𠮷 in
IPAexMincho) falls back to IPAmj Mincho, which covers the 戸籍 character set.
"""

from __future__ import annotations

import functools
import io
import subprocess
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

SEAL_RED = (200, 30, 40, 255)
DPI = 300
# Preferred font families, most specific first; the first one installed is used.
FONT_FAMILIES = ("IPAmjMincho", "IPAexMincho", "BIZ UDMincho")


class NoJapaneseFont(RuntimeError):
    """No Japanese Mincho font is installed (install fonts-ipaexfont-mincho)."""


@functools.cache
def font_paths() -> tuple[Path, ...]:
    """Installed Japanese Mincho font files in preference order (from fc-list)."""
    found: list[Path] = []
    for family in FONT_FAMILIES:
        try:
            out = subprocess.run(
                ["fc-list", f":family={family}", "file"], capture_output=True, text=True, check=False
            ).stdout
        except FileNotFoundError:
            out = ""
        for line in out.splitlines():
            path = Path(line.split(":", 1)[0].strip())
            if path.suffix.lower() in {".ttf", ".otf"} and path not in found:
                found.append(path)
    if not found:
        raise NoJapaneseFont("no Japanese Mincho font found by fc-list; install fonts-ipaexfont-mincho")
    return tuple(found)


@functools.cache
def _font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size)


@functools.cache
def _cmap(path: Path) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(str(path), lazy=True) as font:
        return frozenset(font.getBestCmap() or {})


def _font_for(char: str, size: int) -> ImageFont.FreeTypeFont:
    """The first preferred font that has a glyph for `char`."""
    for path in font_paths():
        if ord(char) in _cmap(path):
            return _font(path, size)
    return _font(font_paths()[0], size)


@functools.lru_cache(maxsize=4096)
def seal_png(surname: str, *, square: bool = False, size_mm: int = 15) -> bytes:
    """A PNG (transparent background, 300 dpi) of the surname's seal impression at its registered size."""
    px = round(size_mm / 25.4 * DPI)
    img = Image.new("RGBA", (px, px), (255, 255, 255, 0))
    draw = ImageDraw.Draw(img)
    border = max(3, px // 22)
    box = (border // 2, border // 2, px - border // 2 - 1, px - border // 2 - 1)
    if square:
        draw.rectangle(box, outline=SEAL_RED, width=border)
    else:
        draw.ellipse(box, outline=SEAL_RED, width=border)
    chars = list(surname)[:3] or ["印"]
    # Characters stacked top to bottom, as seals are read.
    inner = px - 4 * border
    size = max(8, int(inner / max(len(chars), 1) * (0.95 if square else 0.8)))
    total = size * len(chars)
    y = (px - total) // 2
    for char in chars:
        font = _font_for(char, size)
        left, top, right, bottom = font.getbbox(char)
        x = (px - (right - left)) // 2 - left
        draw.text((x, y - top + (size - (bottom - top)) // 2), char, font=font, fill=SEAL_RED)
        y += size
    out = io.BytesIO()
    img.save(out, format="PNG", dpi=(DPI, DPI), compress_level=3)
    return out.getvalue()
