"""Kanji numerals (as written in family registers) and full-width characters, via kanjize."""

from __future__ import annotations

from kanjize import number2kanji

_FULLWIDTH = {code: code + 0xFEE0 for code in range(0x21, 0x7F)}
_FULLWIDTH[0x20] = 0x3000  # ideographic space


def to_kanji_number(n: int) -> str:
    """1 → 一, 10 → 十, 23 → 二十三, 105 → 百五, 10000 → 一万; 0 → 〇. Negative numbers are rejected."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError("to_kanji_number takes an int")
    if n < 0:
        raise ValueError("to_kanji_number takes a non-negative int")
    if n == 0:
        return "〇"
    return str(number2kanji(n))


def to_fullwidth(s: str) -> str:
    """Printable ASCII to its full-width form ("1-2" → "１－２"); other characters unchanged."""
    return s.translate(_FULLWIDTH)
