"""PAG-1 page labels and unique document numbers; PIN-1 limits and formats."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kofu.rules import pin
from kofu.rules.paging import (
    DocumentNumber,
    damm_digit,
    make_document_number,
    page_label,
    parse_document_number,
)


@pytest.mark.parametrize(("n", "total", "label"), [(1, 1, "1 / 1"), (2, 3, "2 / 3"), (10, 10, "10 / 10")])
def test_PAG_1_page_label(n: int, total: int, label: str) -> None:
    assert page_label(n, total) == label


@pytest.mark.parametrize(("n", "total"), [(0, 1), (2, 1), (1, 0), (-1, 3)])
def test_PAG_1_page_label_rejects_impossible_pages(n: int, total: int) -> None:
    with pytest.raises(ValueError):
        page_label(n, total)


def test_PAG_1_document_number_format() -> None:
    number = make_document_number("044245", date(2025, 11, 26), 123)
    assert number.startswith("044245-20251126-000123-")
    assert len(number) == 24
    assert parse_document_number(number) == DocumentNumber("044245", date(2025, 11, 26), 123)
    assert str(DocumentNumber("044245", date(2025, 11, 26), 123)) == number


def test_PAG_1_damm_reference_vector() -> None:
    assert damm_digit("572") == 4  # published example


def test_PAG_1_document_number_typed_in_fullwidth() -> None:
    number = make_document_number("044245", date(2025, 11, 26), 7)
    typed = " " + number.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789-"}) + " "
    assert parse_document_number(typed) == parse_document_number(number)


@pytest.mark.parametrize(
    ("code", "day", "serial"),
    [("044246", date(2025, 1, 1), 1), ("044245", date(2025, 1, 1), 0), ("044245", date(2025, 1, 1), 10**6)],
)
def test_PAG_1_make_rejects_bad_parts(code: str, day: date, serial: int) -> None:
    with pytest.raises(ValueError):
        make_document_number(code, day, serial)


@pytest.mark.parametrize(
    "text",
    ["", "044245-20251126-000123", "044245-20251126-000123-99", "044245-20251332-000123-0", "abc"],
)
def test_PAG_1_parse_rejects_malformed(text: str) -> None:
    with pytest.raises(ValueError):
        parse_document_number(text)


def _with_check(body: str) -> str:
    return f"{body[:6]}-{body[6:14]}-{body[14:]}-{damm_digit(body)}"


def test_PAG_1_parse_rejects_bad_date_or_code_even_with_right_check_digit() -> None:
    with pytest.raises(ValueError, match="not a date"):
        parse_document_number(_with_check("04424520251332000123"))
    with pytest.raises(ValueError, match="local government code"):
        parse_document_number(_with_check("04424620251126000123"))
    with pytest.raises(ValueError, match="start at 1"):
        parse_document_number(_with_check("04424520251126000000"))


SERIALS = st.integers(min_value=1, max_value=999_999)
DAYS = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))


@settings(deadline=None)
@given(DAYS, SERIALS, st.integers(0, 19), st.integers(1, 9))
def test_PAG_1_single_digit_errors_are_caught(day: date, serial: int, position: int, delta: int) -> None:
    number = make_document_number("044245", day, serial)
    digits = [c for c in number if c.isdigit()]
    digits[position] = str((int(digits[position]) + delta) % 10)
    body = "".join(digits[:20])
    typo = f"{body[:6]}-{body[6:14]}-{body[14:]}-{number[-1]}"
    with pytest.raises(ValueError):
        parse_document_number(typo)


@settings(deadline=None)
@given(DAYS, SERIALS, st.integers(0, 18))
def test_PAG_1_adjacent_swaps_are_caught(day: date, serial: int, position: int) -> None:
    number = make_document_number("044245", day, serial)
    digits = [c for c in number if c.isdigit()][:20]
    if digits[position] == digits[position + 1]:
        return  # swapping equal digits changes nothing
    digits[position], digits[position + 1] = digits[position + 1], digits[position]
    body = "".join(digits)
    with pytest.raises(ValueError):
        parse_document_number(f"{body[:6]}-{body[6:14]}-{body[14:]}-{number[-1]}")


@settings(deadline=None)
@given(DAYS, SERIALS)
def test_PAG_1_round_trip(day: date, serial: int) -> None:
    parsed = parse_document_number(make_document_number("993018", day, serial))
    assert (parsed.code, parsed.issued_on, parsed.serial) == ("993018", day, serial)


def test_PIN_1_limits_as_data() -> None:
    assert (pin.PIN_LENGTH, pin.PIN_MAX_TRIES) == (4, 3)
    assert (pin.SIGN_PASSWORD_MIN, pin.SIGN_PASSWORD_MAX, pin.SIGN_PASSWORD_MAX_TRIES) == (6, 16, 5)


@pytest.mark.parametrize(
    ("value", "ok"),
    [("1234", True), ("0000", True), ("123", False), ("12345", False), ("12a4", False), ("１２３４", False)],
)
def test_PIN_1_pin_format(value: str, ok: bool) -> None:
    assert pin.is_valid_pin(value) is ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("ABC123", True),
        ("A" * 16, True),
        ("ABC12", False),
        ("A" * 17, False),
        ("abc123", False),
        ("ABC-123", False),
        ("ＡＢＣ１２３", False),
    ],
)
def test_PIN_1_signing_password_format(value: str, ok: bool) -> None:
    assert pin.is_valid_sign_password(value) is ok


def test_ELG_5_a_phone_unlocks_with_its_pin_or_its_biometrics_a_card_with_its_pin() -> None:
    """ELG-5: biometrics *may* replace the PIN on a phone: the resident chooses, both ways work."""
    assert set(pin.unlock_methods("phone")) == {"pin", "biometric"}
    assert pin.unlock_methods("card") == ("pin",)
