"""One audit entry and its link in the chain: pure values and hashing, no I/O.

`hash = SHA-256(prev_hash ‖ canonical JSON of the entry)`, or HMAC-SHA-256 under the home's audit key
when the log is keyed, so that someone who can edit the database cannot recompute the chain. In a keyed
log each entry also names the worker that recorded it and that worker's counter, and each recorded row
carries its worker's MAC (`row_mac`) until it is chained.
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
    municipality: str | None = None,
    document: str | None = None,
    events: int | None = None,
    problems: int | None = None,
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
    if municipality is not None:
        parts.append(tagged("municipality", municipality))
    if document is not None:
        parts.append(tagged("document", document))
    if events is not None:  # how many events of a change file were read (never what they said)
        parts.append(f"events:{int(events)}")
    if problems is not None:
        parts.append(f"problems:{int(problems)}")
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
    worker: str | None = None  # keyed logs: the worker that recorded it (or the chainer that wrote it)
    counter: int | None = None  # keyed logs: that worker's number for the row (None: written by a chainer)

    def body(self, seq: int | None = None) -> bytes:
        """The canonical JSON that is hashed (optionally as if the entry stood at `seq`)."""
        fields: dict[str, object] = {
            "seq": self.seq if seq is None else seq,
            "at": self.at,
            "actor": self.actor,
            "action": self.action,
            "subject": self.subject,
            "outcome": self.outcome,
        }
        if self.worker is not None:  # entries of unkeyed logs hash as they always did
            fields["worker"] = self.worker
            fields["counter"] = self.counter
        return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def link(prev_hash: str, body: bytes, key: bytes | None) -> str:
    """The hash of an entry: SHA-256 (or HMAC-SHA-256 under `key`) of prev_hash's bytes then the body."""
    if not _HEX.fullmatch(prev_hash):
        return ""  # a damaged prev_hash can match no stored hash
    data = bytes.fromhex(prev_hash) + body
    if key is None:
        return hashlib.sha256(data).hexdigest()
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def chained(
    seq: int,
    at: str,
    event: AuditEvent,
    prev_hash: str,
    key: bytes | None,
    worker: str | None = None,
    counter: int | None = None,
) -> AuditEntry:
    """The entry `event` becomes at `seq` after `prev_hash`."""
    draft = AuditEntry(
        seq, at, event.actor, event.action, event.subject, event.outcome, prev_hash, "", worker, counter
    )
    return AuditEntry(**{**draft.__dict__, "hash": link(prev_hash, draft.body(), key)})


_RECORD_LABEL = b"kofu.audit.record/1"


def record_key(chain_key: bytes) -> bytes:
    """The key that authenticates recorded rows, derived from the chain key (one file to keep)."""
    return hmac.new(chain_key, _RECORD_LABEL, hashlib.sha256).digest()


def row_mac(key: bytes, worker: str, counter: int, at: str, event: AuditEvent) -> str:
    """A worker's MAC of a row it records: every field, so no field can be changed nor the row made up."""
    fields = (worker, str(counter), at, event.actor, event.action, event.subject, event.outcome)
    return hmac.digest(key, "\x1f".join(fields).encode(), "sha256").hex()


def head_message(seq: int, hash_: str, at: str | None) -> bytes:
    """What the head's signature covers: the last entry's seq, hash and time."""
    return f"kofu.audit.head/1\x1f{seq}\x1f{hash_}\x1f{at or ''}".encode()


@dataclass(frozen=True)
class PendingRow:
    """A recorded row not chained yet, as `kofu audit verify` checks it."""

    id: int
    at: str
    event: AuditEvent | None  # None: fields no worker could have recorded
    worker: str | None
    counter: int | None
    mac: str | None

    def authentic(self, key: bytes | None) -> bool:
        """Whether a worker holding the chain key `key` recorded exactly this row."""
        if key is None or self.event is None or self.worker is None or self.counter is None:
            return False
        expected = row_mac(record_key(key), self.worker, self.counter, self.at, self.event)
        return self.mac is not None and hmac.compare_digest(expected, self.mac)
