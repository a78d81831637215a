"""The JPKI applet state machine, command by command (PIN-1, PIN-2, ELG-1, ELG-5)."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from card_testkit import FACE, MANAGEMENT_KEY, PIN, SIGN_PASSWORD, Material
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from kofu.card import apdu
from kofu.card import constants as c
from kofu.card.applet import JpkiApplet
from kofu.card.biometric import enroll
from kofu.card.cardfile import CardFile, new_card_file
from kofu.card.client import sha256_digest_info
from kofu.card.secrets_hash import DEFAULT_N, PIN_N


class Card:
    """An applet with its card content, driven APDU by APDU."""

    def __init__(self, card: CardFile, biometric: bytes | None = None) -> None:
        self.card = card
        self.applet = JpkiApplet(biometric=(lambda: biometric) if biometric is not None else None)

    def send(self, command: bytes | str) -> tuple[bytes, int]:
        raw = bytes.fromhex(command) if isinstance(command, str) else command
        response, self.card = self.applet.process(self.card, raw)
        assert len(response) >= 2
        return response[:-2], int.from_bytes(response[-2:], "big")

    def sw(self, *commands: bytes | str) -> int:
        sw = 0
        for command in commands:
            sw = self.send(command)[1]
        return sw


def _card(material: Material, kind: str = "card") -> CardFile:
    return new_card_file(
        kind=kind,  # type: ignore[arg-type]
        auth=material.auth,
        sign=material.sign,
        pin=PIN,
        sign_password=SIGN_PASSWORD,
        management_key=MANAGEMENT_KEY,
        biometric_template=enroll(FACE) if kind == "phone" else None,
    )


@pytest.fixture
def card(material: Material) -> Card:
    return Card(_card(material))


SELECT_AP = apdu.select_aid()


def public_key(der: bytes) -> rsa.RSAPublicKey:
    key = x509.load_der_x509_certificate(der).public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    return key


# --- SELECT -----------------------------------------------------------------------------------------
def test_select_application_and_files(card: Card) -> None:
    assert card.sw(apdu.select_ef(c.EF_AUTH_CERT)) == c.SW_FILE_NOT_FOUND  # not before the AP
    assert card.sw(apdu.select_aid(bytes(10))) == c.SW_FILE_NOT_FOUND
    assert card.sw(SELECT_AP) == c.SW_OK
    for ef in (*c.CERT_EFS, *c.KEY_EFS, *c.PIN_EFS):
        assert card.sw(apdu.select_ef(ef)) == c.SW_OK
    assert card.sw(apdu.select_ef(0x0003)) == c.SW_FILE_NOT_FOUND
    assert card.sw("00A4020002000A") == c.SW_WRONG_P1P2
    assert card.sw("00A4020C03000A00") == c.SW_WRONG_LENGTH


# --- READ BINARY ------------------------------------------------------------------------------------
def test_read_binary_header_chunks_short_reads_and_offsets(card: Card, material: Material) -> None:
    der = material.auth.cert_der
    assert card.sw(SELECT_AP, apdu.select_ef(c.EF_AUTH_CERT)) == c.SW_OK
    header, sw = card.send(apdu.read_binary(0, 4))
    assert sw == c.SW_OK and header[:2] == b"\x30\x82"
    assert int.from_bytes(header[2:4], "big") + 4 == len(der)
    assert card.send(apdu.read_binary(0, 256)) == (der[:256], c.SW_OK)  # Le=00 means 256
    last = len(der) - 10
    assert card.send(apdu.read_binary(last, 256)) == (der[last:], c.SW_OK)
    assert card.send(apdu.read_binary(last, 20)) == (der[last:], c.SW_END_OF_FILE)
    assert card.sw(apdu.read_binary(len(der), 1)) == c.SW_OFFSET_OUTSIDE
    assert card.sw("00B0800001") == c.SW_WRONG_P1P2
    assert card.sw("00B00000") == c.SW_WRONG_LENGTH


def test_read_binary_needs_a_certificate_file(card: Card) -> None:
    assert card.sw(SELECT_AP, apdu.read_binary(0, 4)) == c.SW_COMMAND_NOT_ALLOWED
    for ef in (*c.KEY_EFS, *c.PIN_EFS):
        assert card.sw(apdu.select_ef(ef), apdu.read_binary(0, 4)) == c.SW_COMMAND_NOT_ALLOWED


def test_signing_certificate_needs_signing_password(card: Card, material: Material) -> None:
    """The signing certificate (EF 0001) is read only after the signing password; the CA cert is free."""
    assert card.sw(SELECT_AP, apdu.select_ef(c.EF_SIGN_CERT), apdu.read_binary(0, 4)) == (
        c.SW_SECURITY_NOT_SATISFIED
    )
    assert card.sw(apdu.select_ef(c.EF_AUTH_PIN), apdu.verify(PIN.encode())) == c.SW_OK
    assert card.sw(apdu.select_ef(c.EF_SIGN_CERT), apdu.read_binary(0, 4)) == c.SW_SECURITY_NOT_SATISFIED
    assert card.send(apdu.select_ef(c.EF_SIGN_CA_CERT))[1] == c.SW_OK
    assert card.send(apdu.read_binary(0, 16)) == (material.sign.ca_cert_der[:16], c.SW_OK)
    assert card.sw(apdu.select_ef(c.EF_SIGN_PIN), apdu.verify(SIGN_PASSWORD.encode())) == c.SW_OK
    card.sw(apdu.select_ef(c.EF_SIGN_CERT))
    assert card.send(apdu.read_binary(0, 16)) == (material.sign.cert_der[:16], c.SW_OK)


# --- VERIFY (PIN-1) ---------------------------------------------------------------------------------
def test_pin1_three_wrong_pins_block_and_status_query_reports_tries(card: Card) -> None:
    """PIN-1: 63 C3 → wrong → 63 C2, 63 C1, 63 C0; then 69 84 even for the right PIN; query says 63 C0."""
    card.sw(SELECT_AP, apdu.select_ef(c.EF_AUTH_PIN))
    assert card.sw(apdu.verify(None)) == 0x63C3
    assert [card.sw(apdu.verify(b"9999")) for _ in range(3)] == [0x63C2, 0x63C1, 0x63C0]
    assert card.card.pin_tries_left == 0
    assert card.sw(apdu.verify(PIN.encode())) == c.SW_BLOCKED
    assert card.sw(apdu.verify(None)) == 0x63C0
    assert card.card.pin_tries_left == 0


def test_pin1_correct_pin_resets_the_counter(card: Card) -> None:
    card.sw(SELECT_AP, apdu.select_ef(c.EF_AUTH_PIN))
    assert card.sw(apdu.verify(b"0000"), apdu.verify(b"1111")) == 0x63C1
    assert card.sw(apdu.verify(PIN.encode())) == c.SW_OK
    assert card.sw(apdu.verify(None)) == 0x63C3


def test_pin1_signing_password_locks_after_five(card: Card) -> None:
    card.sw(SELECT_AP, apdu.select_ef(c.EF_SIGN_PIN))
    assert card.sw(apdu.verify(None)) == 0x63C5
    assert [card.sw(apdu.verify(b"WRONG1")) for _ in range(5)] == [0x63C4, 0x63C3, 0x63C2, 0x63C1, 0x63C0]
    assert card.sw(apdu.verify(SIGN_PASSWORD.encode())) == c.SW_BLOCKED
    assert card.card.pin_tries_left == c.PIN_MAX_TRIES  # the other counter is untouched


def test_verify_needs_a_pin_file(card: Card) -> None:
    assert card.sw(SELECT_AP, apdu.verify(PIN.encode())) == c.SW_COMMAND_NOT_ALLOWED
    assert card.sw(apdu.select_ef(c.EF_AUTH_KEY), apdu.verify(PIN.encode())) == c.SW_COMMAND_NOT_ALLOWED
    assert card.sw("0020008104" + PIN.encode().hex()) == c.SW_WRONG_P1P2


# --- SIGN (ELG-1) -----------------------------------------------------------------------------------
def test_elg1_sign_needs_verified_pin_and_gives_pkcs1_signature(card: Card, material: Material) -> None:
    """ELG-1: no signature without the PIN (69 82); with it, PKCS#1 v1.5 over the given DigestInfo."""
    message = b"challenge||session||terminal"
    sign = apdu.sign(sha256_digest_info(message))
    assert card.sw(SELECT_AP, apdu.select_ef(c.EF_AUTH_KEY), sign) == c.SW_SECURITY_NOT_SATISFIED
    assert card.sw(apdu.select_ef(c.EF_SIGN_PIN), apdu.verify(SIGN_PASSWORD.encode())) == c.SW_OK
    assert card.sw(apdu.select_ef(c.EF_AUTH_KEY), sign) == c.SW_SECURITY_NOT_SATISFIED  # wrong secret
    card.sw(apdu.select_ef(c.EF_AUTH_PIN), apdu.verify(PIN.encode()), apdu.select_ef(c.EF_AUTH_KEY))
    signature, sw = card.send(sign)
    assert sw == c.SW_OK and len(signature) == 256
    public_key(material.auth.cert_der).verify(signature, message, padding.PKCS1v15(), hashes.SHA256())


