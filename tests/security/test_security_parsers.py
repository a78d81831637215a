"""T12 (issue 22): strict parsers. The otherName UTF8String of a signing certificate is read by a strict
DER decoder (cryptography's), never by hand: truncated, indefinite-length, non-minimal, constructed,
trailing-byte and non-UTF-8 values are refused."""

from __future__ import annotations

import pytest

from kofu.jpki.certificates import utf8_string, utf8_string_value

MALFORMED_UTF8_STRINGS = {
    "truncated (length 5, 3 bytes)": b"\x0c\x05abc",
    "truncated long-form length": b"\x0c\x82\x01",
    "indefinite length": b"\x0c\x80abc\x00\x00",
    "trailing bytes": b"\x0c\x03abcX",
    "non-minimal length (BER, not DER)": b"\x0c\x81\x03abc",
    "constructed UTF8String": b"\x2c\x05\x0c\x03abc",
    "another string type (OCTET STRING)": b"\x04\x03abc",
    "not UTF-8": b"\x0c\x02\xff\xfe",
    "empty": b"",
    "tag only": b"\x0c",
}


@pytest.mark.parametrize("der", MALFORMED_UTF8_STRINGS.values(), ids=MALFORMED_UTF8_STRINGS.keys())
def test_T12_malformed_der_utf8_strings_are_refused(der: bytes) -> None:
    with pytest.raises(ValueError):
        utf8_string_value(der)


@pytest.mark.parametrize("text", ["", "大衡 太郎", "宮城県黒川郡大衡村大衡字平林62番地" * 20, "x" * 70_000])
def test_well_formed_utf8_strings_round_trip(text: str) -> None:
    """Short, long-form and multi-byte lengths: what the JPKI writes, the reader reads back."""
    assert utf8_string_value(utf8_string(text)) == text
