"""The protocol constants and APDU builders match jpki-card.md byte for byte (one row per command)."""

from __future__ import annotations

import pytest

from kofu.card import apdu
from kofu.card import constants as c
from kofu.card.apdu import ApduError, Command, Response


@pytest.mark.parametrize(
    ("built", "spec_hex"),
    [
        (c.ATR, "3B E0 00 FF 81 31 FE 45 14"),
        (apdu.select_aid(), "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01"),
        (apdu.select_ef(c.EF_AUTH_CERT), "00 A4 02 0C 02 00 0A"),
        (apdu.select_ef(c.EF_AUTH_CA_CERT), "00 A4 02 0C 02 00 0B"),
        (apdu.select_ef(c.EF_SIGN_CERT), "00 A4 02 0C 02 00 01"),
        (apdu.select_ef(c.EF_SIGN_CA_CERT), "00 A4 02 0C 02 00 02"),
        (apdu.select_ef(c.EF_AUTH_KEY), "00 A4 02 0C 02 00 17"),
        (apdu.select_ef(c.EF_AUTH_PIN), "00 A4 02 0C 02 00 18"),
        (apdu.select_ef(c.EF_SIGN_KEY), "00 A4 02 0C 02 00 1A"),
        (apdu.select_ef(c.EF_SIGN_PIN), "00 A4 02 0C 02 00 1B"),
        (apdu.read_binary(0x0104, 4), "00 B0 01 04 04"),
        (apdu.read_binary(0, 256), "00 B0 00 00 00"),
        (apdu.verify(None), "00 20 00 80"),
        (apdu.verify(b"1234"), "00 20 00 80 04 31 32 33 34"),
        (apdu.sign(b"\x01\x02"), "80 2A 00 80 02 01 02 00"),
        (apdu.get_challenge(), "00 84 00 00 08"),
        (apdu.external_authenticate(bytes(32)), "00 82 00 00 20" + " 00" * 32),
        (apdu.reset_retry_counter(b"4321"), "00 2C 00 80 04 34 33 32 31"),
    ],
)
def test_command_bytes_match_the_spec(built: bytes, spec_hex: str) -> None:
    assert built == bytes.fromhex(spec_hex)


@pytest.mark.parametrize(
    ("sw", "spec_hex"),
    [
        (c.SW_OK, "9000"),
        (c.sw_wrong_pin(2), "63C2"),
        (c.SW_BLOCKED, "6984"),
        (c.SW_SECURITY_NOT_SATISFIED, "6982"),
        (c.SW_FILE_NOT_FOUND, "6A82"),
        (c.SW_UNKNOWN_INS, "6D00"),
        (c.SW_WRONG_LENGTH, "6700"),
        (c.SW_WRONG_CLA, "6E00"),
    ],
)
def test_status_words_match_the_spec(sw: int, spec_hex: str) -> None:
    assert Response(b"", sw).encode() == bytes.fromhex(spec_hex)


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        ("00200080", Command(0, 0x20, 0, 0x80)),
        ("00B0000004", Command(0, 0xB0, 0, 0, le=4)),
        ("00B0000000", Command(0, 0xB0, 0, 0, le=256)),
        ("00A4020C02000A", Command(0, 0xA4, 2, 0x0C, b"\x00\x0a")),
        ("802A0080020102" + "00", Command(0x80, 0x2A, 0, 0x80, b"\x01\x02", 256)),
    ],
)
def test_parse_cases_1_to_4(raw: str, parsed: Command) -> None:
    assert Command.parse(bytes.fromhex(raw)) == parsed
    assert parsed.encode() == bytes.fromhex(raw)


@pytest.mark.parametrize("raw", ["", "00", "00A402", "00A4020C0300", "00A4020C020001FFFF", "00B00000000100"])
def test_malformed_apdus_are_refused(raw: str) -> None:
    with pytest.raises(ApduError):
        Command.parse(bytes.fromhex(raw))
