"""Recording decisions for the audit chain without serialising the decisions on the chain head.

A decision's transaction only inserts its event into `audit_pending`, so the entry exists exactly when
the decision commits, and no lock is held. The center's chainer (`kofu.audit.chainer`) moves pending
rows into the hash chain within about a second, in the order they became visible: it locks the
single head row (PostgreSQL: FOR UPDATE; SQLite: the database write lock), so only one chainer extends
the chain at a time, and the unique seq and prev_hash refuse a fork. A pending row could be altered
unnoticed only during that second; `kofu audit verify` reports how many are pending.

Wiring: `attach_audit(factory, AuditLog(key))` makes every session of `factory` record; code that decides
calls `record(session, ...)`, which does nothing when no log is attached.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from kofu.audit.entry import ALLOWED, AuditEntry, AuditEvent, chained, utc_text
from kofu.audit.models import HEAD_ID, AuditHead, AuditPending, AuditRecord
from kofu.audit.verifier import Head
from kofu.db import dialect_name, transaction

INFO_KEY = "kofu.audit"

# Core tables: the ORM's bookkeeping cost more than the SQL here
_HEAD = cast(Table, AuditHead.__table__)
_RECORDS = cast(Table, AuditRecord.__table__)
_PENDING = cast(Table, AuditPending.__table__)
_APPEND = insert(_PENDING)  # built once: every decision appends


class AuditError(RuntimeError):
    """The audit log cannot chain (no audit tables, or a key setting other than the chain's)."""


def _lost_race(exc: DBAPIError) -> bool:
    """SQLite: another process chained first (unique seq/prev_hash) or held the write lock too long."""
    text = str(exc.orig).lower()
    return isinstance(exc, IntegrityError) or "locked" in text or "busy" in text


@dataclass(frozen=True)
class AuditLog:
    """Records events as pending, and chains them; `key` makes the chain HMAC-keyed."""

    key: bytes | None = None

    def append(self, session: Session, event: AuditEvent, now: datetime) -> None:
        """Record `event` at `now` in `session`'s transaction: one INSERT, no lock; chained after commit."""
        session.connection().execute(
            _APPEND,
            {
                "at": utc_text(now),
                "actor": event.actor,
                "action": event.action,
                "subject": event.subject,
                "outcome": event.outcome,
            },
        )

    def chain(self, factory: sessionmaker[Session], limit: int = 500) -> int:
        """Move pending events into the chain, `limit` per transaction, until none is left; how many.

        Returns at once when another worker holds the head: it looks again after its commit.
        """
        done = 0
        while True:
            try:
                moved = self._chain_batch(factory, limit)
            except (IntegrityError, OperationalError) as exc:
                if dialect_name(factory) == "sqlite" and _lost_race(exc):
                    return done  # another process chained these rows first
                raise
            if not moved:
                return done
            done += moved

    def tidy(self, factory: sessionmaker[Session]) -> bool:
        """PostgreSQL: VACUUM `audit_pending`, whose every row is deleted a moment after its insert.

        Its dead rows are all the table holds: until a vacuum they are read by every poll (two a second)
        and every batch, a cost that grows with each decision ever recorded. Autovacuum does this where
        it is on; kofu does not rely on it. False on SQLite, which reuses freed pages by itself.
        """
        bind = factory.kw.get("bind")
        if not isinstance(bind, Engine) or bind.dialect.name != "postgresql":
            return False
        with bind.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT")  # VACUUM cannot run in a transaction
            conn.exec_driver_sql(f"VACUUM {_PENDING.name}")
        return True

    def _lock_head(self, conn: Connection) -> Any:
        if conn.dialect.name == "sqlite":
            # a write first, so the database write lock is held before anything is read
            statement: Any = update(_HEAD).values(seq=_HEAD.c.seq)
            statement = statement.returning(_HEAD.c.seq, _HEAD.c.hash, _HEAD.c.keyed)
        else:
            statement = select(_HEAD.c.seq, _HEAD.c.hash, _HEAD.c.keyed).with_for_update(skip_locked=True)
        return conn.execute(statement.where(_HEAD.c.id == HEAD_ID)).one_or_none()

    def _chain_batch(self, factory: sessionmaker[Session], limit: int) -> int:
        with transaction(factory) as session:
            conn = session.connection()
            if conn.execute(select(_PENDING.c.id).limit(1)).first() is None:
                return 0  # nothing pending: the head is not touched
            row = self._lock_head(conn)
            if row is None:
                if conn.execute(select(_HEAD.c.id).where(_HEAD.c.id == HEAD_ID)).first() is not None:
                    return 0  # another worker holds the head; it looks again after its commit
                raise AuditError("no audit chain head: run the audit migration (kofu.audit.schema)")
            seq, prev_hash, keyed = row
            if keyed is not None and keyed != (self.key is not None):
                state = "keyed: this process has no key" if keyed else "not keyed"
                raise AuditError(f"the audit chain is {state}")
            rows = conn.execute(select(_PENDING).order_by(_PENDING.c.id).limit(limit)).all()
            if not rows:
                return 0
            entries: list[dict[str, Any]] = []
            for r in rows:
                seq += 1
                event = AuditEvent(r.actor, r.action, r.subject, r.outcome)
                entry = chained(seq, r.at, event, prev_hash, self.key)
                entries.append(entry.__dict__)
                prev_hash = entry.hash
            conn.execute(insert(_RECORDS), entries)  # executemany: one cached statement, not one per size
            conn.execute(delete(_PENDING).where(_PENDING.c.id.in_([r.id for r in rows])))
            conn.execute(
                update(_HEAD)
                .where(_HEAD.c.id == HEAD_ID)
                .values(seq=seq, hash=prev_hash, keyed=self.key is not None)
            )
            return len(rows)


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


def record(session: Session, *, actor: str, action: str, subject: str, result: object, now: datetime) -> None:
    """Record a decision when `session`'s factory has an audit log; no-op otherwise."""
    audit = audit_of(session)
    if audit is not None:
        audit.append(session, AuditEvent(actor, action, subject, outcome_of(result)), now)


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


def pending_count(session: Session) -> int:
    """How many recorded decisions are not chained yet (0 normally, a few just after decisions)."""
    return int(session.scalar(select(func.count()).select_from(_PENDING)) or 0)


def last_entries(session: Session, n: int) -> list[AuditEntry]:
    """The last `n` entries, oldest first."""
    rows = list(session.execute(select(AuditRecord).order_by(AuditRecord.seq.desc()).limit(n)).scalars())
    return [_entry(r) for r in reversed(rows)]
