"""The kiosk side of the card: JPKI operations spoken only as APDUs through a `Reader`.

Wrong or blocked secrets come back as a `PinResult` value with its reason code; protocol failures
(unexpected status words) raise `CardError`.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Literal

from cryptography.hazmat.primitives import hashes

from kofu.card import apdu
from kofu.card import constants as c
from kofu.card.apdu import ApduError, Response
from kofu.card.reader import Reader
from kofu.card.rsa_sign import digest_info
from kofu.rules.reasons import Reason

Secret = Literal["pin", "sign_password"]


class CardError(Exception):
    """The card answered a status word the operation cannot continue with."""

    def __init__(self, operation: str, sw: int) -> None:
        super().__init__(f"{operation}: card answered {sw:04X}")
        self.operation = operation
        self.sw = sw


@dataclass(frozen=True)
class PinResult:
    """The card's verdict on a secret: ok, or refused with tries left and a reason code (PIN-1)."""

    ok: bool
    tries_left: int
    reason: Reason | None = None

    @property
    def blocked(self) -> bool:
        return self.reason in (Reason.PIN_BLOCKED, Reason.PASSWORD_BLOCKED)


class PinRefused(CardError):
    """A signing operation could not start because the card refused the secret."""

    def __init__(self, result: PinResult) -> None:
        super().__init__("verify", c.SW_BLOCKED if result.blocked else c.sw_wrong_pin(result.tries_left))
        self.result = result


