"""The verification service's own key pair: certificates' content copies are encrypted to its public key.

One pair per verification service, generated on first use under `$KOFU_HOME/keys/verify/`:
`verifier.key.pem` (owner-only, never leaves this folder) and `verifier.pub.pem`, the file each
municipal server is given. EC P-256, as the sealed copy (`kofu.documents.sealed`) expects. A TEST KEY:
a production service keeps it in an HSM.
"""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from kofu.documents.published import verifier_dir

PRIVATE_FILE = "verifier.key.pem"
PUBLIC_FILE = "verifier.pub.pem"


@dataclass(frozen=True)
class VerifierKey:
    """The decryption key of the verification service (not a signing key: it seals nothing)."""

    private: ec.EllipticCurvePrivateKey

    @property
    def public(self) -> ec.EllipticCurvePublicKey:
        return self.private.public_key()


def _write(path: Path, data: bytes, mode: int) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def _generate(folder: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    _write(folder / PUBLIC_FILE, public, 0o644)  # handed to every municipal server
    _write(folder / PRIVATE_FILE, private, 0o600)  # the marker: a pair is complete once it exists


def _load(folder: Path) -> VerifierKey:
    key = serialization.load_pem_private_key((folder / PRIVATE_FILE).read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError(f"{folder / PRIVATE_FILE} is not a P-256 private key")
    return VerifierKey(key)


_CACHE: dict[str, VerifierKey] = {}


def verifier_key(home: Path) -> VerifierKey:
    """The verification service's key pair under `home`, generated on first use, loaded once a process."""
    folder = verifier_dir(home).resolve()
    cached = _CACHE.get(str(folder))
    if cached is not None:
        return cached
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(folder / ".lock", "a") as lock:  # one generator at a time across processes
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / PRIVATE_FILE).exists():
            _generate(folder)
        elif not (folder / PUBLIC_FILE).exists():  # the public half is derived: rewrite it if lost
            public = _load(folder).public.public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            _write(folder / PUBLIC_FILE, public, 0o644)
        key = _load(folder)
    _CACHE[str(folder)] = key
    return key
