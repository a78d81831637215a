"""The kiosk side (JpkiClient) over InProcessReader and PhoneReader: ELG-1, ELG-5, PIN-1, PIN-2."""

from __future__ import annotations

from pathlib import Path

import pytest
from card_testkit import FACE, MANAGEMENT_KEY, PIN, SIGN_PASSWORD, MakeCard, Material
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from kofu.card.biometric import SimulatedSensor
from kofu.card.cardfile import read_card_file
from kofu.card.client import CardError, JpkiClient, PinRefused
from kofu.card.inprocess import InProcessReader
from kofu.card.phone import PhoneReader
from kofu.card.reader import Reader
from kofu.rules.reasons import Reason


def verify_signature(cert_der: bytes, signature: bytes, message: bytes) -> None:
    key = x509.load_der_x509_certificate(cert_der).public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())


def test_readers_implement_the_reader_protocol(card_path: Path, make_card: MakeCard) -> None:
    assert isinstance(InProcessReader(card_path), Reader)
    assert isinstance(PhoneReader(make_card("phone"), SimulatedSensor(FACE)), Reader)


def test_elg1_authenticate_signs_the_challenge_message(card_path: Path, material: Material) -> None:
    """ELG-1: the card proves the holder: PIN checked on the card, then a signature over the challenge."""
    message = b"\x01" * 32 + b"session-1" + b"terminal-7"
    with InProcessReader(card_path) as reader:
        client = JpkiClient(reader)
        assert client.read_auth_certificate() == material.auth.cert_der
        signature = client.authenticate(message, PIN)
    verify_signature(material.auth.cert_der, signature, message)


def test_pin1_wrong_pin_is_a_value_with_reason_and_blocks_after_three(card_path: Path) -> None:
    with InProcessReader(card_path) as reader:
        client = JpkiClient(reader)
        first = client.verify_pin("0000")
        assert (first.ok, first.tries_left, first.reason) == (False, 2, Reason.PIN_WRONG)
        client.verify_pin("0000")
        with pytest.raises(PinRefused) as refused:
            client.authenticate(b"m", "0000")
        assert refused.value.result.reason == Reason.PIN_BLOCKED
        assert client.verify_pin(PIN).reason == Reason.PIN_BLOCKED
        with pytest.raises(CardError) as error:
            client.sign_auth(b"\x00" * 51)
        assert error.value.sw == 0x6982


def test_signing_password_operations(card_path: Path, material: Material) -> None:
    with InProcessReader(card_path) as reader:
        client = JpkiClient(reader)
        assert client.sign_password_tries_left() == 5
        assert client.verify_sign_password("WRONG1").reason == Reason.PASSWORD_WRONG
        with pytest.raises(PinRefused):
            client.read_sign_certificate("WRONG2")
        assert client.read_sign_certificate(SIGN_PASSWORD) == material.sign.cert_der
        assert client.read_sign_ca_certificate() == material.sign.ca_cert_der
        signature = client.sign_message(b"application form", SIGN_PASSWORD)
    verify_signature(material.sign.cert_der, signature, b"application form")


def test_pin2_reset_retry_counter_through_the_client(card_path: Path) -> None:
    """PIN-2: a blocked PIN and a blocked password are reset only with the card-management key."""
    with InProcessReader(card_path) as reader:
        client = JpkiClient(reader)
        for _ in range(3):
            client.verify_pin("0000")
        for _ in range(5):
            client.verify_sign_password("WRONG1")
        with pytest.raises(CardError) as error:
            client.reset_retry_counter(b"not the key" * 3, "pin", "5678")
        assert error.value.sw == 0x6982
        client.reset_retry_counter(MANAGEMENT_KEY, "pin", "5678")
        client.reset_retry_counter(MANAGEMENT_KEY, "sign_password", "NEWPASS7")
        assert client.verify_pin("5678").ok
        assert client.verify_sign_password("NEWPASS7").ok
    card = read_card_file(card_path)
    assert (card.pin_tries_left, card.sign_tries_left) == (3, 5)


def test_elg5_phone_unlocks_by_biometric_via_reader(make_card: MakeCard, material: Material) -> None:
    """ELG-5: a phone credential reaches the kiosk through the same Reader; its sensor replaces the PIN."""
    phone = make_card("phone")
    sensor = SimulatedSensor(FACE)
    with PhoneReader(phone, sensor) as reader:
        signature = JpkiClient(reader).authenticate(b"challenge", None)
    assert sensor.captures == 1
    verify_signature(material.auth.cert_der, signature, b"challenge")
    with PhoneReader(phone, SimulatedSensor(b"another face")) as reader:
        client = JpkiClient(reader)
        result = client.verify_biometric()
        assert (result.ok, result.tries_left, result.reason) == (False, 2, Reason.PIN_WRONG)
        assert client.authenticate(b"challenge", PIN)  # the PIN still works, and resets the counter
    assert read_card_file(phone).pin_tries_left == 3


def test_elg5_failed_biometric_matches_block_the_phone(make_card: MakeCard) -> None:
    phone = make_card("phone")
    with PhoneReader(phone, SimulatedSensor(b"impostor")) as reader:
        client = JpkiClient(reader)
        results = [client.verify_biometric() for _ in range(3)]
    assert [r.tries_left for r in results] == [2, 1, 0]
    assert results[-1].blocked
    with PhoneReader(phone, SimulatedSensor(FACE)) as reader:
        assert JpkiClient(reader).verify_biometric().blocked  # even the right face: blocked (PIN-1)
