"""PIN-1 limits as data, format checks for the PIN and the signing password, and how a credential
unlocks (ELG-5).

The real counters live in the card (kofu.card); these are the numbers it is built with.
"""

from __future__ import annotations

import re
from typing import Final, Literal

Unlock = Literal["pin", "biometric"]

PIN_LENGTH: Final = 4  # 利用者証明用電子証明書の暗証番号: 4 digits
PIN_MAX_TRIES: Final = 3  # three wrong PINs in a row lock it (PIN-1)
SIGN_PASSWORD_MIN: Final = 6  # 署名用電子証明書のパスワード: 6–16 characters
SIGN_PASSWORD_MAX: Final = 16
SIGN_PASSWORD_ALPHABET: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
SIGN_PASSWORD_MAX_TRIES: Final = 5  # as on the real card

_PIN_RE = re.compile(rf"[0-9]{{{PIN_LENGTH}}}")
_SIGN_PASSWORD_RE = re.compile(rf"[A-Z0-9]{{{SIGN_PASSWORD_MIN},{SIGN_PASSWORD_MAX}}}")


def is_valid_pin(pin: str) -> bool:
    """Exactly four ASCII digits (full-width or other Unicode digits are not PINs)."""
    return isinstance(pin, str) and _PIN_RE.fullmatch(pin) is not None


def is_valid_sign_password(password: str) -> bool:
    """6–16 characters, each an ASCII capital letter A–Z or digit 0–9."""
    return isinstance(password, str) and _SIGN_PASSWORD_RE.fullmatch(password) is not None


def unlock_methods(credential: str) -> tuple[Unlock, ...]:
    """ELG-5: a card unlocks with its PIN; a phone with the PIN or its biometrics, as the resident chooses.

    Both go through the same retry counter (PIN-1): a failed biometric match counts as a wrong PIN.
    """
    return ("pin", "biometric") if credential == "phone" else ("pin",)
