"""Private keys and certificates on disk: PEM files, owner-only (0600) in owner-only folders (0700)."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from kofu.private import make_private_dirs, write_private

KEY_SIZE = 2048
PUBLIC_EXPONENT = 65537


def new_key() -> rsa.RSAPrivateKey:
    """A fresh RSA-2048 key."""
    return rsa.generate_private_key(public_exponent=PUBLIC_EXPONENT, key_size=KEY_SIZE)


def write_key(path: Path, key: rsa.RSAPrivateKey) -> None:
    """Write `key` as unencrypted PKCS#8 PEM, readable by the owner only."""
    make_private_dirs(path.parent)
    data = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(path, 0o600)


def read_key(path: Path) -> rsa.RSAPrivateKey:
    """Read an RSA private key written by `write_key`."""
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError(f"{path.name} is not an RSA key")
    return key


def write_cert(path: Path, cert: x509.Certificate) -> None:
    """Write a certificate as PEM (owner-only too: whoever needs it gets a copy)."""
    make_private_dirs(path.parent)
    write_private(path, cert.public_bytes(serialization.Encoding.PEM))


def read_cert(path: Path) -> x509.Certificate:
    """Read a PEM certificate."""
    return x509.load_pem_x509_certificate(path.read_bytes())
