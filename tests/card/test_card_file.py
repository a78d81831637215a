"""Card files: owner-only, TEST KEYS ONLY, atomic, refused when malformed or tampered (PIN-1)."""

from __future__ import annotations

import dataclasses
import json
import os
import stat
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from card_testkit import MANAGEMENT_KEY, PIN, SIGN_PASSWORD, Material

from kofu.card import constants as c
from kofu.card.cardfile import (
    WARNING,
    CardFileError,
    content_checksum,
    new_card_file,
    read_card_file,
    write_card_file,
)
from kofu.card.client import JpkiClient
from kofu.card.inprocess import InProcessReader
from kofu.card.reader import ReaderError
from kofu.card.secrets_hash import DEFAULT_N, PIN_N, SecretHash


def test_written_owner_only_with_test_keys_warning_and_no_plain_secrets(card_path: Path) -> None:
    assert stat.S_IMODE(card_path.stat().st_mode) == 0o600
    text = card_path.read_text()
    assert "TEST KEYS ONLY" in text.splitlines()[1]
    body = json.loads(text)
    assert body["warning"] == WARNING
    assert PIN not in text and SIGN_PASSWORD not in text  # only salted hashes
    assert "BEGIN PRIVATE KEY" in body["auth"]["key_pkcs8"]  # PKCS#8
    assert not list(card_path.parent.glob(".*.tmp"))


def test_round_trip(card_path: Path, material: Material) -> None:
    card = read_card_file(card_path)
    assert card.kind == "card"
    assert card.auth.cert_der == material.auth.cert_der and card.sign.ca_cert_der == material.sign.ca_cert_der
    assert (card.pin_tries_left, card.sign_tries_left) == (c.PIN_MAX_TRIES, c.SIGN_PASSWORD_MAX_TRIES)
    assert card.pin_hash.matches(PIN.encode()) and not card.pin_hash.matches(b"0000")
    assert card.management_key == MANAGEMENT_KEY
    assert card.auth_serial == 0x1001 and card.sign_serial == 0x2001


def test_the_same_bytes_are_checked_once_and_the_file_still_at_every_read(card_path: Path) -> None:
    assert read_card_file(card_path) is read_card_file(card_path)  # a kiosk reads it at every step
    os.chmod(card_path, 0o644)
    with pytest.raises(CardFileError, match="owner-only"):
        read_card_file(card_path)


def test_pin_hashed_at_pin_cost_and_cards_of_either_cost_verify(card_path: Path) -> None:
    """PIN-1: a new card hashes its PIN at PIN_N and its password at DEFAULT_N; a card whose PIN hash was
    written at 2**12 (before PIN_N) still checks its PIN."""
    card = read_card_file(card_path)
    assert (card.pin_hash.n, card.sign_password_hash.n) == (PIN_N, DEFAULT_N)
    write_card_file(card_path, dataclasses.replace(card, pin_hash=SecretHash.of(PIN, n=2**12)))
    assert read_card_file(card_path).pin_hash.n == 2**12
    with InProcessReader(card_path) as reader:
        client = JpkiClient(reader)
        assert not client.verify_pin("0000").ok
        assert client.verify_pin(PIN).ok
    assert read_card_file(card_path).pin_tries_left == c.PIN_MAX_TRIES


def _set(path: list[str], value: object) -> Callable[[dict[str, Any]], None]:
    def mutate(body: dict[str, Any]) -> None:
        target = body
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return mutate


def _swap_certs(body: dict[str, Any]) -> None:
    body["auth"]["cert"], body["sign"]["cert"] = body["sign"]["cert"], body["auth"]["cert"]


