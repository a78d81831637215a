"""Hostile files for the verification service, made by hand here (no binary file is kept in the repo).

Each builder returns the bytes of one file: PDFs whose cross-reference sections loop or claim absurd
sizes, compressed-stream and pixel bombs, deep nesting, absurd dimensions, truncations.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def t3_xref_loop() -> bytes:
    """T3: 137 bytes whose xref section claims 10,000,000 entries; pyHanko reads its last line forever.

    pyHanko skips a line break at the start of an entry by seeking back 19 bytes and reading 20 again;
    at the end of this file (19 bytes after a line break) that lands on the same line break each time.
    """
    head = b"%PDF-1.7\n"
    table = b"xref\n0 10000000\n" + b" " * 13 + b"0000000000 65535 f\r\n" * 4
    return head + table + b"\nstartxref\n%d\n%%%%EOF\n" % len(head)


def xref_prev_loop() -> bytes:
    """Two xref sections whose /Prev entries point at each other."""
    head = b"%PDF-1.7\n"

    def section(prev: int) -> bytes:
        return b"xref\n0 1\n0000000000 65535 f\r\ntrailer\n<</Size 1/Prev %010d>>\n" % prev

    first = len(head)
    second = first + len(section(0))
    return head + section(second) + section(first) + b"startxref\n%d\n%%%%EOF\n" % second


def xref_absurd_subsection() -> bytes:
    """An xref subsection that starts at object 2**62 and claims 2**40 entries."""
    head = b"%PDF-1.7\n"
    table = b"xref\n4611686018427387904 1099511627776\n0000000009 00000 n\r\n"
    trailer = b"trailer\n<</Size 1099511627776/Root 1 0 R>>\n"
    return head + table + trailer + b"startxref\n%d\n%%%%EOF\n" % len(head)


def xref_stream_bomb(inflated: int = 128 * 1024 * 1024) -> bytes:
    """An xref stream whose Flate data inflates to `inflated` bytes (three-byte entries: an endless table)."""
    packer = zlib.compressobj(9)
    block = bytes(1024 * 1024)
    data = b"".join(packer.compress(block) for _ in range(inflated // len(block))) + packer.flush()
    head = b"%PDF-1.7\n"
    obj = (
        b"1 0 obj\n<</Type/XRef/Size %d/W[1 1 1]/Filter/FlateDecode/Length %d>>\nstream\n"
        % (inflated // 3, len(data))
        + data
        + b"\nendstream\nendobj\n"
    )
    return head + obj + b"startxref\n%d\n%%%%EOF\n" % len(head)


def deep_nesting(depth: int = 200_000) -> bytes:
    """A trailer dictionary holding an array nested `depth` deep."""
    head = b"%PDF-1.7\n"
    table = b"xref\n0 1\n0000000000 65535 f\r\n"
    trailer = b"trailer\n<</Size 1/Deep " + b"[" * depth + b"]" * depth + b">>\n"
    return head + table + trailer + b"startxref\n%d\n%%%%EOF\n" % len(head)


def deep_dictionaries(depth: int = 100_000) -> bytes:
    """An object of dictionaries nested `depth` deep, named as the document catalog."""
    head = b"%PDF-1.7\n"
    body = b"1 0 obj\n" + b"<</A " * depth + b"1" + b">>" * depth + b"\nendobj\n"
    xref_at = len(head) + len(body)
    table = b"xref\n0 2\n0000000000 65535 f\r\n%010d 00000 n\r\n" % len(head)
    trailer = b"trailer\n<</Size 2/Root 1 0 R>>\n"
    return head + body + table + trailer + b"startxref\n%d\n%%%%EOF\n" % xref_at


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png(width: int, height: int, *, bits: int = 1, colour: int = 0, rows: int | None = None) -> bytes:
    """A PNG of blank rows (only `rows` of them, if given: the rest of the data is missing)."""
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
    count = height if rows is None else rows
    row = b"\x00" + bytes((width * channels * bits + 7) // 8) if count else b""
    packer = zlib.compressobj(9)
    data = b"".join(packer.compress(row) for _ in range(count)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, bits, colour, 0, 0, 0)
    return PNG_MAGIC + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


def t4_png() -> bytes:
    """T4: a 1-bit PNG of 13,000 × 13,000 pixels, a few tens of kilobytes."""
    return png(13_000, 13_000)


def jpeg_claiming(width: int, height: int) -> bytes:
    """A small JPEG whose frame header claims `width` × `height` pixels."""
    from PIL import Image

    buf = io.BytesIO()
    Image.new("L", (16, 16)).save(buf, "JPEG")
    data = bytearray(buf.getvalue())
    sof = data.index(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, height, width)
    return bytes(data)


def png_text_bomb() -> bytes:
    """A small PNG with a compressed text chunk that inflates to 64 MiB."""
    packer = zlib.compressobj(9)
    block = bytes(1024 * 1024)
    text = b"".join(packer.compress(block) for _ in range(64)) + packer.flush()
    blank = png(8, 8)
    return blank[:-12] + _chunk(b"zTXt", b"bomb\x00\x00" + text) + blank[-12:]


CORPUS: dict[str, Callable[[], bytes]] = {
    "t3_xref_loop": t3_xref_loop,
    "xref_prev_loop": xref_prev_loop,
    "xref_absurd_subsection": xref_absurd_subsection,
    "xref_stream_bomb": xref_stream_bomb,
    "deep_nesting": deep_nesting,
    "deep_dictionaries": deep_dictionaries,
    "t4_png": t4_png,
    "png_rgba_40000_square": lambda: png(40_000, 40_000, bits=8, colour=6, rows=64),
    "png_one_row_of_2_31": lambda: png(2**31 - 1, 1, rows=0),
    "png_text_bomb": png_text_bomb,
    "jpeg_claiming_65000_square": lambda: jpeg_claiming(65_000, 65_000),
    "png_truncated": lambda: png(640, 480)[:60],
    "pdf_header_only": lambda: b"%PDF-1.7\n",
}


def media_type(data: bytes) -> str:
    """The content type an uploader would send for `data`."""
    if data.startswith(PNG_MAGIC):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    return "application/pdf"
