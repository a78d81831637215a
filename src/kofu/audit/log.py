"""Appending to the audit chain, inside the caller's transaction, safely from many worker processes.

An append first updates the single chain-head row (`seq = seq + 1`): on PostgreSQL that takes the row's
lock until commit, on SQLite the database's write lock, so appends are serialised and the chain never
forks; the unique prev_hash is a second guard. Because the entry is written in the transaction of the
decision, the entry exists exactly when the decision was committed.

Wiring: `attach_audit(factory, AuditLog(key))` makes every session of `factory` record; code that decides
calls `record(session, ...)`, which does nothing when no log is attached.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from kofu.audit.entry import ALLOWED, AuditEntry, AuditEvent, chained, utc_text
from kofu.audit.models import HEAD_ID, AuditHead, AuditRecord
from kofu.audit.verifier import Head

INFO_KEY = "kofu.audit"


class AuditError(RuntimeError):
    """The audit log cannot append (no audit tables, or a key setting other than the chain's)."""


@dataclass(frozen=True)
class AuditLog:
    """Appends events to the chain in the database of the session given; `key` makes it HMAC-chained."""

    key: bytes | None = None

    def append(self, session: Session, event: AuditEvent, now: datetime) -> AuditEntry:
        """Append `event` at `now` in `session`'s transaction; the head row stays locked until commit."""
        # Core statements on the tables: the ORM's bulk-update bookkeeping cost more than the SQL here
        head, records = cast(Table, AuditHead.__table__), cast(Table, AuditRecord.__table__)
        conn = session.connection()
        row = conn.execute(
            update(head)
            .where(head.c.id == HEAD_ID)
            .values(seq=head.c.seq + 1)
            .returning(head.c.seq, head.c.hash, head.c.keyed)
        ).one_or_none()
        if row is None:
            raise AuditError("no audit chain head: run the audit migration (kofu.audit.schema)")
        seq, prev_hash, keyed = row
        if keyed is not None and keyed != (self.key is not None):
            state = "keyed: this process has no key" if keyed else "not keyed"
            raise AuditError(f"the audit chain is {state}")
        entry = chained(seq, utc_text(now), event, prev_hash, self.key)
        conn.execute(insert(records).values(**entry.__dict__))
        conn.execute(
            update(head).where(head.c.id == HEAD_ID).values(hash=entry.hash, keyed=self.key is not None)
        )
        return entry


def attach_audit(factory: sessionmaker[Session], log: AuditLog) -> sessionmaker[Session]:
    """Make every session of `factory` record decisions to `log` (returns `factory`)."""
    info = dict(factory.kw.get("info") or {})
    info[INFO_KEY] = log
    factory.configure(info=info)
    return factory


def attached(factory: sessionmaker[Session]) -> AuditLog | None:
    """The audit log attached to `factory`, if any."""
    log = (factory.kw.get("info") or {}).get(INFO_KEY)
    return log if isinstance(log, AuditLog) else None


def audit_of(session: Session) -> AuditLog | None:
    """The audit log attached to `session`'s factory, if any."""
    log = session.info.get(INFO_KEY)
    return log if isinstance(log, AuditLog) else None


def outcome_of(result: object) -> str:
    """`allowed`, or the reason code of a refusal (anything with a `.code`)."""
    code = getattr(result, "code", None)
    return code if isinstance(code, str) else ALLOWED


def record(
    session: Session, *, actor: str, action: str, subject: str, result: object, now: datetime
) -> AuditEntry | None:
    """Append a decision when `session`'s factory has an audit log; no-op otherwise."""
    log = audit_of(session)
    if log is None:
        return None
    return log.append(session, AuditEvent(actor, action, subject, outcome_of(result)), now)


def audit_decision(
    factory: sessionmaker[Session], *, actor: str, action: str, subject: str, result: object, now: datetime
) -> AuditEntry | None:
    """Append a decision that had no transaction of its own, in a new one; no-op without an attached log."""
    if attached(factory) is None:
        return None
    with factory() as session, session.begin():
        return record(session, actor=actor, action=action, subject=subject, result=result, now=now)


def _entry(r: AuditRecord) -> AuditEntry:
    return AuditEntry(r.seq, r.at, r.actor, r.action, r.subject, r.outcome, r.prev_hash, r.hash)


def _head(session: Session) -> Head | None:
    query = select(AuditHead.seq, AuditHead.hash, AuditHead.keyed).where(AuditHead.id == HEAD_ID)
    found = session.execute(query).one_or_none()
    return None if found is None else Head(found.seq, found.hash, found.keyed)


def read_chain(session: Session, attempts: int = 20) -> tuple[list[AuditEntry], Head | None]:
    """Every entry (by seq) and the head record, as one consistent picture while appends go on."""
    for _ in range(attempts):
        before = _head(session)
        rows = session.execute(select(AuditRecord).order_by(AuditRecord.seq)).scalars()
        entries = [_entry(r) for r in rows]
        if _head(session) == before:  # no append committed meanwhile
            return entries, before
        session.expunge_all()
    raise AuditError("the audit chain kept growing while it was read; try again")


def last_entries(session: Session, n: int) -> list[AuditEntry]:
    """The last `n` entries, oldest first."""
    rows = list(session.execute(select(AuditRecord).order_by(AuditRecord.seq.desc()).limit(n)).scalars())
    return [_entry(r) for r in reversed(rows)]
