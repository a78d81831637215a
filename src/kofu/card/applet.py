"""The JPKI applet as a pure APDU state machine (jpki-card.md): bytes in, bytes out, no I/O.

The persistent part of the card (secrets and retry counters) is the `CardFile` passed in; `process`
returns the card as it must be stored before the response may leave the card. The session part
(selection, verified secrets, management authentication) lives in the applet and ends at `reset()`,
i.e. power-off or card reset (PIN-1).
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import os
from collections.abc import Callable
from dataclasses import dataclass

from kofu.card import constants as c
from kofu.card.apdu import ApduError, Command, Response, status
from kofu.card.biometric import template_matches
from kofu.card.cardfile import CardFile, is_valid_pin, is_valid_sign_password
from kofu.card.rsa_sign import max_input_length, pkcs1_sign
from kofu.card.secrets_hash import SecretHash

ALL_EFS = c.CERT_EFS | c.KEY_EFS | c.PIN_EFS


@dataclass
class Session:
    """Volatile card state: lost at power-off and reset."""

    ap_selected: bool = False
    current_ef: int | None = None
    pin_verified: bool = False
    sign_password_verified: bool = False
    challenge: bytes | None = None
    management_authenticated: bool = False


class JpkiApplet:
    """Answers command APDUs for one card; `biometric` captures a sample on a phone (ELG-5)."""

    def __init__(
        self,
        *,
        random_bytes: Callable[[int], bytes] = os.urandom,
        biometric: Callable[[], bytes] | None = None,
    ) -> None:
        self._random = random_bytes
        self._biometric = biometric
        self.session = Session()

    def reset(self) -> None:
        """Power-off or card reset: every verification and selection ends."""
        self.session = Session()

    def process(self, card: CardFile, apdu: bytes) -> tuple[bytes, CardFile]:
        """Answer one APDU; the returned card carries any changed counters or secrets."""
        try:
            cmd = Command.parse(apdu)
        except ApduError:
            return status(c.SW_WRONG_LENGTH).encode(), card
        response, card = self._dispatch(card, cmd)
        return response.encode(), card

    def _dispatch(self, card: CardFile, cmd: Command) -> tuple[Response, CardFile]:
        if cmd.cla not in (c.CLA_ISO, c.CLA_PROPRIETARY):
            return status(c.SW_WRONG_CLA), card
        handlers = {
            c.INS_SELECT: (c.CLA_ISO, self._select),
            c.INS_READ_BINARY: (c.CLA_ISO, self._read_binary),
            c.INS_VERIFY: (c.CLA_ISO, self._verify),
            c.INS_SIGN: (c.CLA_PROPRIETARY, self._sign),
            c.INS_GET_CHALLENGE: (c.CLA_ISO, self._get_challenge),
            c.INS_EXTERNAL_AUTHENTICATE: (c.CLA_ISO, self._external_authenticate),
            c.INS_RESET_RETRY_COUNTER: (c.CLA_ISO, self._reset_retry_counter),
        }
        entry = handlers.get(cmd.ins)
        if entry is None:
            return status(c.SW_UNKNOWN_INS), card
        cla, handler = entry
        if cmd.cla != cla:
            return status(c.SW_WRONG_CLA), card
        return handler(card, cmd)

    def _select(self, card: CardFile, cmd: Command) -> tuple[Response, CardFile]:
        if cmd.p2 != c.P2_SELECT_NO_FCI or cmd.p1 not in (c.P1_SELECT_DF_NAME, c.P1_SELECT_EF):
            return status(c.SW_WRONG_P1P2), card
        if not cmd.data:
            return status(c.SW_WRONG_LENGTH), card
        s = self.session
        if cmd.p1 == c.P1_SELECT_DF_NAME:
            if cmd.data != c.AID:
                return status(c.SW_FILE_NOT_FOUND), card
            s.ap_selected, s.current_ef = True, None
            return status(c.SW_OK), card
        if len(cmd.data) != 2:
            return status(c.SW_WRONG_LENGTH), card
        file_id = int.from_bytes(cmd.data, "big")
        if not s.ap_selected or file_id not in ALL_EFS:
            return status(c.SW_FILE_NOT_FOUND), card
        s.current_ef = file_id
        return status(c.SW_OK), card

    def _read_binary(self, card: CardFile, cmd: Command) -> tuple[Response, CardFile]:
        if cmd.p1 & 0x80:
            return status(c.SW_WRONG_P1P2), card  # short EF identifiers are not supported
        if cmd.data or cmd.le is None:
            return status(c.SW_WRONG_LENGTH), card
        ef = self.session.current_ef
        if ef not in c.CERT_EFS:
            return status(c.SW_COMMAND_NOT_ALLOWED), card
        if ef == c.EF_SIGN_CERT and not self.session.sign_password_verified:
            return status(c.SW_SECURITY_NOT_SATISFIED), card
        content = _certificate_file(card, ef)
        offset = (cmd.p1 << 8) | cmd.p2
        if offset >= len(content):
            return status(c.SW_OFFSET_OUTSIDE), card
        chunk = content[offset : offset + cmd.le]
        short = len(chunk) < cmd.le and cmd.le != 256
        return Response(chunk, c.SW_END_OF_FILE if short else c.SW_OK), card

    def _verify(self, card: CardFile, cmd: Command) -> tuple[Response, CardFile]:
        if cmd.p1 != 0 or cmd.p2 != c.P2_VERIFY:
            return status(c.SW_WRONG_P1P2), card
        s = self.session
        ef = s.current_ef
        if ef not in c.PIN_EFS:
            return status(c.SW_COMMAND_NOT_ALLOWED), card
        is_pin = ef == c.EF_AUTH_PIN
        tries = card.pin_tries_left if is_pin else card.sign_tries_left
        if not cmd.data:
            return status(c.sw_wrong_pin(tries)), card  # tries left, even at 0 (OpenSC asks this way)
        if tries == 0:
            return status(c.SW_BLOCKED), card
        if is_pin and cmd.data == c.BIOMETRIC_VERIFY_DATA and card.kind == "phone":
            correct = self._biometric_match(card)
        else:
            correct = (card.pin_hash if is_pin else card.sign_password_hash).matches(cmd.data)
        if correct:
            full = c.PIN_MAX_TRIES if is_pin else c.SIGN_PASSWORD_MAX_TRIES
            card = _with_tries(card, is_pin, full)
            _set_verified(s, is_pin, True)
            return status(c.SW_OK), card
        card = _with_tries(card, is_pin, tries - 1)
        _set_verified(s, is_pin, False)
        return status(c.sw_wrong_pin(tries - 1)), card

    def _biometric_match(self, card: CardFile) -> bool:
        if self._biometric is None or card.biometric_template is None:
            return False
        return template_matches(card.biometric_template, self._biometric())

    def _sign(self, card: CardFile, cmd: Command) -> tuple[Response, CardFile]:
        if cmd.p1 != c.P1_SIGN or cmd.p2 != c.P2_SIGN:
            return status(c.SW_WRONG_P1P2), card
        ef = self.session.current_ef
        if ef not in c.KEY_EFS:
            return status(c.SW_COMMAND_NOT_ALLOWED), card
        is_auth = ef == c.EF_AUTH_KEY
        verified = self.session.pin_verified if is_auth else self.session.sign_password_verified
        if not verified:
            return status(c.SW_SECURITY_NOT_SATISFIED), card
        key = (card.auth if is_auth else card.sign).key
        if not 1 <= len(cmd.data) <= max_input_length(key) or cmd.le not in (None, 256):
            return status(c.SW_WRONG_LENGTH), card
        return Response(pkcs1_sign(key, cmd.data), c.SW_OK), card

    def _get_challenge(self, card: CardFile, cmd: Command) -> tuple[Response, CardFile]:
        if cmd.p1 != 0 or cmd.p2 != 0:
            return status(c.SW_WRONG_P1P2), card
        if cmd.data or cmd.le != c.CHALLENGE_LENGTH:
            return status(c.SW_WRONG_LENGTH), card
        self.session.challenge = self._random(c.CHALLENGE_LENGTH)
        return Response(self.session.challenge, c.SW_OK), card

    def _external_authenticate(self, card: CardFile, cmd: Command) -> tuple[Response, CardFile]:
        if cmd.p1 != 0 or cmd.p2 != 0:
            return status(c.SW_WRONG_P1P2), card
        if len(cmd.data) != c.MANAGEMENT_MAC_LENGTH:
            return status(c.SW_WRONG_LENGTH), card
        s = self.session
        challenge, s.challenge = s.challenge, None  # single use, whatever the outcome
        if challenge is None:
            s.management_authenticated = False
            return status(c.SW_SECURITY_NOT_SATISFIED), card
        expected = hmac.new(card.management_key, challenge, hashlib.sha256).digest()
        s.management_authenticated = hmac.compare_digest(expected, cmd.data)
        return status(c.SW_OK if s.management_authenticated else c.SW_SECURITY_NOT_SATISFIED), card

    def _reset_retry_counter(self, card: CardFile, cmd: Command) -> tuple[Response, CardFile]:
        if cmd.p1 != 0 or cmd.p2 != c.P2_RESET_RETRY_COUNTER:
            return status(c.SW_WRONG_P1P2), card
        s = self.session
        if not s.management_authenticated:
            return status(c.SW_SECURITY_NOT_SATISFIED), card
        if s.current_ef not in c.PIN_EFS:
            return status(c.SW_COMMAND_NOT_ALLOWED), card
        is_pin = s.current_ef == c.EF_AUTH_PIN
        try:
            secret = cmd.data.decode("ascii")
        except UnicodeDecodeError:
            return status(c.SW_WRONG_DATA), card
        if not (is_valid_pin(secret) if is_pin else is_valid_sign_password(secret)):
            return status(c.SW_WRONG_DATA), card
        new_hash = SecretHash.of_pin(secret) if is_pin else SecretHash.of(secret)
        if is_pin:
            card = dataclasses.replace(card, pin_hash=new_hash, pin_tries_left=c.PIN_MAX_TRIES)
        else:
            card = dataclasses.replace(
                card, sign_password_hash=new_hash, sign_tries_left=c.SIGN_PASSWORD_MAX_TRIES
            )
        _set_verified(s, is_pin, False)
        return status(c.SW_OK), card


def _certificate_file(card: CardFile, ef: int) -> bytes:
    """A certificate EF holds the raw DER; its 4-byte header `30 82 hi lo` gives the length."""
    return {
        c.EF_AUTH_CERT: card.auth.cert_der,
        c.EF_AUTH_CA_CERT: card.auth.ca_cert_der,
        c.EF_SIGN_CERT: card.sign.cert_der,
        c.EF_SIGN_CA_CERT: card.sign.ca_cert_der,
    }[ef]


def _with_tries(card: CardFile, is_pin: bool, tries: int) -> CardFile:
    if is_pin:
        return dataclasses.replace(card, pin_tries_left=tries)
    return dataclasses.replace(card, sign_tries_left=tries)


def _set_verified(s: Session, is_pin: bool, value: bool) -> None:
    if is_pin:
        s.pin_verified = value
    else:
        s.sign_password_verified = value
