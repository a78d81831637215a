"""The center's signed word to a municipal server: who asks, for what, after which fresh authentication.

A municipal server answers a menu, a render or a filing only for a statement the center signed with its
statement key (Ed25519), naming the card, the session's authentication challenge and the request itself,
valid for a minute; a render or a filing is served once per statement. A stolen terminal certificate
cannot make one, and a replayed one renders nothing.

On the wire a statement is `Signed`: the exact bytes signed (JSON, base64url) and the signature. The
reader opens it with `StatementKeys.open`, which checks the signature before it parses anything.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import hashlib
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Generic, TypeVar, cast

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import AwareDatetime, Field, ValidationError

from kofu.rules.decision import Refused
from kofu.rules.reasons import Reason
from kofu.wire.common import Digest, SessionId, Strict
from kofu.wire.orders import RenderRequest
from kofu.wire.sessions import MenuQuery, RegistrationFiling

LIFETIME = timedelta(seconds=60)  # a statement is made for one call, and used at once
SKEW = timedelta(seconds=30)  # how far the municipal server's clock may run behind the center's
KEY_FILE = "statement.key.pem"
PUBLIC_FILE = "statement.pub.pem"

Base64Url = Annotated[str, Field(min_length=4, max_length=16384, pattern=r"^[A-Za-z0-9_-]+={0,2}$")]
KeyId = Annotated[str, Field(pattern=r"^[0-9a-f]{16}$")]
R = TypeVar("R", MenuQuery, RenderRequest, RegistrationFiling)


class Purpose(StrEnum):
    MENU = "menu"
    RENDER = "render"
    REGISTRATION = "registration"


PURPOSE: dict[type[Strict], Purpose] = {
    MenuQuery: Purpose.MENU,
    RenderRequest: Purpose.RENDER,
    RegistrationFiling: Purpose.REGISTRATION,
}


class Statement(Strict, Generic[R]):
    """What the center vouches for: this request, from this session's fresh authentication, until then."""

    statement_id: uuid.UUID
    purpose: Purpose
    session_id: SessionId
    challenge_digest: Digest  # SHA-256 of the challenge the card signed to open this session's sign-in
    issued_at: AwareDatetime
    expires_at: AwareDatetime
    request: R


class Signed(Strict):
    """A statement as it travels: the signed bytes and the center's signature over them."""

    key_id: KeyId
    statement: Base64Url
    signature: Base64Url


def key_id(public: Ed25519PublicKey) -> str:
    """A short name of a statement key: the first 8 bytes of the SHA-256 of its raw public key."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()


def _unb64(text: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(text.encode())
    except (binascii.Error, ValueError):
        return None


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class StatementSigner:
    """The center's statement key (its one writer of statements)."""

    key: Ed25519PrivateKey

    @property
    def key_id(self) -> str:
        return key_id(self.key.public_key())

    def sign(self, request: R, *, session_id: str, challenge: bytes, now: datetime | None = None) -> Signed:
        """A fresh statement for one call: a new ID every time, so a retry carries a new one."""
        at = now or _now()
        model: Any = Statement[type(request)]  # type: ignore[misc]
        statement = model(
            statement_id=uuid.uuid4(),
            purpose=PURPOSE[type(request)],
            session_id=session_id,
            challenge_digest=hashlib.sha256(challenge).hexdigest(),
            issued_at=at,
            expires_at=at + LIFETIME,
            request=request,
        )
        data = statement.model_dump_json().encode()
        return Signed(key_id=self.key_id, statement=_b64(data), signature=_b64(self.key.sign(data)))


@dataclass(frozen=True)
class StatementKeys:
    """The center's public statement keys a municipal server trusts (its one reader of statements)."""

    keys: dict[str, Ed25519PublicKey]

    def open(self, signed: Signed, kind: type[R], *, now: datetime | None = None) -> Statement[R] | Refused:
        """The statement, if the center signed it for this purpose and it is valid now; else why not."""
        key = self.keys.get(signed.key_id)
        data, signature = _unb64(signed.statement), _unb64(signed.signature)
        if key is None or data is None or signature is None:
            return Refused(Reason.STATEMENT_INVALID)
        try:
            key.verify(signature, data)
        except InvalidSignature:
            return Refused(Reason.STATEMENT_INVALID)
        model: Any = Statement[kind]  # type: ignore[valid-type]
        try:
            statement = cast(Statement[R], model.model_validate_json(data))
        except ValidationError:
            return Refused(Reason.STATEMENT_INVALID)
        at = now or _now()
        if statement.purpose is not PURPOSE[kind] or not (
            statement.issued_at - SKEW <= at <= statement.expires_at
        ):
            return Refused(Reason.STATEMENT_INVALID)
        return statement


# --- key files ------------------------------------------------------------------------------------------


def center_key_path(home: Path) -> Path:
    """Where the center keeps its statement key under a kofu home (its public key beside it)."""
    return home / "keys" / "center" / KEY_FILE


def signing_key(path: Path) -> StatementSigner:
    """The center's statement key at `path`, made on first use (0600), its public key beside it."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(path.parent / ".statement.lock", "a") as lock:  # one maker at a time across workers
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.exists():
            key = Ed25519PrivateKey.generate()
            pem = key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            _write(path, pem, 0o600)
            _write(path.with_name(PUBLIC_FILE), public_pem(key.public_key()), 0o644)
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return StatementSigner(loaded)


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def trusted_keys(*paths: Path) -> StatementKeys:
    """The center's public statement keys from PEM files (more than one while a key is rolled over)."""
    keys: dict[str, Ed25519PublicKey] = {}
    for path in paths:
        if not path.exists():
            raise FileNotFoundError(
                f"no center statement key at {path}: copy the center's {PUBLIC_FILE} there "
                "(`kofu center statement-key` prints it)"
            )
        loaded = serialization.load_pem_public_key(path.read_bytes())
        if not isinstance(loaded, Ed25519PublicKey):
            raise ValueError(f"{path} is not an Ed25519 public key")
        keys[key_id(loaded)] = loaded
    return StatementKeys(keys)


def _write(path: Path, data: bytes, mode: int) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)