def test_signing_key_needs_signing_password(card: Card, material: Material) -> None:
    sign = apdu.sign(sha256_digest_info(b"document"))
    card.sw(SELECT_AP, apdu.select_ef(c.EF_AUTH_PIN), apdu.verify(PIN.encode()))
    assert card.sw(apdu.select_ef(c.EF_SIGN_KEY), sign) == c.SW_SECURITY_NOT_SATISFIED
    card.sw(apdu.select_ef(c.EF_SIGN_PIN), apdu.verify(SIGN_PASSWORD.encode()), apdu.select_ef(c.EF_SIGN_KEY))
    signature, sw = card.send(sign)
    assert sw == c.SW_OK
    public_key(material.sign.cert_der).verify(signature, b"document", padding.PKCS1v15(), hashes.SHA256())


def test_sign_pads_arbitrary_data_like_raw_pkcs1(card: Card, material: Material) -> None:
    """Data that is no known DigestInfo is still PKCS#1 v1.5 type-1 padded (what OpenSC's RSA-PKCS sends)."""
    card.sw(
        SELECT_AP, apdu.select_ef(c.EF_AUTH_PIN), apdu.verify(PIN.encode()), apdu.select_ef(c.EF_AUTH_KEY)
    )
    signature, sw = card.send(apdu.sign(b"raw data"))
    assert sw == c.SW_OK
    recovered = public_key(material.auth.cert_der).recover_data_from_signature(
        signature, padding.PKCS1v15(), None
    )
    assert recovered == b"raw data"
    assert card.sw(apdu.sign(bytes(246))) == c.SW_WRONG_LENGTH  # more than k - 11
    assert card.sw("802A00810101" + "00") == c.SW_WRONG_P1P2


