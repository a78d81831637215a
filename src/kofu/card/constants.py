"""Protocol facts of the JPKI applet (jpki-card.md; the same values OpenSC's JPKI driver uses)."""

from __future__ import annotations

from typing import Final

from kofu.rules import pin as pin_rules

ATR: Final = bytes.fromhex("3BE000FF8131FE4514")
AID: Final = bytes.fromhex("D392F000260100000001")

# Elementary files inside the JPKI application.
EF_SIGN_CERT: Final = 0x0001
EF_SIGN_CA_CERT: Final = 0x0002
EF_AUTH_CERT: Final = 0x000A
EF_AUTH_CA_CERT: Final = 0x000B
EF_AUTH_KEY: Final = 0x0017
EF_AUTH_PIN: Final = 0x0018
EF_SIGN_KEY: Final = 0x001A
EF_SIGN_PIN: Final = 0x001B

CERT_EFS: Final = frozenset({EF_SIGN_CERT, EF_SIGN_CA_CERT, EF_AUTH_CERT, EF_AUTH_CA_CERT})
KEY_EFS: Final = frozenset({EF_AUTH_KEY, EF_SIGN_KEY})
PIN_EFS: Final = frozenset({EF_AUTH_PIN, EF_SIGN_PIN})

# Class bytes and instruction codes.
CLA_ISO: Final = 0x00
CLA_PROPRIETARY: Final = 0x80
INS_SELECT: Final = 0xA4
INS_READ_BINARY: Final = 0xB0
INS_VERIFY: Final = 0x20
INS_SIGN: Final = 0x2A
INS_GET_CHALLENGE: Final = 0x84
INS_EXTERNAL_AUTHENTICATE: Final = 0x82
INS_RESET_RETRY_COUNTER: Final = 0x2C

P1_SELECT_DF_NAME: Final = 0x04
P1_SELECT_EF: Final = 0x02
P2_SELECT_NO_FCI: Final = 0x0C
P2_VERIFY: Final = 0x80
P1_SIGN: Final = 0x00
P2_SIGN: Final = 0x80
P2_RESET_RETRY_COUNTER: Final = 0x80

CHALLENGE_LENGTH: Final = 8
MANAGEMENT_MAC_LENGTH: Final = 32  # HMAC-SHA256
BIOMETRIC_VERIFY_DATA: Final = b"BIO"

# PIN-1: the card is built with the limits kofu.rules.pin states.
PIN_MAX_TRIES: Final = pin_rules.PIN_MAX_TRIES
SIGN_PASSWORD_MAX_TRIES: Final = pin_rules.SIGN_PASSWORD_MAX_TRIES

# Status words.
SW_OK: Final = 0x9000
SW_END_OF_FILE: Final = 0x6282  # fewer bytes than Le remained
SW_WRONG_PIN_BASE: Final = 0x63C0  # | tries left
SW_WRONG_LENGTH: Final = 0x6700
SW_SECURITY_NOT_SATISFIED: Final = 0x6982
SW_BLOCKED: Final = 0x6984
SW_COMMAND_NOT_ALLOWED: Final = 0x6986  # no (suitable) current EF
SW_WRONG_DATA: Final = 0x6A80
SW_FILE_NOT_FOUND: Final = 0x6A82
SW_WRONG_P1P2: Final = 0x6A86
SW_OFFSET_OUTSIDE: Final = 0x6B00
SW_UNKNOWN_INS: Final = 0x6D00
SW_WRONG_CLA: Final = 0x6E00
SW_CONDITIONS_NOT_SATISFIED: Final = 0x6985


def sw_wrong_pin(tries_left: int) -> int:
    """`63 Cx`: a wrong secret (or a status query), x tries left."""
    return SW_WRONG_PIN_BASE | (tries_left & 0x0F)
