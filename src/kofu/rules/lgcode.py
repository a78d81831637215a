"""The 6-digit local government code (全国地方公共団体コード) and its check digit."""

from __future__ import annotations

import re

from kofu.rules.ids import MUNICIPALITY_CODE


def check_digit(first_five: str) -> int:
    """The 6th digit for the 5-digit code abcde: (11 - (6a+5b+4c+3d+2e) % 11) % 10."""
    if re.fullmatch(r"[0-9]{5}", first_five) is None:
        raise ValueError("a local government code starts with exactly five ASCII digits")
    total = sum(weight * int(digit) for weight, digit in zip((6, 5, 4, 3, 2), first_five, strict=True))
    return (11 - total % 11) % 10


def is_valid_code(code: str) -> bool:
    """Six ASCII digits whose last one is the check digit of the first five (044245 is valid)."""
    if not MUNICIPALITY_CODE.fits(code):
        return False
    return check_digit(code[:5]) == int(code[5])


def prefecture_number(code: str) -> int:
    """The prefecture part of a code: 1..47 are real prefectures (04 = 宮城県)."""
    return int(code[:2])