def test_pin1_verify_state_ends_at_reset_and_at_a_failed_verify(card: Card) -> None:
    """PIN-1: VERIFY state ends at power-off/reset; a wrong PIN also drops it."""
    sign = apdu.sign(sha256_digest_info(b"m"))
    card.sw(SELECT_AP, apdu.select_ef(c.EF_AUTH_PIN), apdu.verify(PIN.encode()))
    card.applet.reset()
    assert card.sw(SELECT_AP, apdu.select_ef(c.EF_AUTH_KEY), sign) == c.SW_SECURITY_NOT_SATISFIED
    card.sw(apdu.select_ef(c.EF_AUTH_PIN), apdu.verify(PIN.encode()), apdu.verify(b"0000"))
    assert card.sw(apdu.select_ef(c.EF_AUTH_KEY), sign) == c.SW_SECURITY_NOT_SATISFIED


# --- errors -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("command", "sw"),
    [
        ("00CA000000", c.SW_UNKNOWN_INS),
        ("0C A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01", c.SW_WRONG_CLA),
        ("FFCA000000", c.SW_WRONG_CLA),
        ("002A008002010200", c.SW_WRONG_CLA),  # sign is a proprietary-class command
        ("80A4040C0AD392F000260100000001", c.SW_WRONG_CLA),
        ("00A4", c.SW_WRONG_LENGTH),
        ("00A4040C0BD392F000260100000001", c.SW_WRONG_LENGTH),
    ],
)
def test_error_status_words(card: Card, command: str, sw: int) -> None:
    assert card.sw(command.replace(" ", "")) == sw


# --- card management (PIN-2) ------------------------------------------------------------------------
def _authenticate(card: Card, key: bytes = MANAGEMENT_KEY) -> int:
    challenge, sw = card.send(apdu.get_challenge())
    assert sw == c.SW_OK and len(challenge) == 8
    return card.sw(apdu.external_authenticate(hmac.new(key, challenge, hashlib.sha256).digest()))


