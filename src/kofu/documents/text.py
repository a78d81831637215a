"""Line breaking for certificate text: Japanese breaks between characters, never inside a date or number.

A date (令和7年4月1日, 昭和５０年１月１日), an amount (1,234,567円) or a lot number (１２３番地の４) is one
unbreakable token; every other character may start a new line.
"""

from __future__ import annotations

import re

from kofu.documents import fonts

_DIGITS = "0-9０-９"
_NUMBER = rf"[{_DIGITS}一二三四五六七八九十百千〇]"
_DATE = (
    rf"(?:明治|大正|昭和|平成|令和)(?:元|{_NUMBER}+)年(?:{_NUMBER}+月(?:{_NUMBER}+日)?)?"
    rf"|[{_DIGITS}]{{4}}[-/年][{_DIGITS}]{{1,2}}[-/月][{_DIGITS}]{{1,2}}日?"
)
_AMOUNT = rf"[{_DIGITS}][{_DIGITS},，.．]*(?:番地の[{_DIGITS}]+)?(?:円|人|番地|番|号|丁目|年度|年|月|日)?"
_LATIN = r"[A-Za-z][A-Za-z0-9\-]*"
_CLOSING = "、。，．）」』】〕・ー々ゝゞぁぃぅぇぉっゃゅょァィゥェォッャュョ"
TOKEN = re.compile(rf"(?:{_DATE}|{_AMOUNT}|{_LATIN}|.)[{_CLOSING}]*", re.DOTALL)


def tokens(text: str) -> list[str]:
    """The unbreakable pieces of `text`, in order; they join back to `text`."""
    return TOKEN.findall(text)


def wrap(text: str, max_width: float, font: str, size: float) -> list[str]:
    """Break `text` into lines no wider than `max_width` points, only between tokens.

    A token wider than the line is put on a line of its own rather than split.
    """
    lines: list[str] = []
    line, line_width = "", 0.0
    for token in tokens(text):
        w = fonts.width(token, font, size)
        if line and line_width + w > max_width:
            lines.append(line)
            line, line_width = token.lstrip("\u3000 "), fonts.width(token.lstrip("\u3000 "), font, size)
            continue
        line += token
        line_width += w
    if line or not lines:
        lines.append(line)
    return lines
