"""Public keys the parties hand each other: a municipality's published key set, the verifier's public key.

A municipal server publishes its set (`kofu documents keys export`, `GET /.well-known/kofu/keys`); the
verification service trusts the sets it is given and nothing else. A set is JSON, in the manner of a
JWKS, one entry per municipality (several for one code while a key is being replaced):

    {"kofu_keyset": 1, "keys": [{
        "municipality_code": "044245", "municipality_name": "大衡村",
        "ca_certificate": "<base64 DER>", "signer_certificate": "<base64 DER>",
        "cose": {"kty": "EC", "crv": "P-256", "alg": "ES256", "kid": "<base64url>", "x": "…", "y": "…"},
        "not_before": "<ISO 8601>", "not_after": "<ISO 8601>"}]}

`not_before`/`not_after` are the signer certificate's validity. The municipal server is given the
verification service's public key as a PEM file (`keys/verify/verifier.pub.pem` by default). Nothing in
this module can hold a private key: the verification service reads keys through it only.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from kofu.documents.cose import key_id
from kofu.rules.lgcode import is_valid_code

FORMAT = 1
MAX_SET_BYTES = 1024 * 1024  # a set is a few KB a municipality; an operator's file, still bounded
_ENTRY = {
    "municipality_code",
    "municipality_name",
    "ca_certificate",
    "signer_certificate",
    "cose",
    "not_before",
    "not_after",
}
_COSE = {"kty", "crv", "alg", "kid", "x", "y"}
_COORD = 32  # P-256


class KeySetError(ValueError):
    """A key set (or a public key file) that cannot be trusted as it is: the message says where and why."""


def published_dir(home: Path) -> Path:
    """Where a verification service finds the key sets it trusts, unless told otherwise."""
    return home / "keys" / "published"


def verifier_dir(home: Path) -> Path:
    """The verification service's own key pair (`verifier.key.pem`, `verifier.pub.pem`)."""
    return home / "keys" / "verify"


def verifier_public_path(home: Path) -> Path:
    """Where a municipal server finds the verifier's public key, unless told otherwise."""
    return verifier_dir(home) / "verifier.pub.pem"


def asn1_cert(cert: object) -> asn1_x509.Certificate:
    """A cryptography certificate as asn1crypto's, which pyHanko uses."""
    assert isinstance(cert, x509.Certificate)
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class PublishedKeys:
    """One municipality's public document keys: what a verifier needs to trust its seal and its code."""

    code: str
    name: str
    ca_cert: x509.Certificate
    signer_cert: x509.Certificate
    cose_public: ec.EllipticCurvePublicKey
    cose_kid: bytes

    @property
    def not_before(self) -> dt.datetime:
        return self.signer_cert.not_valid_before_utc

    @property
    def not_after(self) -> dt.datetime:
        return self.signer_cert.not_valid_after_utc

    def to_json(self) -> dict[str, Any]:
        numbers = self.cose_public.public_numbers()
        der = serialization.Encoding.DER
        return {
            "municipality_code": self.code,
            "municipality_name": self.name,
            "ca_certificate": base64.b64encode(self.ca_cert.public_bytes(der)).decode("ascii"),
            "signer_certificate": base64.b64encode(self.signer_cert.public_bytes(der)).decode("ascii"),
            "cose": {
                "kty": "EC",
                "crv": "P-256",
                "alg": "ES256",
                "kid": _b64url(self.cose_kid),
                "x": _b64url(numbers.x.to_bytes(_COORD, "big")),
                "y": _b64url(numbers.y.to_bytes(_COORD, "big")),
            },
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(),
        }

    @classmethod
    def from_json(cls, entry: object) -> PublishedKeys:
        """An entry of a set, checked: certificates chain, the kid is the key's, nothing unknown."""
        fields = _table(entry, _ENTRY, "entry")
        code = _text(fields, "municipality_code")
        if not is_valid_code(code):
            raise KeySetError(f"municipality_code {code!r} is not a local government code")
        ca = _certificate(fields, "ca_certificate")
        signer = _certificate(fields, "signer_certificate")
        _check_chain(ca, signer)
        cose_public, kid = _cose_key(fields["cose"])
        keys = cls(code, _text(fields, "municipality_name"), ca, signer, cose_public, kid)
        if (_text(fields, "not_before"), _text(fields, "not_after")) != (
            keys.not_before.isoformat(),
            keys.not_after.isoformat(),
        ):
            raise KeySetError("not_before/not_after differ from the signer certificate's validity")
        return keys


