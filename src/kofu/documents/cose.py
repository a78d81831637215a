"""COSE_Sign1 with ES256 (RFC 9052 §4.2, RFC 9053 §2.1), built from cbor2 and cryptography.

The signed code on a certificate's back is a tagged COSE_Sign1, as in EU digital COVID certificates:
protected header {alg: ES256, kid}, a CBOR payload, and a raw r‖s ECDSA P-256 signature.

Reading is strict (RFC 9052 §3, §3.1, §4.2): the message is one CBOR item with nothing after it, of
definite lengths and no tags but COSE_Sign1's own; no label twice in a map nor in both header buckets;
labels are integers or text; `alg` (an integer or text) is protected; `kid` is a byte string; `crit`
is protected, a non-empty array naming protected labels kofu understands; the payload is attached.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping
from dataclasses import dataclass

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

COSE_SIGN1_TAG = 18
HEADER_ALG = 1
HEADER_CRIT = 2
HEADER_KID = 4
UNDERSTOOD = frozenset({HEADER_ALG, HEADER_CRIT, HEADER_KID})  # the header labels kofu acts on
ES256 = -7
MAX_DEPTH = 8  # kofu's messages nest three deep
_COORD = 32  # P-256 coordinate length: r and s are 32 bytes each
_PLAIN = (int, str, bytes, bool, float, type(None))  # CBOR values without a tag

Label = int | str


class CoseError(ValueError):
    """Bytes that are not a well-formed COSE_Sign1 of the kind kofu signs."""


def strict_cbor(data: bytes, what: str) -> object:
    """The one CBOR item `data` holds: definite lengths, no repeated map key, nothing after it."""
    stream = io.BytesIO(data)
    try:
        decoder = cbor2.CBORDecoder(
            stream, allow_indefinite=False, allow_duplicate_keys=False, max_depth=MAX_DEPTH
        )
        item = decoder.decode()
    except Exception as exc:  # cbor2 raises several types on garbage
        raise CoseError(f"{what} is not well-formed CBOR: {exc}") from None
    if stream.tell() != len(data):
        raise CoseError(f"{what}: bytes after the CBOR item")
    return item


def _untagged(value: object, what: str) -> None:
    """Refuse tags (and values cbor2 builds from them) anywhere in `value`."""
    if isinstance(value, list | tuple):  # cbor2 makes the arrays inside a tag tuples
        for item in value:
            _untagged(item, what)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _untagged(key, what)
            _untagged(item, what)
    elif not isinstance(value, _PLAIN):
        raise CoseError(f"{what}: a tagged or unexpected value ({type(value).__name__})")


def _header_map(value: object, what: str) -> dict[Label, object]:
    if not isinstance(value, Mapping):  # a dict, or cbor2's frozendict inside a tag
        raise CoseError(f"{what} is not a map")
    _untagged(value, what)
    if not all(isinstance(k, int | str) and not isinstance(k, bool) for k in value):
        raise CoseError(f"{what}: a label that is neither an integer nor text")
    return dict(value)


def protected_header(protected: bytes) -> dict[Label, object]:
    """The protected bucket's map (empty for a zero-length byte string, RFC 9052 §3)."""
    if not protected:
        return {}
    return _header_map(strict_cbor(protected, "protected header"), "protected header")


def _check_headers(protected: dict[Label, object], unprotected: dict[Label, object]) -> None:
    both = protected.keys() & unprotected.keys()
    if both:
        raise CoseError(f"header labels in both buckets: {sorted(map(str, both))}")
    alg = protected.get(HEADER_ALG)
    if HEADER_ALG not in protected or isinstance(alg, bool) or not isinstance(alg, int | str):
        raise CoseError("alg must be a protected integer or text")
    kid = protected.get(HEADER_KID, unprotected.get(HEADER_KID))
    if kid is not None and not isinstance(kid, bytes):
        raise CoseError("kid must be a byte string")
    if HEADER_CRIT in unprotected:
        raise CoseError("crit must be protected")
    if HEADER_CRIT in protected:
        crit = protected[HEADER_CRIT]
        if not isinstance(crit, list | tuple) or not crit:
            raise CoseError("crit must be a non-empty array")
        for label in crit:
            if label not in protected or label == HEADER_CRIT:
                raise CoseError(f"crit names a label absent from the protected header: {label!r}")
            if label not in UNDERSTOOD:
                raise CoseError(f"crit names a header kofu does not understand: {label!r}")


@dataclass(frozen=True)
class Sign1:
    """A parsed COSE_Sign1: what was signed, by which key id, and the signature."""

    protected: bytes
    unprotected: Mapping[Label, object]
    payload: bytes
    signature: bytes

    @property
    def kid(self) -> bytes | None:
        """The key id, from whichever bucket holds it (RFC 9052: never both)."""
        kid = protected_header(self.protected).get(HEADER_KID, self.unprotected.get(HEADER_KID))
        return kid if isinstance(kid, bytes) else None

    @property
    def alg(self) -> object:
        """The algorithm named in the protected header."""
        return protected_header(self.protected).get(HEADER_ALG)


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
    """Parse a (tagged or untagged) COSE_Sign1 strictly; raise CoseError when it is not one."""
    obj = strict_cbor(data, "COSE_Sign1")
    if isinstance(obj, cbor2.CBORTag):
        if obj.tag != COSE_SIGN1_TAG:
            raise CoseError(f"CBOR tag {obj.tag} is not COSE_Sign1")
        obj = obj.value
    if not (isinstance(obj, list | tuple) and len(obj) == 4):
        raise CoseError("COSE_Sign1 must be an array of four items")
    protected, unprotected, payload, signature = obj
    if not isinstance(protected, bytes):
        raise CoseError("COSE_Sign1 protected header is not a byte string")
    if not (isinstance(payload, bytes) and isinstance(signature, bytes)):
        raise CoseError(
            "COSE_Sign1 payload or signature is not a byte string (a detached payload is not read)"
        )
    unprotected_map = _header_map(unprotected, "unprotected header")
    _check_headers(protected_header(protected), unprotected_map)
    return Sign1(protected, unprotected_map, payload, signature)


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
