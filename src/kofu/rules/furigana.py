"""氏名の振り仮名: when a certificate carries a name's reading (改正戸籍法, 令和5年法律第48号).

From 2025-05-26 the 戸籍 records 【氏の振り仮名】 and each person's 【名の振り仮名】, and a 住民票 that prints
a 旧氏 prints the 旧氏's 振り仮名 with it (documents.md). A member who had left the register (除籍) before
that day was never given a reading.
"""

from __future__ import annotations

from datetime import date

READINGS_SINCE = date(2025, 5, 26)


def readings_printed(issued_on: date) -> bool:
    """Whether a certificate issued on `issued_on` prints the 振り仮名 the law added."""
    return issued_on >= READINGS_SINCE


def member_has_reading(removed_on: date | None) -> bool:
    """Whether the register records a member's 名の振り仮名: only for those in it on or after the day."""
    return removed_on is None or removed_on >= READINGS_SINCE