class JpkiClient:
    """JPKI operations on whatever card the reader holds (virtual card, phone, or real card)."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader

    # --- certificates -------------------------------------------------------------------------
    def read_auth_certificate(self) -> bytes:
        """The user-authentication certificate (DER); no PIN needed."""
        return self._read_certificate(c.EF_AUTH_CERT)

    def read_auth_ca_certificate(self) -> bytes:
        return self._read_certificate(c.EF_AUTH_CA_CERT)

    def read_sign_certificate(self, sign_password: str) -> bytes:
        """The signing certificate (DER); the card requires the signing password first."""
        self._require(self.verify_sign_password(sign_password))
        return self._read_certificate(c.EF_SIGN_CERT)

    def read_sign_ca_certificate(self) -> bytes:
        return self._read_certificate(c.EF_SIGN_CA_CERT)

    # --- secrets ------------------------------------------------------------------------------
    def pin_tries_left(self) -> int:
        return self._tries_left(c.EF_AUTH_PIN)

    def sign_password_tries_left(self) -> int:
        return self._tries_left(c.EF_SIGN_PIN)

    def verify_pin(self, pin: str) -> PinResult:
        return self._verify(c.EF_AUTH_PIN, pin.encode())

    def verify_biometric(self) -> PinResult:
        """On a phone (ELG-5): the phone's sensor replaces the PIN; a failed match counts as a wrong PIN."""
        return self._verify(c.EF_AUTH_PIN, c.BIOMETRIC_VERIFY_DATA)

    def verify_sign_password(self, password: str) -> PinResult:
        return self._verify(c.EF_SIGN_PIN, password.encode())

    # --- signatures ---------------------------------------------------------------------------
    def sign_auth(self, digest_info: bytes) -> bytes:
        """Sign a DigestInfo with the user-authentication key (the PIN must be verified already)."""
        return self._sign(c.EF_AUTH_KEY, digest_info)

    def sign_with_signing_key(self, digest_info: bytes) -> bytes:
        """Sign a DigestInfo with the signing key (the signing password must be verified already)."""
        return self._sign(c.EF_SIGN_KEY, digest_info)

    def authenticate(self, challenge_message: bytes, pin: str | None) -> bytes:
        """VERIFY (PIN, or biometric on a phone when `pin` is None), then sign DigestInfo(SHA-256(message)).

        Raises PinRefused (carrying the PinResult) when the card refuses the PIN.
        """
        result = self.verify_biometric() if pin is None else self.verify_pin(pin)
        self._require(result)
        return self.sign_auth(sha256_digest_info(challenge_message))

    def sign_message(self, message: bytes, sign_password: str) -> bytes:
        """Verify the signing password, then sign DigestInfo(SHA-256(message)) with the signing key."""
        self._require(self.verify_sign_password(sign_password))
        return self.sign_with_signing_key(sha256_digest_info(message))

    # --- card management (PIN-2) -------------------------------------------------------------
    def reset_retry_counter(self, management_key: bytes, which: Secret, new_secret: str) -> None:
        """Authenticate as the card's management terminal, then reset a counter and set a new secret."""
        self._select_ap()
        challenge = self._ok(self._send(apdu.get_challenge()), "get challenge")
        mac = hmac.new(management_key, challenge, hashlib.sha256).digest()
        self._ok(self._send(apdu.external_authenticate(mac)), "external authenticate")
        self._select(c.EF_AUTH_PIN if which == "pin" else c.EF_SIGN_PIN)
        self._ok(self._send(apdu.reset_retry_counter(new_secret.encode())), "reset retry counter")

    # --- plumbing -----------------------------------------------------------------------------
    def _send(self, command: bytes) -> Response:
        try:
            return Response.parse(self.reader.transmit(command))
        except ApduError:
            raise CardError("transmit: no status word in the answer", 0x6F00) from None

    @staticmethod
    def _ok(response: Response, operation: str) -> bytes:
        if not response.ok:
            raise CardError(operation, response.sw)
        return response.data

    @staticmethod
    def _require(result: PinResult) -> None:
        if not result.ok:
            raise PinRefused(result)

    def _select_ap(self) -> None:
        self._ok(self._send(apdu.select_aid()), "select JPKI application")

    def _select(self, file_id: int) -> None:
        self._ok(self._send(apdu.select_ef(file_id)), f"select EF {file_id:04X}")

    def _read_certificate(self, file_id: int) -> bytes:
        self._select_ap()
        self._select(file_id)
        header = self._ok(self._send(apdu.read_binary(0, 4)), "read binary")
        if len(header) != 4 or header[0] != 0x30 or header[1] != 0x82:
            raise CardError("read binary: not a DER certificate header", c.SW_WRONG_DATA)
        total = 4 + int.from_bytes(header[2:4], "big")
        data = bytearray(header)
        while len(data) < total:
            chunk = self._ok(self._send(apdu.read_binary(len(data), min(256, total - len(data)))), "read")
            if not chunk:
                raise CardError("read binary: card returned no data", c.SW_WRONG_DATA)
            data += chunk
        return bytes(data[:total])

    def _tries_left(self, pin_ef: int) -> int:
        self._select_ap()
        self._select(pin_ef)
        response = self._send(apdu.verify(None))
        if response.sw & 0xFFF0 != c.SW_WRONG_PIN_BASE:
            raise CardError("verify (tries left)", response.sw)
        return response.sw & 0x0F

    def _verify(self, pin_ef: int, secret: bytes) -> PinResult:
        self._select_ap()
        self._select(pin_ef)
        response = self._send(apdu.verify(secret))
        is_pin = pin_ef == c.EF_AUTH_PIN
        wrong = Reason.PIN_WRONG if is_pin else Reason.PASSWORD_WRONG
        blocked = Reason.PIN_BLOCKED if is_pin else Reason.PASSWORD_BLOCKED
        if response.ok:
            return PinResult(True, c.PIN_MAX_TRIES if is_pin else c.SIGN_PASSWORD_MAX_TRIES)
        if response.sw == c.SW_BLOCKED:
            return PinResult(False, 0, blocked)
        if response.sw & 0xFFF0 == c.SW_WRONG_PIN_BASE:
            left = response.sw & 0x0F
            return PinResult(False, left, blocked if left == 0 else wrong)
        raise CardError("verify", response.sw)

    def _sign(self, key_ef: int, data: bytes) -> bytes:
        self._select_ap()
        self._select(key_ef)
        return self._ok(self._send(apdu.sign(data)), "sign")


def sha256_digest_info(message: bytes) -> bytes:
    """DigestInfo(SHA-256(message)): what the card signs for authentication."""
    return digest_info(hashes.SHA256(), hashlib.sha256(message).digest())
