"""The anti-copy background (SEC-6's front) as a renderer paints it, and as text extraction skips it."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from doc_support import run
from kofu.documents import pattern

DPI = 100


def _background_only(path: Path) -> Path:
    buf = io.BytesIO()
    canvas = Canvas(buf, pagesize=A4, pageCompression=1)
    pattern.define(canvas)
    pattern.draw(canvas)
    canvas.showPage()
    canvas.save()
    path.write_bytes(buf.getvalue())
    return path


def _varied_rows(image: Image.Image, box: tuple[float, float, float, float]) -> int:
    """Pixel rows inside `box` (PDF points, origin bottom left) whose grey level changes along the row."""
    scale = DPI / 72
    x0, y0, x1, y1 = box
    height = image.height
    crop = image.crop(
        (
            round(x0 * scale) + 2,
            height - round(y1 * scale) + 2,
            round(x1 * scale) - 2,
            height - round(y0 * scale) - 2,
        )
    )
    data = crop.tobytes()  # one byte a pixel (mode L), row after row
    rows = [data[i : i + crop.width] for i in range(0, len(data), crop.width)]
    return sum(1 for row in rows if max(row) - min(row) > 60)


def test_every_tile_paints_the_latent_word_and_the_hairlines_run_between_them_sec6(tmp_path: Path) -> None:
    """Rendered by poppler: inside each tile the lines break where the word's glyphs are (thick and
    sparse lines against hairlines); between the tiles every line runs unbroken across the page."""
    pdf = _background_only(tmp_path / "background.pdf")
    run("pdftoppm", "-r", str(DPI), "-gray", "-png", "-singlefile", str(pdf), str(tmp_path / "page"))
    image = Image.open(tmp_path / "page.png").convert("L")
    origins = pattern.tile_origins()
    assert len(origins) >= 20  # staggered rows of whole tiles cover the page
    for x, y in origins:
        assert _varied_rows(image, (x, y, x + pattern.TILE_W, y + pattern.TILE_H)) >= 6, (x, y)
    # the band between the first two rows of tiles holds only hairlines: uniform along each row
    bottom = min(y for _, y in origins) + pattern.TILE_H
    above = min(y for _, y in origins if y >= bottom)
    assert above - bottom > 20
    assert _varied_rows(image, (0, bottom, A4[0], above)) == 0


def test_text_extraction_does_not_walk_the_tiles(tmp_path: Path) -> None:
    """The word's lines are reached only through the pattern, which pdftotext skips unparsed."""
    pdf = _background_only(tmp_path / "background.pdf")
    expanded = tmp_path / "qdf.pdf"
    assert run("qpdf", "--qdf", "--object-streams=disable", str(pdf), str(expanded)).returncode in (0, 3)
    raw = expanded.read_bytes()
    assert raw.count(b"/PatternType 1") == 1
    assert raw.count(b"/kofuCopyTiles scn") == 1
    assert raw.count(b"/FormXob.kofuCopyWord Do") == 2  # the pattern cell's two staggered tiles
    assert run("pdftotext", str(pdf), "-").stdout.strip() == b""
