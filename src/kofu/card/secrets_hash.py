"""Salted scrypt hashes of the card's secrets (PIN, signing password): the card file never holds them."""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass

# Modest cost: the virtual card checks a secret per VERIFY, and tests run many.
DEFAULT_N = 2**12
DEFAULT_R = 8
DEFAULT_P = 1
# 10,000 PINs fall to a search at any cost (2**12: 2 min), and the file holds its keys in clear anyway.
PIN_N = 2**10


@dataclass(frozen=True)
class SecretHash:
    """scrypt(secret, salt) with its parameters."""

    salt: bytes
    digest: bytes
    n: int = DEFAULT_N
    r: int = DEFAULT_R
    p: int = DEFAULT_P

    @classmethod
    def of(cls, secret: str | bytes, *, salt: bytes | None = None, n: int = DEFAULT_N) -> SecretHash:
        raw = secret.encode() if isinstance(secret, str) else secret
        salt = salt if salt is not None else os.urandom(16)
        return cls(salt, _scrypt(raw, salt, n, DEFAULT_R, DEFAULT_P), n)

    @classmethod
    def of_pin(cls, pin: str) -> SecretHash:
        """The hash of a 4-digit PIN (at `PIN_N`)."""
        return cls.of(pin, n=PIN_N)

    def matches(self, secret: bytes) -> bool:
        """Constant-time comparison of scrypt(secret) with the stored digest."""
        return hmac.compare_digest(_scrypt(secret, self.salt, self.n, self.r, self.p), self.digest)


def _scrypt(secret: bytes, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(secret, salt=salt, n=n, r=r, p=p, dklen=32, maxmem=64 * 1024 * 1024)
