"""The virtual card's file: keys, certificates, hashed secrets and retry counters (TEST KEYS ONLY).

The retry counters are part of the file so that PIN-1 survives power-off and process restarts. The
file is JSON, owner-only, written atomically (temp file, fsync, rename), and carries a SHA-256 checksum
over its content so that a damaged or hand-edited file is refused rather than half-used.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import functools
import hashlib
import json
import os
import stat
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from kofu.card import constants as c
from kofu.card.secrets_hash import SecretHash
from kofu.rules.pin import is_valid_pin, is_valid_sign_password

FORMAT = "kofu-virtual-jpki-card/1"
WARNING = (
    "TEST KEYS ONLY: a kofu virtual JPKI card for testing and demonstration; "
    "not a My Number card, never use these keys for anything real"
)
CardKind = Literal["card", "phone"]
__all__ = [
    "CardFile",
    "CardFileError",
    "CardKind",
    "Credential",
    "card_lock",
    "is_valid_pin",
    "is_valid_sign_password",
    "new_card_file",
    "read_card_file",
    "write_card_file",
]


class CardFileError(Exception):
    """A card file that cannot be used (malformed, tampered, unreadable); the message says why."""


@dataclass(frozen=True, eq=False)
class Credential:
    """One key pair of the card with its certificate and the certificate of the CA that issued it."""

    key: rsa.RSAPrivateKey
    cert_der: bytes
    ca_cert_der: bytes

    @property
    def certificate(self) -> x509.Certificate:
        return x509.load_der_x509_certificate(self.cert_der)

    @property
    def serial(self) -> int:
        return self.certificate.serial_number


@dataclass(frozen=True, eq=False)
class CardFile:
    """Everything the card holds; the retry counters change only through the applet (PIN-1, PIN-2)."""

    kind: CardKind
    auth: Credential
    sign: Credential
    pin_hash: SecretHash
    pin_tries_left: int
    sign_password_hash: SecretHash
    sign_tries_left: int
    management_key: bytes
    biometric_template: bytes | None = None

    @property
    def auth_serial(self) -> int:
        return self.auth.serial

    @property
    def sign_serial(self) -> int:
        return self.sign.serial

    def state(self) -> tuple[object, ...]:
        """What the applet may change: counters and secrets (compared to decide whether to persist)."""
        return (self.pin_hash, self.pin_tries_left, self.sign_password_hash, self.sign_tries_left)


def new_card_file(
    *,
    kind: CardKind,
    auth: Credential,
    sign: Credential,
    pin: str,
    sign_password: str,
    management_key: bytes,
    biometric_template: bytes | None = None,
) -> CardFile:
    """A fresh card with full retry counters; refuses bad secrets or mismatched keys (CardFileError)."""
    if not is_valid_pin(pin):
        raise CardFileError("the PIN must be 4 digits")
    if not is_valid_sign_password(sign_password):
        raise CardFileError("the signing password must be 6-16 characters of A-Z and 0-9")
    card = CardFile(
        kind=kind,
        auth=auth,
        sign=sign,
        pin_hash=SecretHash.of_pin(pin),
        pin_tries_left=c.PIN_MAX_TRIES,
        sign_password_hash=SecretHash.of(sign_password),
        sign_tries_left=c.SIGN_PASSWORD_MAX_TRIES,
        management_key=management_key,
        biometric_template=biometric_template,
    )
    _check(card)
    return card


def write_card_file(path: Path, card: CardFile) -> None:
    """Write atomically and owner-only (0600): temp file in the same folder, fsync, rename, fsync folder."""
    write_card_bytes(path, encode_card_file(card))


def encode_card_file(card: CardFile) -> bytes:
    """The file's bytes: JSON with the TEST KEYS ONLY warning first and a checksum last."""
    _check(card)
    body = _to_json(card)
    body["checksum"] = content_checksum(body)
    return (json.dumps(body, indent=1, ensure_ascii=False) + "\n").encode()


