"""Content ⇄ canonical CBOR: the bytes that are digested, signed and sealed.

The digest on the back of a certificate is SHA-256 over `encode(content)`; canonical CBOR (RFC 8949
§4.2.1) makes the encoding of equal content byte-for-byte equal.
"""

from __future__ import annotations

import dataclasses
import hashlib
import types
import typing
from collections.abc import Mapping
from datetime import date
from enum import Enum
from functools import cache
from typing import Any

import cbor2

from kofu.documents.content import CONTENT_TYPES, Content
from kofu.rules.kinds import Kind


class CodecError(ValueError):
    """CBOR that does not describe a certificate's content."""


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def plain(content: Content) -> dict[str, Any]:
    """The content as plain JSON-ready values (dates as ISO text; images as base64)."""
    import base64

    def jsonable(v: Any) -> Any:
        if isinstance(v, bytes):
            return base64.b64encode(v).decode()
        if isinstance(v, dict):
            return {k: jsonable(x) for k, x in v.items()}
        if isinstance(v, list):
            return [jsonable(x) for x in v]
        return v

    result: dict[str, Any] = jsonable(_plain(content))
    return result


def encode(content: Content) -> bytes:
    """The canonical CBOR encoding of `content`."""
    return cbor2.dumps(_plain(content), canonical=True)


def digest(content: Content) -> bytes:
    """SHA-256 over the canonical encoding: what the signed code certifies."""
    return hash_bytes(encode(content))


def hash_bytes(encoded: bytes) -> bytes:
    """SHA-256 of an already encoded content."""
    return hashlib.sha256(encoded).digest()


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


@cache
def _fields(cls: type) -> tuple[frozenset[str], frozenset[str]]:
    """The fields of a content dataclass, and those of them with a default."""
    fields = dataclasses.fields(cls)
    defaulted = {
        f.name
        for f in fields
        if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
    }
    return frozenset(f.name for f in fields), frozenset(defaulted)


def _build(tp: Any, raw: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        if raw is None:
            return None
        (inner,) = [a for a in typing.get_args(tp) if a is not type(None)]
        return _build(inner, raw)
    if origin is tuple:
        inner = typing.get_args(tp)[0]
        if not isinstance(raw, list | tuple):
            raise CodecError(f"expected a list for {tp}")
        return tuple(_build(inner, v) for v in raw)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if not isinstance(raw, Mapping):
            raise CodecError(f"expected a map for {tp.__name__}")
        hints = _hints(tp)
        names, optional = _fields(tp)
        if not set(raw) <= names or not names - optional <= set(raw):
            raise CodecError(f"fields of {tp.__name__} do not match")
        # a field with a default may be absent: the paper was sealed before that field existed
        return tp(**{name: _build(hints[name], raw[name]) for name in names if name in raw})
    if tp is date:
        return date.fromisoformat(raw)
    if isinstance(tp, type) and issubclass(tp, Enum):
        return tp(raw)
    if tp is float and isinstance(raw, int | float):
        return float(raw)
    if not isinstance(raw, tp) or (tp is int and isinstance(raw, bool)):
        raise CodecError(f"expected {tp}, got {type(raw).__name__}")
    return raw


def decode(data: bytes) -> Content:
    """Rebuild content from its canonical encoding; raise CodecError on anything else."""
    try:
        raw = cbor2.loads(data)
        kind = Kind(raw["header"]["kind"])
        return typing.cast(Content, _build(CONTENT_TYPES[kind], raw))
    except CodecError:
        raise
    except Exception as exc:
        raise CodecError(f"not certificate content: {type(exc).__name__}: {exc}") from None
