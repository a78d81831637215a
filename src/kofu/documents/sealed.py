"""The encrypted copy of a certificate's content, printed on its back for the verification service only.

ECDH-ES on P-256 with a fresh ephemeral key per document, HKDF-SHA256 to an AES-256-GCM key, the
document's unique number as associated data. The receiver of the paper cannot read it; the
verification service decrypts it, checks it against the signed digest, and shows it (SEC-6), so
nothing of the content has to be kept anywhere (SEC-4).
"""

from __future__ import annotations

import os
import zlib

import cbor2
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kofu.documents.sealed_dictionary import DICTIONARY_V2

VERSION = 2  # zlib with the frozen preset dictionary (sealed_dictionary); no kofu ever wrote version 1
MAX_CONTENT = 1 << 20  # decompressed: a certificate's content is a few kilobytes
_INFO = b"kofu sealed copy v1"
_POINT = serialization.PublicFormat.UncompressedPoint


class SealedError(ValueError):
    """A sealed copy that cannot be opened: malformed, for another key, or altered."""


def _key(shared: bytes, epk: bytes, recipient: bytes) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=epk + recipient, info=_INFO)
    return hkdf.derive(shared)


def _compress(data: bytes) -> bytes:
    packer = zlib.compressobj(9, zdict=DICTIONARY_V2)
    return packer.compress(data) + packer.flush()


def _decompress(data: bytes) -> bytes:
    """One whole zlib stream of at most MAX_CONTENT bytes (no `flush()`: it would inflate the rest)."""
    unpacker = zlib.decompressobj(zdict=DICTIONARY_V2)
    out = unpacker.decompress(data, MAX_CONTENT + 1)
    if len(out) > MAX_CONTENT or unpacker.unconsumed_tail:
        raise SealedError("sealed copy is larger than a certificate's content")
    if not unpacker.eof or unpacker.unused_data:
        raise SealedError("sealed copy is not one whole compressed stream")
    return out


def seal(plaintext: bytes, recipient: ec.EllipticCurvePublicKey, aad: bytes) -> bytes:
    """Compress and encrypt `plaintext` to `recipient`; `aad` (the unique number) is bound, not hidden."""
    ephemeral = ec.generate_private_key(ec.SECP256R1())
    epk = ephemeral.public_key().public_bytes(serialization.Encoding.X962, _POINT)
    rpk = recipient.public_bytes(serialization.Encoding.X962, _POINT)
    key = _key(ephemeral.exchange(ec.ECDH(), recipient), epk, rpk)
    nonce = os.urandom(12)
    ciphertext = AESGCM(key).encrypt(nonce, _compress(plaintext), aad)
    return cbor2.dumps([VERSION, epk, nonce, ciphertext])


def open_sealed(sealed: bytes, private_key: ec.EllipticCurvePrivateKey, aad: bytes) -> bytes:
    """Decrypt and decompress a sealed copy; raise SealedError when it cannot be opened."""
    try:
        version, epk, nonce, ciphertext = cbor2.loads(sealed)
        if version != VERSION:
            raise SealedError(f"sealed copy version {version} is not supported")
        peer = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), epk)
        rpk = private_key.public_key().public_bytes(serialization.Encoding.X962, _POINT)
        key = _key(private_key.exchange(ec.ECDH(), peer), epk, rpk)
        return _decompress(AESGCM(key).decrypt(nonce, ciphertext, aad))
    except SealedError:
        raise
    except InvalidTag:
        raise SealedError("sealed copy does not open with this key (altered or for another key)") from None
    except Exception as exc:  # malformed CBOR, point or zlib stream
        raise SealedError(f"sealed copy is malformed: {type(exc).__name__}") from None