def write_card_bytes(path: Path, raw: bytes) -> None:
    """Atomic, durable, owner-only write of encoded card bytes."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        view = memoryview(raw)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def read_card_file(path: Path) -> CardFile:
    """Read and check a card file; anything malformed or tampered raises CardFileError."""
    return parse_card_file(read_card_bytes(path), path)


def read_card_bytes(path: Path) -> bytes:
    """The raw file, refused unless owner-only."""
    path = Path(path)
    try:
        mode = path.stat().st_mode
        raw = path.read_bytes()
    except OSError as exc:
        raise CardFileError(f"cannot read card file {path}: {exc.strerror}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise CardFileError(f"card file {path} is readable by others; it must be owner-only (chmod 600)")
    return raw


_CHECKED: OrderedDict[bytes, CardFile] = OrderedDict()  # the same bytes are the same card: parsed once
_CHECKED_MAX = 64
_CHECKED_LOCK = threading.Lock()


def parse_card_file(raw: bytes, path: Path) -> CardFile:
    """Parse and check a card file's bytes (`path` only names it in messages).

    A kiosk reads the card at every step; bytes already checked give the card already made from them.
    """
    with _CHECKED_LOCK:
        known = _CHECKED.get(raw)
    if known is not None:
        return known
    card = _parse(raw, path)
    with _CHECKED_LOCK:
        _CHECKED[raw] = card
        if len(_CHECKED) > _CHECKED_MAX:
            _CHECKED.popitem(last=False)
    return card


def _parse(raw: bytes, path: Path) -> CardFile:
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CardFileError(f"card file {path} is not valid JSON: {exc}") from None
    except RecursionError:  # nesting deeper than any card file has: refused, not a traceback
        raise CardFileError(f"card file {path} is not valid JSON: nested too deeply") from None
    if not isinstance(body, dict):
        raise CardFileError(f"card file {path} is not a JSON object")
    if body.get("format") != FORMAT:
        raise CardFileError(f"card file {path} is not a {FORMAT} file")
    stored = body.pop("checksum", None)
    if stored != content_checksum(body):
        raise CardFileError(f"card file {path} fails its checksum: it was damaged or edited")
    try:
        card = _from_json(body)
    except (KeyError, TypeError, ValueError) as exc:
        raise CardFileError(f"card file {path} is malformed: {exc!r}") from None
    _check(card)
    return card


@contextlib.contextmanager
def card_lock(path: Path) -> Iterator[None]:
    """Exclusive lock on a card (a sidecar `.lock` file, since writes replace the card file itself)."""
    path = Path(path)
    lock_path = path.with_name(path.name + ".lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _check(card: CardFile) -> None:
    if card.kind not in ("card", "phone"):
        raise CardFileError(f"unknown card kind {card.kind!r}")
    if not 0 <= card.pin_tries_left <= c.PIN_MAX_TRIES:
        raise CardFileError(f"PIN retry counter {card.pin_tries_left} is out of range 0-{c.PIN_MAX_TRIES}")
    if not 0 <= card.sign_tries_left <= c.SIGN_PASSWORD_MAX_TRIES:
        raise CardFileError(
            f"signing password retry counter {card.sign_tries_left} is out of range "
            f"0-{c.SIGN_PASSWORD_MAX_TRIES}"
        )
    if len(card.management_key) < 16:
        raise CardFileError("the card-management key must be at least 16 bytes")
    if card.kind == "phone" and not card.biometric_template:
        raise CardFileError("a phone credential needs a biometric template")
    for label, cred in (("user-authentication", card.auth), ("signing", card.sign)):
        if not isinstance(cred.key, rsa.RSAPrivateKey) or cred.key.key_size != 2048:
            raise CardFileError(f"the {label} key must be RSA-2048")
        try:
            cert = x509.load_der_x509_certificate(cred.cert_der)
            x509.load_der_x509_certificate(cred.ca_cert_der)
        except ValueError:
            raise CardFileError(f"the {label} certificate or its CA certificate is not valid DER") from None
        if cert.public_key() != cred.key.public_key():
            raise CardFileError(f"the {label} certificate does not match the {label} key")
        if len(cred.cert_der) > 0xFFFF or len(cred.ca_cert_der) > 0xFFFF:
            raise CardFileError(f"the {label} certificates are too large for the card")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: object) -> bytes:
    if not isinstance(text, str):
        raise TypeError("expected a base64 string")
    return base64.b64decode(text, validate=True)


def _int(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("expected an integer")
    return value


def _credential_json(cred: Credential) -> dict[str, str]:
    pkcs8 = cred.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return {"key_pkcs8": pkcs8.decode(), "cert": _b64(cred.cert_der), "ca_cert": _b64(cred.ca_cert_der)}


def _credential(body: dict[str, Any]) -> Credential:
    key_pem = body["key_pkcs8"]
    if not isinstance(key_pem, str):
        raise TypeError("key_pkcs8 must be a PEM string")
    return Credential(_load_key(key_pem), _unb64(body["cert"]), _unb64(body["ca_cert"]))


@functools.lru_cache(maxsize=256)
def _load_key(key_pem: str) -> rsa.RSAPrivateKey:
    # A card's keys never change, its counters do. The full RSA consistency check (~36 ms a key) is
    # skipped: the card writer made and checked these keys, the checksum refuses a damaged file, and a
    # forged key could only make its own card's signatures fail at the center.
    key = serialization.load_pem_private_key(
        key_pem.encode(), password=None, unsafe_skip_rsa_key_validation=True
    )
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the key is not an RSA key")
    return key


def _hash_json(h: SecretHash, tries_left: int) -> dict[str, Any]:
    return {
        "scrypt": {"salt": _b64(h.salt), "hash": _b64(h.digest), "n": h.n, "r": h.r, "p": h.p},
        "tries_left": tries_left,
    }


def _hash(body: dict[str, Any]) -> tuple[SecretHash, int]:
    s = body["scrypt"]
    n, r, p = _int(s["n"]), _int(s["r"]), _int(s["p"])
    if not (2**10 <= n <= 2**20 and n & (n - 1) == 0 and 1 <= r <= 32 and 1 <= p <= 16):
        raise ValueError("scrypt parameters out of range")
    return SecretHash(_unb64(s["salt"]), _unb64(s["hash"]), n, r, p), _int(body["tries_left"])


def _to_json(card: CardFile) -> dict[str, Any]:
    template = card.biometric_template
    return {
        "warning": WARNING,
        "format": FORMAT,
        "kind": card.kind,
        "auth": _credential_json(card.auth),
        "sign": _credential_json(card.sign),
        "pin": _hash_json(card.pin_hash, card.pin_tries_left),
        "sign_password": _hash_json(card.sign_password_hash, card.sign_tries_left),
        "management_key": _b64(card.management_key),
        "biometric_template": None if template is None else _b64(template),
    }


def _from_json(body: dict[str, Any]) -> CardFile:
    if body.get("warning") != WARNING:
        raise ValueError("the TEST KEYS ONLY warning is missing")
    kind = body["kind"]
    if kind not in ("card", "phone"):
        raise ValueError(f"unknown kind {kind!r}")
    pin_hash, pin_tries = _hash(body["pin"])
    sign_hash, sign_tries = _hash(body["sign_password"])
    template = body["biometric_template"]
    return CardFile(
        kind=cast(CardKind, kind),
        auth=_credential(body["auth"]),
        sign=_credential(body["sign"]),
        pin_hash=pin_hash,
        pin_tries_left=pin_tries,
        sign_password_hash=sign_hash,
        sign_tries_left=sign_tries,
        management_key=_unb64(body["management_key"]),
        biometric_template=None if template is None else _unb64(template),
    )


def content_checksum(body: dict[str, Any]) -> str:
    """SHA-256 over the canonical JSON of everything but the checksum field."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