def _drop(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda body: body.pop(key)


@pytest.mark.parametrize(
    ("mutate", "reseal", "message"),
    [
        (_set(["pin", "tries_left"], 3), False, "checksum"),  # a hand-edited counter
        (_set(["pin", "tries_left"], 9), True, "out of range"),
        (_set(["sign_password", "tries_left"], -1), True, "out of range"),
        (_swap_certs, True, "does not match"),
        (_drop("management_key"), True, "malformed"),
        (_set(["pin", "scrypt", "n"], 3), True, "malformed"),
        (_set(["kind"], "tablet"), True, "malformed"),
        (_set(["warning"], "real keys"), True, "malformed"),
        (_set(["format"], "other/1"), True, "not a kofu-virtual-jpki-card/1"),
        (_set(["auth", "cert"], "not base64!"), True, "malformed"),
        (_set(["biometric_template"], None), True, None),  # a card needs none: still fine
    ],
)
def test_tampered_card_files_are_refused(
    card_path: Path, mutate: Callable[[dict[str, Any]], None], reseal: bool, message: str | None
) -> None:
    body = json.loads(card_path.read_text())
    body["pin"]["tries_left"] = 2
    body.pop("checksum")
    body["checksum"] = content_checksum(body)
    card_path.write_text(json.dumps(body))
    assert read_card_file(card_path).pin_tries_left == 2
    body.pop("checksum")
    mutate(body)
    if reseal:
        body["checksum"] = content_checksum(body)
    else:
        body["checksum"] = content_checksum({**body, "pin": {**body["pin"], "tries_left": 2}})
    card_path.write_text(json.dumps(body))
    if message is None:
        read_card_file(card_path)
        return
    with pytest.raises(CardFileError, match=message):
        read_card_file(card_path)


@pytest.mark.parametrize(
    "content", [b"", b"{not json", b"[]", b"\xff\xfe", b'{"format": "kofu-virtual-jpki-card/1"}']
)
def test_malformed_card_files_are_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    path.chmod(0o600)
    with pytest.raises(CardFileError):
        read_card_file(path)


def test_missing_and_world_readable_files_are_refused(card_path: Path, tmp_path: Path) -> None:
    with pytest.raises(CardFileError, match="cannot read"):
        read_card_file(tmp_path / "absent.json")
    card_path.chmod(0o644)
    with pytest.raises(CardFileError, match="owner-only"):
        read_card_file(card_path)
    with pytest.raises(CardFileError), InProcessReader(card_path):
        pass
    with pytest.raises(ReaderError, match="owner-only"), InProcessReader(card_path):
        pass


@pytest.mark.parametrize(
    ("pin", "password"),
    [("123", "ABC123"), ("12345", "ABC123"), ("abcd", "ABC123"), ("1234", "ABC12"), ("1234", "abc123"),
     ("1234", "A" * 17)],
)  # fmt: skip
def test_pin1_secret_formats_are_enforced(material: Material, pin: str, password: str) -> None:
    """PIN-1: PIN = 4 digits; signing password = 6-16 of A-Z and 0-9."""
    with pytest.raises(CardFileError):
        new_card_file(
            kind="card", auth=material.auth, sign=material.sign, pin=pin, sign_password=password,
            management_key=MANAGEMENT_KEY,
        )  # fmt: skip


def test_phone_needs_a_biometric_template(material: Material) -> None:
    with pytest.raises(CardFileError, match="biometric"):
        new_card_file(
            kind="phone", auth=material.auth, sign=material.sign, pin=PIN, sign_password=SIGN_PASSWORD,
            management_key=MANAGEMENT_KEY,
        )  # fmt: skip


def test_pin1_counters_survive_power_off_and_a_new_process_reader(card_path: Path) -> None:
    """PIN-1: the retry counter lives in the card file: a new reader (as after a restart) sees it."""
    with InProcessReader(card_path) as reader:
        assert not JpkiClient(reader).verify_pin("0000").ok
    assert read_card_file(card_path).pin_tries_left == 2
    with InProcessReader(card_path) as reader:
        client = JpkiClient(reader)
        assert client.pin_tries_left() == 2
        assert client.verify_pin("1111").tries_left == 1
        result = client.verify_pin("2222")
        assert result.blocked and result.tries_left == 0
    with InProcessReader(card_path) as reader:
        assert JpkiClient(reader).verify_pin(PIN).blocked
    assert read_card_file(card_path).pin_tries_left == 0


def test_pin1_concurrent_readers_lose_no_decrement(card_path: Path) -> None:
    """PIN-1: five readers on one card file, each one wrong password at once: all five count."""
    barrier = threading.Barrier(5)
    errors: list[BaseException] = []

    def wrong_password() -> None:
        try:
            with InProcessReader(card_path) as reader:
                client = JpkiClient(reader)
                client.sign_password_tries_left()
                barrier.wait()
                client.verify_sign_password("WRONG9")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=wrong_password) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert read_card_file(card_path).sign_tries_left == 0


def test_transmit_needs_connect(card_path: Path) -> None:
    with pytest.raises(ReaderError):
        InProcessReader(card_path).transmit(b"\x00\xa4\x04\x0c")


def test_write_is_atomic_replace(card_path: Path, material: Material) -> None:
    before = os.stat(card_path).st_ino
    write_card_file(card_path, read_card_file(card_path))
    assert os.stat(card_path).st_ino != before  # replaced, never rewritten in place
