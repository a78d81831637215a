"""The optional audit key in the home folder (`keys/audit/chain.key`).

With a key, entries are HMAC-chained: someone who can edit the database but not read the home's keys
cannot recompute a chain that `kofu audit verify` accepts. Create the key before the first entry: a
chain is keyed or not from its first append on, and an append with the other setting is refused.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

KEY_BYTES = 32


def key_path(home: Path) -> Path:
    """Where the home's audit key lives."""
    return home / "keys" / "audit" / "chain.key"


def load_audit_key(home: Path) -> bytes | None:
    """The home's audit key, or None when the home has none (the chain is then plain SHA-256)."""
    path = key_path(home)
    if not path.exists():
        return None
    key = bytes.fromhex(path.read_text().strip())
    if len(key) != KEY_BYTES:
        raise ValueError(f"{path}: an audit key is {KEY_BYTES} bytes of hex")
    return key


def ensure_audit_key(home: Path) -> bytes:
    """The home's audit key, created (owner-only) if missing."""
    existing = load_audit_key(home)
    if existing is not None:
        return existing
    path = key_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(KEY_BYTES)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key.hex() + "\n")
    return key
