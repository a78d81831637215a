"""What the signed code on a certificate's back says (the COSE_Sign1 payload), and the 2D code texts.

The payload is a CBOR map in the CWT style of EU-DCC: iss (1), exp (4) and iat (6) as CWT claims, plus
kofu's own keys: unique number, kind, date of issue, digest of the front's content, order and requester
binding, and the number of sheets.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import cbor2

from kofu.documents.base45 import b45decode, b45encode
from kofu.rules.calendar import JST
from kofu.rules.kinds import Kind

SIGNED_PREFIX = "KF1:"  # the signed code
SEALED_PREFIX = "KFC1:"  # one part of the encrypted copy: KFC1:<i>:<n>:<base45>
MAX_CODE_CHARS = 4296  # the most alphanumeric characters a QR code (version 40) holds
MAX_SEALED_PARTS = 16  # a back carries the signed code and about four parts: room to spare
MAX_SEALED_BYTES = 32 * 1024  # joined; the parts on a back hold a few kilobytes
_ISS, _EXP, _IAT = 1, 4, 6


class ClaimsError(ValueError):
    """A payload that is not kofu's signed claims."""


class IncompleteCopyError(ClaimsError):
    """Parts of the encrypted copy are missing (covered, stained or cropped): unread, not changed."""


@dataclass(frozen=True)
class SignedClaims:
    """The facts the COSE signature vouches for."""

    municipality_code: str
    unique_number: str
    kind: Kind
    issued_on: dt.date
    verifiable_until: dt.date
    content_digest: bytes  # SHA-256 of the canonical content (kofu.documents.codec)
    order_id: str
    requester_cert_digest: str
    sheets: int

    def to_cbor(self) -> bytes:
        """The payload bytes that are signed."""
        return cbor2.dumps(
            {
                _ISS: self.municipality_code,
                _IAT: _epoch(self.issued_on),
                _EXP: _epoch(self.verifiable_until + dt.timedelta(days=1)),
                "no": self.unique_number,
                "k": self.kind.value,
                "d": self.issued_on.isoformat(),
                "u": self.verifiable_until.isoformat(),
                "h": self.content_digest,
                "o": self.order_id,
                "r": self.requester_cert_digest,
                "s": self.sheets,
            },
            canonical=True,
        )

    @classmethod
    def from_cbor(cls, data: bytes) -> SignedClaims:
        """Parse a payload; raise ClaimsError when it is not kofu's."""
        try:
            raw = cbor2.loads(data)
            claims = cls(
                municipality_code=str(raw[_ISS]),
                unique_number=str(raw["no"]),
                kind=Kind(raw["k"]),
                issued_on=dt.date.fromisoformat(raw["d"]),
                verifiable_until=dt.date.fromisoformat(raw["u"]),
                content_digest=bytes(raw["h"]),
                order_id=str(raw["o"]),
                requester_cert_digest=str(raw["r"]),
                sheets=int(raw["s"]),
            )
        except Exception as exc:
            raise ClaimsError(f"not kofu's signed claims: {type(exc).__name__}") from None
        if len(claims.content_digest) != 32:
            raise ClaimsError("content digest must be 32 bytes")
        return claims


def _epoch(d: dt.date) -> int:
    return int(dt.datetime(d.year, d.month, d.day, tzinfo=JST).timestamp())


def signed_text(cose: bytes) -> str:
    """The signed code's text (QR alphanumeric mode)."""
    return SIGNED_PREFIX + b45encode(cose)


def sealed_texts(sealed: bytes, part_bytes: int) -> list[str]:
    """The encrypted copy split evenly into as few QR texts as parts of at most `part_bytes` bytes allow."""
    count = max(1, -(-len(sealed) // part_bytes))
    size = max(1, -(-len(sealed) // count))
    parts = [sealed[i : i + size] for i in range(0, len(sealed), size)] or [b""]
    return [f"{SEALED_PREFIX}{i}:{len(parts)}:{b45encode(p)}" for i, p in enumerate(parts, start=1)]


def parse_signed(text: str) -> bytes:
    """The COSE bytes of a signed code's text; raise ClaimsError when it is not one."""
    if not text.startswith(SIGNED_PREFIX):
        raise ClaimsError("not a kofu signed code")
    if len(text) > MAX_CODE_CHARS:
        raise ClaimsError("longer than a 2D code can be")
    try:
        return b45decode(text[len(SIGNED_PREFIX) :])
    except ValueError as exc:
        raise ClaimsError(str(exc)) from None


def join_sealed(texts: list[str]) -> bytes:
    """Reassemble the encrypted copy from its parts, in any order; ClaimsError if parts are missing.

    More parts, or longer ones, than a back can carry are refused before any is decoded.
    """
    if len(texts) > MAX_SEALED_PARTS or any(len(t) > MAX_CODE_CHARS for t in texts):
        raise ClaimsError("more of an encrypted copy than a back can carry")
    parts: dict[int, bytes] = {}
    total = 0
    for t in texts:
        try:
            _, index, count, body = t.split(":", 3)
            i, n = int(index), int(count)
            data = b45decode(body)
        except ValueError:
            raise ClaimsError("malformed part of the encrypted copy") from None
        if total and n != total:
            raise ClaimsError("parts of different encrypted copies")
        total = n
        parts[i] = data
    if not total or not set(parts) <= set(range(1, total + 1)):
        raise ClaimsError("parts numbered outside their copy")
    if len(parts) != total:
        raise IncompleteCopyError("the encrypted copy is incomplete")
    joined = b"".join(parts[i] for i in range(1, total + 1))
    if len(joined) > MAX_SEALED_BYTES:
        raise ClaimsError("more of an encrypted copy than a back can carry")
    return joined
