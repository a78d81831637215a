"""Crypto-shredding: what the kiosk keeps of a person on disk is sealed with a key only its memory holds.

A file's earlier versions (left in free blocks by a rename), a copy taken after a power loss, a disk
taken out: all unreadable once the key is dropped, at the session's end or with the process. Overwriting
a file cannot promise that on journalling file systems and flash; dropping the key can.

Each key is AES-256-GCM, made fresh for one session (or one print) and never written anywhere; each
sealed blob names what it holds (its label is authenticated), so one record cannot pass for another.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_MAGIC = b"kofu-sealed-1\n"
_NONCE = 12


class NoKey(RuntimeError):
    """Sealing was asked for while no session key is held (a programming error, not a refusal)."""


class SessionKey:
    """One key at a time, in this process's memory only: `begin` makes a new one, `drop` forgets it."""

    def __init__(self) -> None:
        self._aead: AESGCM | None = None

    @property
    def held(self) -> bool:
        return self._aead is not None

    def begin(self) -> None:
        """A new key: whatever an earlier key sealed is unreadable from now on."""
        self._aead = AESGCM(AESGCM.generate_key(bit_length=256))

    def drop(self) -> None:
        """Forget the key: everything it sealed is unreadable, wherever copies of it are."""
        self._aead = None

    def seal(self, data: bytes, label: str) -> bytes:
        if self._aead is None:
            raise NoKey(f"no session key to seal {label!r}")
        nonce = os.urandom(_NONCE)
        return _MAGIC + nonce + self._aead.encrypt(nonce, data, label.encode())

    def open(self, blob: bytes, label: str) -> bytes | None:
        """The sealed data, or None: no key held, another key's blob, another label, or not a sealed blob."""
        if self._aead is None or not blob.startswith(_MAGIC):
            return None
        body = blob[len(_MAGIC) :]
        try:
            return self._aead.decrypt(body[:_NONCE], body[_NONCE:], label.encode())
        except (InvalidTag, ValueError):
            return None
