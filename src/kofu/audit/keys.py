"""The audit keys in the home folder (`keys/audit/`), never in the database they protect.

- `chain.key`: 32 random bytes (hex). Entries are HMAC-chained under it, and each worker authenticates
  the rows it records under a key derived from it, so someone who can edit the database but not read
  the home cannot recompute the chain nor forge a recorded decision.
- `head.key` / `head.pub`: an Ed25519 pair. The chainer signs the chain head it moves, and
  `kofu audit checkpoint` signs the checkpoints it writes outside the database; the public half is all
  a verifier of heads and checkpoints needs.

Every worker that records and chains (each center and municipal server process) holds both private
keys: any worker chains any worker's rows and signs the head it moves. Create them before the first
entry: a chain is keyed or not from its first append on. Files are 0600 in a 0700 folder; creation is
atomic, so workers starting together all load the same keys.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

KEY_BYTES = 32


def key_dir(home: Path) -> Path:
    """The folder of the audit keys."""
    return home / "keys" / "audit"


def key_path(home: Path) -> Path:
    """Where the home's chain key lives."""
    return key_dir(home) / "chain.key"


def head_key_path(home: Path) -> Path:
    """Where the private key that signs heads and checkpoints lives."""
    return key_dir(home) / "head.key"


def head_public_path(home: Path) -> Path:
    """Where its public half lives (all that a verifier of heads and checkpoints needs)."""
    return key_dir(home) / "head.pub"


@dataclass(frozen=True)
class AuditKeys:
    """What a recording and chaining worker holds."""

    chain: bytes
    head: Ed25519PrivateKey


def load_audit_key(home: Path) -> bytes | None:
    """The home's chain key, or None when the home has none (the chain is then plain SHA-256)."""
    path = key_path(home)
    if not path.exists():
        return None
    key = bytes.fromhex(path.read_text().strip())
    if len(key) != KEY_BYTES:
        raise ValueError(f"{path}: an audit key is {KEY_BYTES} bytes of hex")
    return key


def load_head_public(home: Path) -> Ed25519PublicKey | None:
    """The public key of signed heads and checkpoints, or None when the home has none."""
    path = head_public_path(home)
    if not path.exists():
        return None
    key = serialization.load_pem_public_key(path.read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{path}: not an Ed25519 public key")
    return key


def load_head_key(home: Path) -> Ed25519PrivateKey | None:
    """The private key of heads and checkpoints, or None when the home has none."""
    path = head_key_path(home)
    if not path.exists():
        return None
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path}: not an Ed25519 private key")
    return key


def _create(path: Path, data: bytes) -> None:
    """Write `path` (0600) at once or not at all: a worker racing another loads the winner's file."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path.parent, 0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(FileExistsError):  # another process created it first: theirs is kept
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def ensure_audit_key(home: Path) -> bytes:
    """The home's chain key, created (owner-only) if missing."""
    existing = load_audit_key(home)
    if existing is None:
        _create(key_path(home), secrets.token_bytes(KEY_BYTES).hex().encode() + b"\n")
        existing = load_audit_key(home)
    assert existing is not None
    return existing


def ensure_audit_keys(home: Path) -> AuditKeys:
    """Both keys of the home, each created (owner-only) if missing."""
    chain = ensure_audit_key(home)
    head = load_head_key(home)
    if head is None:
        fresh = Ed25519PrivateKey.generate()
        pem = fresh.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        _create(head_key_path(home), pem)
        head = load_head_key(home)
        assert head is not None
    public = head_public_path(home)
    if not public.exists():
        pem = head.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        _create(public, pem)
    return AuditKeys(chain, head)
