"""Every identifier kofu exchanges or files things under, defined once: its shape as a regular expression.

Code checks a value with `Identifier.fits` (a `fullmatch`: `re.match` with `$` lets a trailing newline
through). Pydantic models and FastAPI parameters take `Identifier.pattern`, anchored with ^ and $, which
pydantic's default (Rust) regex engine reads as the very start and end of the text; no model may switch to
Python's engine, where $ also matches before a final newline (a test checks both).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property


@dataclass(frozen=True)
class Identifier:
    """An identifier's shape: `body` is a regular expression without anchors or top-level alternation."""

    body: str
    description: str

    @cached_property
    def regex(self) -> re.Pattern[str]:
        return re.compile(self.body)

    @property
    def pattern(self) -> str:
        """The anchored pattern for pydantic and FastAPI (and the OpenAPI schema)."""
        return f"^{self.body}$"

    def fits(self, value: object) -> bool:
        """Is `value` a string of exactly this shape?"""
        return isinstance(value, str) and self.regex.fullmatch(value) is not None


SESSION_ID = Identifier(r"[A-Za-z0-9_-]{1,64}", "a kiosk session at the center")
# STR-1. 32 characters: the registers' column; also a file name under keys/net/terminals (no dot first).
TERMINAL_ID = Identifier(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}", "a registered kiosk terminal (STR-1)")
REQUEST_KEY = Identifier(
    r"[A-Za-z0-9_-]{8,64}", "chosen by the kiosk per request; a retry with the same key gets the same answer"
)
MUNICIPALITY_CODE = Identifier(r"[0-9]{6}", "the 6-digit local government code")  # check digit: rules.lgcode
PERSON_ID = Identifier(r"[0-9]{6}-[0-9]{7}", "a person's public id in a registry")
DIGEST = Identifier(r"[0-9a-f]{64}", "a SHA-256 digest, lowercase hex")
CERTIFICATE_SERIAL = Identifier(r"[0-9a-f]{1,40}", "a card certificate's serial number, lowercase hex")
# code-date-serial-Damm check digit (rules.paging checks the date and the digit)
DOCUMENT_NUMBER = Identifier(r"[0-9]{6}-[0-9]{8}-[0-9]{6}-[0-9]", "a certificate's unique number")
STORE_CODE = Identifier(r"[A-Za-z0-9._-]{1,32}", "a store's code within its chain")
CHAIN = Identifier(r"[a-z0-9_]{1,32}", "store chain, e.g. seven_eleven, lawson")
MENU_OPTION = Identifier(r"[a-z_]{1,32}", "a certificate kind's option, e.g. whole / individual")
# The center's and municipal servers' certificate names; also file names under keys/net/servers.
NETWORK_NAME = Identifier(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", "a server's network certificate name")

ALL: dict[str, Identifier] = {
    "session_id": SESSION_ID,
    "terminal_id": TERMINAL_ID,
    "request_key": REQUEST_KEY,
    "municipality_code": MUNICIPALITY_CODE,
    "person_id": PERSON_ID,
    "digest": DIGEST,
    "certificate_serial": CERTIFICATE_SERIAL,
    "document_number": DOCUMENT_NUMBER,
    "store_code": STORE_CODE,
    "chain": CHAIN,
    "menu_option": MENU_OPTION,
    "network_name": NETWORK_NAME,
}
