"""One audit entry and its link in the chain: pure values and hashing, no I/O.

`hash = SHA-256(prev_hash ‖ canonical JSON of the entry)`, or HMAC-SHA-256 under the home's audit key
when the log is keyed, so that someone who can edit the database cannot recompute the chain.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime

GENESIS = "0" * 64  # the prev_hash of entry 1
ALLOWED = "allowed"

# An identifier that may be kept verbatim; anything else is kept only as a digest (SEC-4).
_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@/+=-]{0,95}")
_ACTION = re.compile(r"[a-z][a-z0-9_.]{0,47}")
_OUTCOME = re.compile(r"[a-z][a-z0-9_]{0,63}")
_HEX = re.compile(r"[0-9a-f]{64}")
_PERSON = re.compile(r"[0-9]{6}-[0-9]{7}")  # municipality code - number (kofu.registry)


def token(value: str) -> str:
    """`value` if a plain identifier, else `h:` and its SHA-256 prefix: free text never lands verbatim."""
    return value if _SAFE.fullmatch(value) else digest(value)


def digest(value: str) -> str:
    """`h:` and the SHA-256 prefix of `value`: traceable by whoever knows the value, readable by no one."""
    return "h:" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def tagged(kind: str, value: str | int) -> str:
    """`kind:value` with `value` made safe; an int is written in hex (certificate serials)."""
    return f"{kind}:{format(value, 'x') if isinstance(value, int) else token(value)}"


def subject(
    *,
    order: object | None = None,
    serial: int | None = None,
    person: str | None = None,
    session: str | None = None,
    check: int | None = None,
    staff: str | None = None,
) -> str:
    """The subject of a decision: order id, certificate serial (hex), person id..., space-separated."""
    parts: list[str] = []
    if order is not None:
        parts.append(tagged("order", str(order)))
    if serial is not None:
        parts.append(tagged("serial", serial))
    if person is not None:
        parts.append("person:" + (person if _PERSON.fullmatch(person) else digest(person)))
    if session is not None:
        parts.append(tagged("session", session))
    if check is not None:
        parts.append(f"check:{int(check)}")
    if staff is not None:
        parts.append(tagged("staff", staff))
    return " ".join(parts)


def utc_text(moment: datetime) -> str:
    """The instant as fixed-width ISO 8601 UTC text (a naive datetime is taken as UTC)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class AuditEvent:
    """What a caller records: who decided what about whom, and the outcome (allowed or a reason code)."""

    actor: str
    action: str
    subject: str
    outcome: str

    def __post_init__(self) -> None:
        if not _ACTION.fullmatch(self.action):
            raise ValueError(f"audit action must be lower_snake words with dots: {self.action!r}")
        if not _OUTCOME.fullmatch(self.outcome):
            raise ValueError(f"audit outcome must be 'allowed' or a reason code: {self.outcome!r}")
        for part in (self.actor, *self.subject.split()):
            if not _SAFE.fullmatch(part):
                raise ValueError("audit actor and subject must be built with tagged()/subject()")


@dataclass(frozen=True)
class AuditEntry:
    """An entry as stored: its place in the chain, its time, the event, and the two hashes."""

    seq: int
    at: str
    actor: str
    action: str
    subject: str
    outcome: str
    prev_hash: str
    hash: str

    def body(self, seq: int | None = None) -> bytes:
        """The canonical JSON that is hashed (optionally as if the entry stood at `seq`)."""
        fields = {
            "seq": self.seq if seq is None else seq,
            "at": self.at,
            "actor": self.actor,
            "action": self.action,
            "subject": self.subject,
            "outcome": self.outcome,
        }
        return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def link(prev_hash: str, body: bytes, key: bytes | None) -> str:
    """The hash of an entry: SHA-256 (or HMAC-SHA-256 under `key`) of prev_hash's bytes then the body."""
    if not _HEX.fullmatch(prev_hash):
        return ""  # a damaged prev_hash can match no stored hash
    data = bytes.fromhex(prev_hash) + body
    if key is None:
        return hashlib.sha256(data).hexdigest()
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def chained(seq: int, at: str, event: AuditEvent, prev_hash: str, key: bytes | None) -> AuditEntry:
    """The entry `event` becomes at `seq` after `prev_hash`."""
    draft = AuditEntry(seq, at, event.actor, event.action, event.subject, event.outcome, prev_hash, "")
    return AuditEntry(**{**draft.__dict__, "hash": link(prev_hash, draft.body(), key)})
