"""COSE_Sign1 with ES256 (RFC 9052 §4.2, RFC 9053 §2.1), built from cbor2 and cryptography.

The signed code on a certificate's back is a tagged COSE_Sign1, as in EU digital COVID certificates:
protected header {alg: ES256, kid}, a CBOR payload, and a raw r‖s ECDSA P-256 signature.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

COSE_SIGN1_TAG = 18
HEADER_ALG = 1
HEADER_KID = 4
ES256 = -7
_COORD = 32  # P-256 coordinate length: r and s are 32 bytes each


class CoseError(ValueError):
    """Bytes that are not a well-formed COSE_Sign1 of the kind kofu signs."""


@dataclass(frozen=True)
class Sign1:
    """A parsed COSE_Sign1: what was signed, by which key id, and the signature."""

    protected: bytes
    unprotected: Mapping[int, object]
    payload: bytes
    signature: bytes

    @property
    def kid(self) -> bytes | None:
        """The key id, looked up in the protected header first, then the unprotected one."""
        headers = cbor2.loads(self.protected) if self.protected else {}
        kid = headers.get(HEADER_KID, self.unprotected.get(HEADER_KID))
        return kid if isinstance(kid, bytes) else None

    @property
    def alg(self) -> object:
        """The algorithm named in the protected header."""
        return (cbor2.loads(self.protected) if self.protected else {}).get(HEADER_ALG)


def key_id(public_key: ec.EllipticCurvePublicKey) -> bytes:
    """The first 8 bytes of SHA-256 over the key's SubjectPublicKeyInfo (the EU-DCC convention)."""
    spki = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(spki).digest()[:8]


def sig_structure(protected: bytes, payload: bytes, external_aad: bytes = b"") -> bytes:
    """The ToBeSigned bytes: CBOR ["Signature1", protected, external_aad, payload] (RFC 9052 §4.4)."""
    return cbor2.dumps(["Signature1", protected, external_aad, payload])


def sign1(payload: bytes, key: ec.EllipticCurvePrivateKey, kid: bytes) -> bytes:
    """A tagged COSE_Sign1 over `payload`, signed ES256 with `key`."""
    protected = cbor2.dumps({HEADER_ALG: ES256, HEADER_KID: kid})
    der = key.sign(sig_structure(protected, payload), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    signature = r.to_bytes(_COORD, "big") + s.to_bytes(_COORD, "big")
    return cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, payload, signature]))


def parse_sign1(data: bytes) -> Sign1:
    """Parse a (tagged or untagged) COSE_Sign1; raise CoseError when it is not one."""
    try:
        obj = cbor2.loads(data)
    except Exception as exc:  # cbor2 raises several types on garbage
        raise CoseError(f"not CBOR: {exc}") from None
    if isinstance(obj, cbor2.CBORTag):
        if obj.tag != COSE_SIGN1_TAG:
            raise CoseError(f"CBOR tag {obj.tag} is not COSE_Sign1")
        obj = obj.value
    if not (isinstance(obj, list | tuple) and len(obj) == 4):
        raise CoseError("COSE_Sign1 must be an array of four items")
    protected, unprotected, payload, signature = obj
    if not (isinstance(protected, bytes) and isinstance(unprotected, Mapping)):
        raise CoseError("COSE_Sign1 headers are malformed")
    if not (isinstance(payload, bytes) and isinstance(signature, bytes)):
        raise CoseError("COSE_Sign1 payload or signature is not a byte string")
    _check_protected(protected)
    return Sign1(protected, dict(unprotected), payload, signature)


def _check_protected(protected: bytes) -> None:
    """The protected header, when present, must be a CBOR map (`kid` and `alg` read it unguarded)."""
    if not protected:
        return
    try:
        header = cbor2.loads(protected)
    except Exception:  # cbor2 raises several types on garbage
        raise CoseError("COSE_Sign1 protected header is not CBOR") from None
    if not isinstance(header, Mapping):
        raise CoseError("COSE_Sign1 protected header is not a map")


def verify_sign1(msg: Sign1, public_key: ec.EllipticCurvePublicKey) -> bool:
    """True when `msg` is an ES256 signature by `public_key` over its protected header and payload."""
    if msg.alg != ES256 or len(msg.signature) != 2 * _COORD:
        return False
    r = int.from_bytes(msg.signature[:_COORD], "big")
    s = int.from_bytes(msg.signature[_COORD:], "big")
    try:
        public_key.verify(
            encode_dss_signature(r, s), sig_structure(msg.protected, msg.payload), ec.ECDSA(hashes.SHA256())
        )
    except InvalidSignature:
        return False
    return True