def _table(value: object, known: set[str], what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise KeySetError(f"{what} must be an object")
    missing, unknown = known - set(value), set(value) - known
    if missing or unknown:
        raise KeySetError(f"{what}: missing {sorted(missing)}, unknown {sorted(unknown)}")
    return value


def _text(fields: dict[str, Any], key: str) -> str:
    value = fields[key]
    if not isinstance(value, str) or not value:
        raise KeySetError(f"{key} must be a non-empty string")
    return value


def _certificate(fields: dict[str, Any], key: str) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(base64.b64decode(_text(fields, key), validate=True))
    except (ValueError, binascii.Error) as exc:
        raise KeySetError(f"{key} is not a base64 DER certificate") from exc


def _check_chain(ca: x509.Certificate, signer: x509.Certificate) -> None:
    try:
        constraints = ca.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        constraints = None
    if constraints is None or not constraints.ca:
        raise KeySetError("ca_certificate is not a CA certificate")
    try:
        signer.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature) as exc:
        raise KeySetError("signer_certificate is not issued by ca_certificate") from exc


def _cose_key(value: object) -> tuple[ec.EllipticCurvePublicKey, bytes]:
    fields = _table(value, _COSE, "cose")
    if (fields["kty"], fields["crv"], fields["alg"]) != ("EC", "P-256", "ES256"):
        raise KeySetError("cose: only kty EC, crv P-256, alg ES256")
    try:
        x, y, kid = (_unb64url(_text(fields, k)) for k in ("x", "y", "kid"))
    except (ValueError, binascii.Error) as exc:
        raise KeySetError("cose: x, y and kid must be base64url") from exc
    if len(x) != _COORD or len(y) != _COORD:
        raise KeySetError("cose: x and y must be 32 bytes each")
    try:
        public = ec.EllipticCurvePublicNumbers(
            int.from_bytes(x, "big"), int.from_bytes(y, "big"), ec.SECP256R1()
        ).public_key()
    except ValueError as exc:
        raise KeySetError("cose: the point is not on P-256") from exc
    if kid != key_id(public):
        raise KeySetError("cose: kid is not the key id of x, y")
    return public, kid


def keyset_document(keys: Iterable[PublishedKeys]) -> dict[str, Any]:
    """The JSON document of a set."""
    return {"kofu_keyset": FORMAT, "keys": [k.to_json() for k in keys]}


def write_keyset(path: Path, keys: Iterable[PublishedKeys]) -> None:
    """Write a set (public: readable by others), replacing the file at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(keyset_document(keys), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


def parse_keyset(data: bytes) -> list[PublishedKeys]:
    """The entries of a set's JSON bytes."""
    if len(data) > MAX_SET_BYTES:
        raise KeySetError(f"more than {MAX_SET_BYTES} bytes")
    try:
        document = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise KeySetError("not JSON") from exc
    if not isinstance(document, dict) or set(document) != {"kofu_keyset", "keys"}:
        raise KeySetError('a set is {"kofu_keyset": 1, "keys": [...]}')
    if document["kofu_keyset"] != FORMAT or not isinstance(document["keys"], list):
        raise KeySetError(f"kofu_keyset must be {FORMAT} and keys a list")
    found: list[PublishedKeys] = []
    for n, entry in enumerate(document["keys"]):
        try:
            found.append(PublishedKeys.from_json(entry))
        except KeySetError as exc:
            raise KeySetError(f"keys[{n}]: {exc}") from None
    return found


def read_keyset(path: Path) -> list[PublishedKeys]:
    """Every entry of a set file, or of each `*.json` file of a folder; nothing if `path` is absent."""
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix == ".json" and p.is_file())
    elif path.exists():
        files = [path]
    else:
        return []
    found: dict[bytes, PublishedKeys] = {}
    for file in files:
        try:
            with file.open("rb") as fh:
                entries = parse_keyset(fh.read(MAX_SET_BYTES + 1))
        except (OSError, KeySetError) as exc:
            raise KeySetError(f"{file}: {exc}") from None
        for entry in entries:
            seen = found.setdefault(entry.cose_kid, entry)
            if seen.code != entry.code:
                raise KeySetError(f"{file}: one COSE key for {seen.code} and {entry.code}")
    return list(found.values())


def load_verifier_public(path: Path) -> ec.EllipticCurvePublicKey:
    """The verification service's public key from a PEM file given to a municipal server."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise KeySetError(
            f"no verification service public key at {path}: run `kofu documents keys verifier` where the "
            "verification service runs and copy its keys/verify/verifier.pub.pem here, or set "
            "[municipal] verifier_public_key"
        ) from None
    if b"PRIVATE KEY" in data:
        raise KeySetError(f"{path} holds a private key: give the municipal server the public key only")
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError as exc:
        raise KeySetError(f"{path} is not a PEM public key") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise KeySetError(f"{path} is not a P-256 public key")
    return key
