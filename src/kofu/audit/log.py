"""Recording decisions for the audit chain without serialising the decisions on the chain head.

A decision's transaction only inserts its event into `audit_pending`, so the entry exists exactly when
the decision commits, and no lock is held. The center's chainer (`kofu.audit.chainer`) moves pending
rows into the hash chain within about a second, in the order they became visible: it locks the
single head row (PostgreSQL: FOR UPDATE; SQLite: the database write lock), so only one chainer extends
the chain at a time, and the unique seq and prev_hash refuse a fork.

A keyed log (`AuditLog.for_home`) also guards that second and what happens around it against someone
who can write the database but not read the home's keys: each row carries its worker's name, number
and MAC (`entry.row_mac`), and the chainer links only rows whose MAC checks and whose number is not
chained yet; any other row is refused, deleted and reported in the chain itself (`audit.refused`). Each
worker vouches for its numbers in tallies (`kofu.audit.tally`), so a row that never reached the table
is missed by `kofu audit verify`. Times only move forward (a row dated before the chain's last entry is
chained at that entry's time), and the chainer signs each head it writes (`head.key`).

Wiring: `attach_audit(factory, AuditLog.for_home(home))` makes every session of `factory` record; code
that decides calls `record(session, ...)`, which does nothing when no log is attached.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Row, Table, bindparam, delete, event, func, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from kofu.audit.entry import (
    ALLOWED,
    AuditEntry,
    AuditEvent,
    PendingRow,
    chained,
    digest,
    head_message,
    record_key,
    row_mac,
    utc_text,
)
from kofu.audit.keys import ensure_audit_keys
from kofu.audit.models import HEAD_ID, AuditHead, AuditPending, AuditRecord
from kofu.audit.tally import Counter, Tally, split
from kofu.audit.verifier import REFUSED, SYSTEM, TALLY, Head
from kofu.db import dialect_name, transaction
from kofu.logs import get_logger

log = get_logger("audit.log")

INFO_KEY = "kofu.audit"
_NUMBERS_KEY = "kofu.audit.numbers"  # session.info: the (counter, worker, number) recorded in it
TALLY_EVERY_S = 10.0  # a worker vouches for its settled rows this often (and at stop)
BEHIND_WARN_S = 60.0  # a row dated this far behind the chain's last entry is logged
TALLY_ATTEMPTS = 25  # at stop, tries for the head held by another worker (about 6 s in all)

# Core tables: the ORM's bookkeeping cost more than the SQL here
_HEAD = cast(Table, AuditHead.__table__)
_RECORDS = cast(Table, AuditRecord.__table__)
_PENDING = cast(Table, AuditPending.__table__)
# built once, values bound at each call: every decision appends, every round chains
_APPEND = insert(_PENDING)
_ANY_PENDING = select(_PENDING.c.id).limit(1)
_BATCH = select(_PENDING).order_by(_PENDING.c.id).limit(bindparam("n"))
_LINK = insert(_RECORDS)
_DONE = delete(_PENDING).where(_PENDING.c.id.in_(bindparam("ids", expanding=True)))
_CHAINED = select(_RECORDS.c.worker, _RECORDS.c.counter).where(
    _RECORDS.c.worker.in_(bindparam("workers", expanding=True)),
    _RECORDS.c.counter.in_(bindparam("counters", expanding=True)),
)
_MOVE = update(_HEAD).where(_HEAD.c.id == HEAD_ID)
_TIP = (_HEAD.c.seq, _HEAD.c.hash, _HEAD.c.keyed, _HEAD.c.at)
_LOCK = select(*_TIP).where(_HEAD.c.id == HEAD_ID).with_for_update(skip_locked=True)
# SQLite: a write first, so the database write lock is held before anything is read
_LOCK_SQLITE = update(_HEAD).where(_HEAD.c.id == HEAD_ID).values(seq=_HEAD.c.seq).returning(*_TIP)
_HEAD_EXISTS = select(_HEAD.c.id).where(_HEAD.c.id == HEAD_ID)


class AuditError(RuntimeError):
    """The audit log cannot chain (no audit tables, or a key setting other than the chain's)."""


def _lost_race(exc: DBAPIError) -> bool:
    """SQLite: another process chained first (unique seq/prev_hash) or held the write lock too long."""
    text = str(exc.orig).lower()
    return isinstance(exc, IntegrityError) or "locked" in text or "busy" in text


@dataclass
class _Tip:
    """The end of the chain as a chaining transaction extends it."""

    seq: int
    hash: str
    at: str


class AuditLog:
    """Records events as pending, and chains them; `key` makes the chain HMAC-keyed and the rows
    authenticated, `head_key` signs each head the chainer writes."""

    def __init__(
        self,
        key: bytes | None = None,
        head_key: Ed25519PrivateKey | None = None,
        *,
        tally_every_s: float = TALLY_EVERY_S,
    ) -> None:
        self.key = key
        self.head_key = head_key
        self.tally_every_s = tally_every_s
        self._record_key = record_key(key) if key is not None else None
        self._counter = Counter()
        self._last_tally = time.monotonic()

    @classmethod
    def for_home(cls, home: Path, **kwargs: Any) -> AuditLog:
        """The keyed log of a worker whose keys are under `home` (created there if missing)."""
        keys = ensure_audit_keys(home)
        return cls(keys.chain, keys.head, **kwargs)

    @property
    def worker(self) -> str:
        """This worker's name in the rows it records (keyed logs)."""
        return self._counter.worker

    def append(self, session: Session, event: AuditEvent, now: datetime) -> None:
        """Record `event` at `now` in `session`'s transaction: one INSERT, no lock; chained after commit."""
        at = utc_text(now)
        row: dict[str, Any] = {
            "at": at,
            "actor": event.actor,
            "action": event.action,
            "subject": event.subject,
            "outcome": event.outcome,
            "worker": None,
            "counter": None,
            "mac": None,
        }
        if self._record_key is not None:
            worker, number = self._counter.take()
            row.update(
                worker=worker, counter=number, mac=row_mac(self._record_key, worker, number, at, event)
            )
            session.info.setdefault(_NUMBERS_KEY, []).append((self._counter, worker, number))
        session.connection().execute(_APPEND, row)

    def chain(self, factory: sessionmaker[Session], limit: int = 500, *, tally: bool | None = None) -> int:
        """Move pending events into the chain, `limit` per transaction, until none is left; how many.

        Returns at once when another worker holds the head: it looks again after its commit. A keyed
        log then vouches for its settled rows when `tally_every_s` has passed (`tally`: now, or never).
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
                break
            done += moved
        due = tally or (tally is None and time.monotonic() - self._last_tally >= self.tally_every_s)
        if self.key is not None and due:
            self._tally(factory, wait=bool(tally))
        return done

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

    def _lock_head(self, conn: Connection) -> _Tip | None:
        """The head, locked for this transaction; None when another worker holds it."""
        row = conn.execute(_LOCK_SQLITE if conn.dialect.name == "sqlite" else _LOCK).one_or_none()
        if row is None:
            if conn.execute(_HEAD_EXISTS).first() is not None:
                return None  # another worker holds the head; it looks again after its commit
            raise AuditError("no audit chain head: run the audit migration (kofu.audit.schema)")
        seq, prev_hash, keyed, at = row
        if keyed and self.key is None:
            raise AuditError("the audit chain is keyed: this process has no key")
        if keyed is False and self.key is not None:
            # a chain begun unkeyed goes on keyed; its first keyed entry pins the plain entries before it
            log.warning("audit_chain_keyed_from", seq=seq + 1)
        return _Tip(seq, prev_hash, at or "")

    def _move_head(self, conn: Connection, tip: _Tip) -> None:
        """Point the head at `tip`, signed; a head that does not move (a trigger) stops the chainer."""
        signature = None
        if self.head_key is not None:
            signature = self.head_key.sign(head_message(tip.seq, tip.hash, tip.at)).hex()
        values = {"seq": tip.seq, "hash": tip.hash, "keyed": self.key is not None, "at": tip.at}
        moved = conn.execute(_MOVE, {**values, "signature": signature})
        if moved.rowcount != 1:
            raise AuditError("the audit chain head did not move: its row is missing or guarded")

    def _chain_batch(self, factory: sessionmaker[Session], limit: int) -> int:
        with transaction(factory) as session:
            conn = session.connection()
            if conn.execute(_ANY_PENDING).first() is None:
                return 0  # nothing pending: the head is not touched
            tip = self._lock_head(conn)
            if tip is None:
                return 0
            rows = conn.execute(_BATCH, {"n": limit}).all()
            if not rows:
                return 0
            entries = self._link(conn, rows, tip)
            conn.execute(_LINK, entries)  # executemany: one cached statement, not one per size
            conn.execute(_DONE, {"ids": [r.id for r in rows]})
            self._move_head(conn, tip)
            return len(rows)

    def _link(self, conn: Connection, rows: Sequence[Row[Any]], tip: _Tip) -> list[dict[str, Any]]:
        """The entries `rows` become after `tip` (which moves): refused rows become `audit.refused`."""
        if self._record_key is None:  # an unkeyed log links what it finds
            events: dict[int, AuditEvent] = {
                r.id: AuditEvent(r.actor, r.action, r.subject, r.outcome) for r in rows
            }
            refused: dict[int, str] = {}
        else:
            events, refused = self._checked(conn, rows, self._record_key)
        entries: list[dict[str, Any]] = []
        for r in rows:
            if r.id not in refused:
                at = r.at if r.at >= tip.at else _behind(r.at, tip.at)  # times only move forward
                entries.append(self._next(tip, at, events[r.id], r.worker, r.counter))
        for r in rows:  # after the authentic ones: each refusal reported in the chain itself
            if r.id in refused:
                log.error("audit_row_refused", pending_id=r.id, why=refused[r.id])
                event = AuditEvent(SYSTEM, REFUSED, _refused_subject(r), refused[r.id])
                entries.append(self._next(tip, tip.at, event, self.worker, None))
        return entries

    def _next(
        self, tip: _Tip, at: str, event: AuditEvent, worker: str | None, counter: int | None
    ) -> dict[str, Any]:
        tip.seq += 1
        entry = chained(tip.seq, at, event, tip.hash, self.key, worker, counter)
        tip.hash, tip.at = entry.hash, at
        return entry.__dict__

    @staticmethod
    def _checked(
        conn: Connection, rows: Sequence[Row[Any]], key: bytes
    ) -> tuple[dict[int, AuditEvent], dict[int, str]]:
        """The authentic rows' events, and the rows not to link with why: no worker's MAC (`forged`),
        or a worker's number chained already (`replayed`)."""
        events: dict[int, AuditEvent] = {}
        refused: dict[int, str] = {}
        seen: set[tuple[str, int]] = set()
        for r in rows:
            event = _authentic(key, r)
            if event is None:
                refused[r.id] = "forged"
            elif (r.worker, r.counter) in seen:
                refused[r.id] = "replayed"
            else:
                events[r.id] = event
                seen.add((r.worker, r.counter))
        if seen:  # one indexed read a batch: a copy of a row chained in an earlier batch
            workers = sorted({w for w, _ in seen})
            counters = sorted({c for _, c in seen})
            earlier = {(w, c) for w, c in conn.execute(_CHAINED, {"workers": workers, "counters": counters})}
            for r in rows:
                if r.id in events and (r.worker, r.counter) in earlier:
                    refused[r.id] = "replayed"
        return events, refused

    def _tally(self, factory: sessionmaker[Session], *, wait: bool = False) -> None:
        """Vouch in the chain for this worker's settled rows; when another worker holds the head, next
        round (or, `wait`ing at stop, after a moment)."""
        self._last_tally = time.monotonic()
        for attempt in range(TALLY_ATTEMPTS if wait else 1):
            due = self._counter.due()
            if due is None or self._write_tally(factory, split(due)):
                return
            time.sleep(0.02 * (attempt + 1))
        self._last_tally = 0.0  # the head was held: try again at the next round

    def _write_tally(self, factory: sessionmaker[Session], tallies: list[Tally]) -> bool:
        with transaction(factory) as session:
            conn = session.connection()
            tip = self._lock_head(conn)
            if tip is None:
                return False
            entries = [
                self._next(tip, tip.at, AuditEvent(SYSTEM, TALLY, t.subject(), ALLOWED), self.worker, None)
                for t in tallies
            ]
            conn.execute(_LINK, entries)
            self._move_head(conn, tip)
        for t in tallies:
            self._counter.tallied(t)
        return True


def _authentic(key: bytes, r: Row[Any]) -> AuditEvent | None:
    """The event of a pending row that carries a worker's MAC of exactly its fields, else None."""
    if r.worker is None or r.counter is None or r.mac is None:
        return None
    try:
        event = AuditEvent(r.actor, r.action, r.subject, r.outcome)
    except ValueError:
        return None
    return event if hmac.compare_digest(row_mac(key, r.worker, r.counter, r.at, event), r.mac) else None


def _behind(at: str, last: str) -> str:
    """`last`, for a row dated `at` before the chain's last entry; said aloud when it is far behind."""
    try:
        behind = (datetime.fromisoformat(last) - datetime.fromisoformat(at)).total_seconds()
    except ValueError:
        behind = float("inf")
    if behind > BEHIND_WARN_S:  # a worker's clock stepped back, or the chain's last time is ahead
        log.warning("audit_time_behind", recorded=at, chained=last, seconds=behind)
    return last


def _refused_subject(r: Row[Any]) -> str:
    """Where a refused row was, and a digest of what it said (never its text: it may hold anything)."""
    said = "\x1f".join(str(v) for v in (r.at, r.actor, r.action, r.subject, r.outcome, r.worker, r.counter))
    return f"pending:{int(r.id)} row:{digest(said)}"


# A row's number is settled by its transaction: committed (its row must reach the chain) or void.
@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    _settle(session, committed=True)


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, _previous: SessionTransaction) -> None:
    _settle(session, committed=False)  # a savepoint's too: a void row that is chained after all is fine


