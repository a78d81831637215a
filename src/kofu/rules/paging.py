"""PAG-1: the page label "n / N" and the certificate's unique number printed on every page.

Unique number format: CCCCCC-YYYYMMDD-SSSSSS-K
  CCCCCC   the issuing municipality's local government code (with its own check digit),
  YYYYMMDD the issue date in Japan time,
  SSSSSS   the serial of that municipality on that day (1..999999),
  K        a Damm check digit over the 20 digits, which catches every single-digit error and
           every swap of two adjacent digits made when the number is typed in to verify.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

from kofu.rules.ids import DOCUMENT_NUMBER
from kofu.rules.lgcode import is_valid_code

MAX_SERIAL = 999_999

# Damm's totally anti-symmetric quasigroup of order 10.
_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)


def page_label(n: int, total: int) -> str:
    """ "n / N" for page n of N; ValueError unless 1 <= n <= N."""
    if isinstance(n, bool) or isinstance(total, bool) or not 1 <= n <= total:
        raise ValueError(f"page {n} of {total} does not exist")
    return f"{n} / {total}"


def damm_digit(digits: str) -> int:
    """The Damm check digit of a string of ASCII digits."""
    interim = 0
    for digit in digits:
        interim = _DAMM[interim][int(digit)]
    return interim


@dataclass(frozen=True)
class DocumentNumber:
    """The parts of a certificate's unique number."""

    code: str
    issued_on: date
    serial: int

    def __str__(self) -> str:
        return make_document_number(self.code, self.issued_on, self.serial)


def make_document_number(code: str, issued_on: date, serial: int) -> str:
    """The unique number of the `serial`-th certificate issued by `code` on `issued_on` (a Japan date)."""
    if not is_valid_code(code):
        raise ValueError(f"{code!r} is not a valid local government code")
    if isinstance(serial, bool) or not 1 <= serial <= MAX_SERIAL:
        raise ValueError(f"serial must be 1..{MAX_SERIAL}")
    body = f"{code}{issued_on:%Y%m%d}{serial:06d}"
    return f"{code}-{issued_on:%Y%m%d}-{serial:06d}-{damm_digit(body)}"


def parse_document_number(text: str) -> DocumentNumber:
    """Parse a unique number as printed or typed (full-width digits and spaces accepted).

    ValueError (callers answer bad_request) on a wrong shape, date, code or check digit.
    """
    cleaned = unicodedata.normalize("NFKC", text).strip().replace(" ", "").replace("−", "-")
    if not DOCUMENT_NUMBER.fits(cleaned):
        raise ValueError("a document number looks like 044245-20251126-000123-7")
    code, day, serial_text, check = cleaned.split("-")
    if damm_digit(code + day + serial_text) != int(check):
        raise ValueError("the document number's check digit is wrong (mistyped?)")
    if not is_valid_code(code):
        raise ValueError(f"{code} is not a valid local government code")
    try:
        issued_on = date(int(day[:4]), int(day[4:6]), int(day[6:]))
    except ValueError as exc:
        raise ValueError(f"{day} is not a date") from exc
    serial = int(serial_text)
    if serial < 1:
        raise ValueError("serial numbers start at 1")
    return DocumentNumber(code, issued_on, serial)
