"""Malformed APDUs to the card applet, through the reader (issue 6 §3; PIN-1).

Each malformed command is answered with an error status word (never an exception from the reader,
never 90 00), and changes nothing on the card: the card file's bytes are the same afterwards, so no
PIN try is spent and no secret or counter is touched. A genuine VERIFY afterwards still succeeds.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kofu.card import apdu
from kofu.card import constants as c
from kofu.card.biometric import SimulatedSensor
from kofu.card.client import JpkiClient
from kofu.card.inprocess import InProcessReader
from kofu.card.phone import PhoneReader
from kofu.card.reader import Reader
from kofu.jpki.testbed import TestCard, open_testbed

PIN = "1234"

MALFORMED: dict[str, bytes] = {
    "empty": b"",
    "one_byte": b"\x00",
    "three_bytes": b"\x00\xa4\x04",
    "lc_longer_than_data": b"\x00\x20\x00\x80\x08" + b"12",
    "lc_shorter_than_data": b"\x00\x20\x00\x80\x02" + b"1234",
    "lc_zero_with_data": b"\x00\x20\x00\x80\x00" + b"1234",
    "extended_lc_truncated": b"\x00\x20\x00\x80\x00\x00",
    "extended_lc_mismatch": b"\x00\x20\x00\x80\x00\x10\x00" + b"1234",
    "cla_ff": b"\xff\x20\x00\x80\x04" + PIN.encode(),
    "unknown_ins": b"\x00\x61\x00\x00\x00",
    "odd_ins": b"\x00\x21\x00\x80\x04" + PIN.encode(),
    "verify_wrong_p2": b"\x00\x20\x00\x7f\x04" + PIN.encode(),
    "select_short_fid": b"\x00\xa4\x02\x0c\x01\x00",
    "select_long_fid": b"\x00\xa4\x02\x0c\x04\x00\x18\x00\x18",
    "read_beyond": apdu.read_binary(0x7FFF, 256),
    "sign_without_verify": apdu.sign(b"\x00" * 51),
    "sign_empty": b"\x80\x2a\x00\x80\x00",
    "reset_without_auth": apdu.reset_retry_counter(b"0000"),
    "external_auth_short": b"\x00\x82\x00\x00\x04abcd",
    "huge": b"\x00\x20\x00\x80\xff" + b"1" * 70_000,
}


@pytest.fixture
def card(tmp_path: Path) -> TestCard:
    bed = open_testbed(tmp_path, f"sqlite:///{tmp_path / 'jpki.db'}")
    return bed.issue(pin=PIN)


@pytest.fixture
def phone(tmp_path: Path) -> TestCard:
    bed = open_testbed(tmp_path, f"sqlite:///{tmp_path / 'jpki.db'}")
    return bed.issue(credential="phone")


def _sw(answer: bytes) -> int:
    assert len(answer) >= 2
    return int.from_bytes(answer[-2:], "big")


def _malformed_change_nothing(reader: Reader, path: Path) -> list[str]:
    """Send every malformed APDU (after selecting the applet and the PIN EF); what misbehaved."""
    problems: list[str] = []
    before = path.read_bytes()
    for name, command in MALFORMED.items():
        for prefix in ([], [apdu.select_aid(), apdu.select_ef(c.EF_AUTH_PIN)]):
            for step in prefix:
                reader.transmit(step)
            try:
                sw = _sw(reader.transmit(command))
            except Exception as exc:  # the reader must answer, not raise
                problems.append(f"{name}: raised {type(exc).__name__}")
                continue
            if sw == 0x9000 or sw >> 12 != 6:
                problems.append(f"{name}: answered {sw:04x}")
            if path.read_bytes() != before:
                problems.append(f"{name}: the card file changed")
                before = path.read_bytes()
    return problems


def test_pin1_malformed_apdus_to_the_card_change_nothing(card: TestCard) -> None:
    """PIN-1: no malformed APDU spends a PIN try, signs, or changes the card; a real VERIFY then works."""
    with InProcessReader(card.path) as reader:
        problems = _malformed_change_nothing(reader, card.path)
        client = JpkiClient(reader)
        assert client.pin_tries_left() == 3
        assert client.verify_pin(PIN).ok
    assert not problems, "\n".join(problems)


def test_malformed_apdus_to_a_phone_change_nothing(phone: TestCard) -> None:
    """ELG-5: the phone's reader likewise (a malformed VERIFY triggers no biometric match)."""
    assert phone.biometric_sample is not None
    with PhoneReader(phone.path, SimulatedSensor(phone.biometric_sample)) as reader:
        problems = _malformed_change_nothing(reader, phone.path)
    assert not problems, "\n".join(problems)