def test_pin2_reset_retry_counter_needs_management_authentication(card: Card) -> None:
    """PIN-2: RESET RETRY COUNTER unblocks and sets a new PIN only after EXTERNAL AUTHENTICATE."""
    card.sw(SELECT_AP, apdu.select_ef(c.EF_AUTH_PIN), *[apdu.verify(b"9999")] * 3)
    assert card.card.pin_tries_left == 0
    assert card.sw(apdu.reset_retry_counter(b"4321")) == c.SW_SECURITY_NOT_SATISFIED
    assert _authenticate(card, key=bytes(32)) == c.SW_SECURITY_NOT_SATISFIED
    assert card.sw(apdu.reset_retry_counter(b"4321")) == c.SW_SECURITY_NOT_SATISFIED
    assert card.sw(apdu.external_authenticate(bytes(32))) == c.SW_SECURITY_NOT_SATISFIED  # no challenge
    assert _authenticate(card) == c.SW_OK
    card.sw(apdu.select_ef(c.EF_AUTH_PIN))
    assert card.sw(apdu.reset_retry_counter(b"12a4")) == c.SW_WRONG_DATA
    assert card.sw(apdu.reset_retry_counter(b"4321")) == c.SW_OK
    assert card.card.pin_tries_left == c.PIN_MAX_TRIES
    assert card.card.pin_hash.n == PIN_N  # a PIN's cost, whatever the card was made with
    assert card.sw(apdu.verify(PIN.encode())) == 0x63C2  # the old PIN is gone
    assert card.sw(apdu.verify(b"4321")) == c.SW_OK


def test_pin2_challenge_is_single_use_and_authentication_ends_at_reset(card: Card) -> None:
    challenge, _ = card.send(apdu.get_challenge())
    mac = hmac.new(MANAGEMENT_KEY, challenge, hashlib.sha256).digest()
    assert card.sw(apdu.external_authenticate(mac)) == c.SW_OK
    assert card.sw(apdu.external_authenticate(mac)) == c.SW_SECURITY_NOT_SATISFIED  # replayed
    assert _authenticate(card) == c.SW_OK
    card.applet.reset()
    assert card.sw(SELECT_AP, apdu.select_ef(c.EF_SIGN_PIN), apdu.reset_retry_counter(b"NEWPW1")) == (
        c.SW_SECURITY_NOT_SATISFIED
    )
    assert _authenticate(card) == c.SW_OK
    assert card.sw(apdu.select_ef(c.EF_AUTH_KEY), apdu.reset_retry_counter(b"1234")) == (
        c.SW_COMMAND_NOT_ALLOWED
    )
    assert card.sw(apdu.select_ef(c.EF_SIGN_PIN), apdu.reset_retry_counter(b"new")) == c.SW_WRONG_DATA
    assert card.sw(apdu.reset_retry_counter(b"NEWPW1")) == c.SW_OK
    assert card.card.sign_password_hash.n == DEFAULT_N
    assert card.sw(apdu.verify(b"NEWPW1")) == c.SW_OK


# --- phones (ELG-5) ---------------------------------------------------------------------------------
def test_elg5_phone_biometric_replaces_pin_and_a_failed_match_counts_as_wrong_pin(material: Material) -> None:
    """ELG-5: on a phone, VERIFY 'BIO' matches the sensor's sample; a mismatch is a wrong PIN."""
    phone = Card(_card(material, "phone"), biometric=FACE)
    phone.sw(SELECT_AP, apdu.select_ef(c.EF_AUTH_PIN))
    assert phone.sw(apdu.verify(c.BIOMETRIC_VERIFY_DATA)) == c.SW_OK
    stranger = Card(_card(material, "phone"), biometric=b"someone else")
    stranger.sw(SELECT_AP, apdu.select_ef(c.EF_AUTH_PIN))
    assert stranger.sw(*[apdu.verify(c.BIOMETRIC_VERIFY_DATA)] * 3) == 0x63C0
    assert stranger.sw(apdu.verify(PIN.encode())) == c.SW_BLOCKED


def test_elg5_biometric_does_not_unlock_a_card(material: Material) -> None:
    plastic = Card(_card(material), biometric=FACE)
    plastic.sw(SELECT_AP, apdu.select_ef(c.EF_AUTH_PIN))
    assert plastic.sw(apdu.verify(c.BIOMETRIC_VERIFY_DATA)) == 0x63C2
