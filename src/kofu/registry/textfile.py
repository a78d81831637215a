"""Text files from a village's own systems: UTF-8 with or without Excel's BOM, or Shift_JIS (cp932).

A file is decoded whole, in one encoding: a BOM means UTF-8; otherwise UTF-8 if every byte decodes, else
cp932. A file that decodes in neither is refused by name, never read half right.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

BOM = b"\xef\xbb\xbf"


class UndecodableFile(ValueError):
    """Neither UTF-8 nor cp932: the reason says where the first bad byte is."""


def decode(data: bytes) -> str:
    """The text of `data`, with a UTF-8 BOM dropped and line endings left as they are (csv needs them)."""
    if data.startswith(BOM):
        try:
            return data[len(BOM) :].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UndecodableFile(f"starts with a UTF-8 BOM but is not UTF-8 (byte {exc.start})") from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as utf8:
        try:
            return data.decode("cp932")
        except UnicodeDecodeError as sjis:
            raise UndecodableFile(
                f"neither UTF-8 (bad byte at {utf8.start}) nor cp932 (bad byte at {sjis.start}); "
                "save it as CSV UTF-8"
            ) from sjis


def csv_records(stream: io.StringIO) -> Iterator[tuple[int, list[str]]]:
    """Each CSV record with the line it starts on (a quoted field may hold line breaks), the header first."""
    reader = csv.reader(stream)
    starts = 1
    for values in reader:
        yield starts, values
        starts = reader.line_num + 1


def open_text(path: Path) -> io.StringIO:
    """The decoded file as a text stream for `csv.reader` (newline handling is csv's)."""
    return io.StringIO(decode(path.read_bytes()), newline="")