def _settle(session: Session, *, committed: bool) -> None:
    numbers: list[tuple[Counter, str, int]] | None = session.info.pop(_NUMBERS_KEY, None)
    if not numbers:
        return
    for counter, worker, number in numbers:
        counter.settle(worker, (number,), committed=committed)


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


# an entry's fields in AuditEntry's order, read as plain rows (the ORM cost more than the read)
_ENTRIES = select(
    *(
        _RECORDS.c[name]
        for name in ("seq", "at", "actor", "action", "subject", "outcome", "prev_hash", "hash")
    ),
    _RECORDS.c.worker,
    _RECORDS.c.counter,
)


def _entry(r: Any) -> AuditEntry:
    return AuditEntry(
        r.seq, r.at, r.actor, r.action, r.subject, r.outcome, r.prev_hash, r.hash, r.worker, r.counter
    )


def _head(session: Session) -> Head | None:
    query = select(AuditHead.seq, AuditHead.hash, AuditHead.keyed, AuditHead.at, AuditHead.signature)
    found = session.execute(query.where(AuditHead.id == HEAD_ID)).one_or_none()
    return None if found is None else Head(found.seq, found.hash, found.keyed, found.at, found.signature)


def read_chain(session: Session, attempts: int = 20) -> tuple[list[AuditEntry], Head | None]:
    """Every entry (by seq) and the head record, as one consistent picture while appends go on."""
    for _ in range(attempts):
        before = _head(session)
        entries = [_entry(r) for r in session.execute(_ENTRIES.order_by(_RECORDS.c.seq))]
        if _head(session) == before:  # no append committed meanwhile
            return entries, before
        session.expunge_all()
    raise AuditError("the audit chain kept growing while it was read; try again")


def pending_count(session: Session) -> int:
    """How many recorded decisions are not chained yet (0 normally, a few just after decisions)."""
    return int(session.scalar(select(func.count()).select_from(_PENDING)) or 0)


def read_pending(session: Session) -> list[PendingRow]:
    """Every row recorded but not chained yet."""
    out: list[PendingRow] = []
    for r in session.execute(select(_PENDING).order_by(_PENDING.c.id)).all():
        try:
            event: AuditEvent | None = AuditEvent(r.actor, r.action, r.subject, r.outcome)
        except ValueError:
            event = None
        out.append(PendingRow(r.id, r.at, event, r.worker, r.counter, r.mac))
    return out


def last_entries(session: Session, n: int) -> list[AuditEntry]:
    """The last `n` entries, oldest first."""
    rows = list(session.execute(_ENTRIES.order_by(_RECORDS.c.seq.desc()).limit(n)))
    return [_entry(r) for r in reversed(rows)]
