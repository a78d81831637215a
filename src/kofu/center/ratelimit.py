"""Rate limits: token buckets per terminal (sessions opened, authentications, documents) and per card
(authentications), kept in the center database.

The decision (`take`) is pure arithmetic on a bucket; the buckets live in the table
`center_rate_buckets` (own Alembic chain, version table `alembic_version_center_ratelimit`), so every
worker process sees the same buckets, and `check_and_take` updates one bucket atomically: it writes
first (an insert that does nothing when the row exists), which takes the row lock on PostgreSQL (then
`SELECT ... FOR UPDATE`) and the database write lock on SQLite, before it reads and decides.

Defaults: a terminal may open 30 sessions, start 30 authentications and pay 20 orders a minute (each
in bursts of as many; an order's document is delivered once, so this bounds renders too), a card 5
authentications a minute; a refusal costs nothing, so a flooding terminal is refused at once and cannot
slow the others' buckets. Authentications are limited by the middleware, before the challenge is read;
session opens and payments inside their own step's transaction (`take_in`), which saves a transaction each.
Times are stored as POSIX seconds (a float), the same arithmetic on every engine.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import anyio.to_thread
from sqlalchemy import Float, MetaData, String, bindparam, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from kofu.audit.entry import tagged
from kofu.audit.log import record as audit_record
from kofu.db import NAMING, migrate, table_of, transaction
from kofu.rules import ids
from kofu.rules.decision import Allowed, Refused
from kofu.rules.reasons import Reason

MIGRATIONS = Path(__file__).parent / "ratelimit_migrations"
VERSION_TABLE = "alembic_version_center_ratelimit"
KEY_MAX = 96
TERMINAL_ID = ids.TERMINAL_ID
_EPSILON = 1e-9  # refills summed in floating point may land a hair below a whole token


@dataclass(frozen=True)
class Limit:
    """`capacity` attempts at once, refilled evenly over `per_seconds`."""

    capacity: int
    per_seconds: float

    @property
    def rate(self) -> float:
        """Tokens refilled per second."""
        return self.capacity / self.per_seconds


TERMINAL_LIMIT = Limit(capacity=30, per_seconds=60.0)  # one kiosk: 30 authentications a minute
OPEN_LIMIT = Limit(capacity=30, per_seconds=60.0)  # one kiosk: 30 sessions opened a minute
PAY_LIMIT = Limit(capacity=20, per_seconds=60.0)  # one kiosk: 20 orders paid a minute (each one printed)
CARD_LIMIT = Limit(capacity=5, per_seconds=60.0)  # one card: 5 authentications a minute


@dataclass(frozen=True)
class Bucket:
    """Tokens left at `updated_at` (POSIX seconds)."""

    tokens: float
    updated_at: float


def take(bucket: Bucket | None, limit: Limit, now: float) -> tuple[bool, Bucket]:
    """Refill `bucket` up to `now`, then take one token if there is one: (allowed, the bucket after).

    No bucket is a full one. A clock behind the bucket's (another worker's) refills nothing and does
    not move the bucket back in time, so no interleaving of workers refills twice.
    """
    if bucket is None:
        tokens, at = float(limit.capacity), now
    else:
        at = max(now, bucket.updated_at)
        tokens = min(float(limit.capacity), bucket.tokens + (at - bucket.updated_at) * limit.rate)
    if tokens >= 1.0 - _EPSILON:
        return True, Bucket(max(0.0, tokens - 1.0), at)
    return False, Bucket(tokens, at)


def retry_after(bucket: Bucket, limit: Limit) -> int:
    """Whole seconds until `bucket` holds a token again (for a Retry-After header)."""
    return max(0, math.ceil((1.0 - bucket.tokens) / limit.rate))


def retry_after_header(limit: Limit) -> dict[str, str]:
    """The Retry-After of a refusal from an empty bucket of `limit`: when one token is back."""
    return {"Retry-After": str(max(1, retry_after(Bucket(0.0, 0.0), limit)))}


def terminal_key(terminal_id: str, step: str = "") -> str:
    """The bucket of one kiosk terminal's authentications (or of its `step`: open, pay)."""
    return f"terminal{'-' + step if step else ''}:{terminal_id}"


def card_key(auth_serial: int) -> str:
    """The bucket of one card (its user-authentication certificate's serial)."""
    return f"card:{auth_serial:x}"


_LIMITS = {
    "terminal": TERMINAL_LIMIT,
    "terminal-open": OPEN_LIMIT,
    "terminal-pay": PAY_LIMIT,
    "card": CARD_LIMIT,
}


def limit_for(key: str) -> Limit:
    """The default limit of a bucket key made by `terminal_key` or `card_key`."""
    limit = _LIMITS.get(key.split(":", 1)[0]) if ":" in key else None
    if limit is None:
        raise ValueError(f"a rate-limit key starts with one of {sorted(_LIMITS)} and a colon")
    return limit


class Base(DeclarativeBase):
    """The rate-limit chain's tables."""

    metadata = MetaData(naming_convention=NAMING)


class RateBucket(Base):
    """One token bucket (a missing row is a full bucket)."""

    __tablename__ = "center_rate_buckets"

    key: Mapped[str] = mapped_column(String(KEY_MAX), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float, index=True)


_BUCKETS = table_of(RateBucket)  # plain Core: no ORM object to load, change and flush for one row
# built once, values bound at each call ("k": a bind name that is not a column, which an UPDATE sets)
_HELD = (
    select(_BUCKETS.c.tokens, _BUCKETS.c.updated_at).where(_BUCKETS.c.key == bindparam("k")).with_for_update()
)
_TAKE = update(_BUCKETS).where(_BUCKETS.c.key == bindparam("k"))
_CREATE = {
    "postgresql": pg_insert(_BUCKETS).on_conflict_do_nothing(),
    "sqlite": sqlite_insert(_BUCKETS).on_conflict_do_nothing(),
}


def migrate_ratelimit(url: str) -> None:
    """Run the rate-limit chain to head on `url` (the center's database)."""
    migrate(url, MIGRATIONS, VERSION_TABLE)


def check_and_take(
    factory: sessionmaker[Session], key: str, now: datetime, limit: Limit | None = None
) -> Allowed | Refused:
    """Take one token from `key`'s bucket (limit: `limit_for(key)` unless given); refused when empty."""
    with transaction(factory) as session:
        return take_in(session, key, now, limit)


# what a terminal's refusal is audited as, by its bucket (a card's refusal is its authentication's entry,
# a payment's its order step's)
_REFUSED_ACTION = {"terminal": "auth.rate_limited", "terminal-open": "session.open"}


def take_in(session: Session, key: str, now: datetime, limit: Limit | None = None) -> Allowed | Refused:
    """`check_and_take` in the caller's transaction (the step's own): the bucket's row held till it ends."""
    if not key or len(key) > KEY_MAX:
        raise ValueError(f"a rate-limit key has 1 to {KEY_MAX} characters")
    rule = limit or limit_for(key)
    at = now.timestamp()
    _lock(session, key, rule, at)
    row = session.execute(_HELD, {"k": key}).one()
    allowed, after = take(Bucket(row.tokens, row.updated_at), rule, at)
    session.execute(_TAKE, {"k": key, "tokens": after.tokens, "updated_at": after.updated_at})
    if allowed:
        return Allowed()
    bucket, _, terminal = key.partition(":")
    action = _REFUSED_ACTION.get(bucket)
    if action is not None:  # audit hook (kofu.audit)
        audit_record(
            session,
            actor=tagged("terminal", terminal),
            action=action,
            subject="",
            result=Refused(Reason.RATE_LIMITED),
            now=now,
        )
    return Refused(Reason.RATE_LIMITED)


def _lock(session: Session, key: str, limit: Limit, at: float) -> None:
    """Make sure the row exists, writing first so this transaction holds the write lock before reading."""
    dialect = session.get_bind().dialect.name
    if dialect not in _CREATE:
        raise NotImplementedError(f"rate limits need PostgreSQL or SQLite, not {dialect}")
    session.execute(_CREATE[dialect], {"key": key, "tokens": float(limit.capacity), "updated_at": at})


def prune(factory: sessionmaker[Session], now: datetime, idle_seconds: float = 3600.0) -> int:
    """Forget buckets untouched for `idle_seconds` (refilled long ago: the same as no row); how many."""
    cutoff = now.timestamp() - idle_seconds
    with transaction(factory) as session:
        result = session.execute(delete(RateBucket).where(RateBucket.updated_at < cutoff))
        return int(getattr(result, "rowcount", 0) or 0)


AUTHENTICATE_PATH = re.compile(r"/v1/sessions/[^/]+/authenticate")
# what the middleware bounds: POSTs of these paths (the step names the bucket); opens and payments
# are bounded in their steps' transactions (`take_in`)
LIMITED: tuple[tuple[re.Pattern[str], str], ...] = ((AUTHENTICATE_PATH, ""),)


class TerminalRateLimit:
    """ASGI middleware: each authentication started by a terminal takes a token from its bucket first.

    The terminal is the one `kofu.netpki.gate` proved (its mutual-TLS certificate, STR-1). Only on the
    demo's plain-HTTP loopback, where no certificate proves anyone, is it the body's `terminal_id` (a
    body without a well-formed one passes on, to be refused by the route as bad_request). An empty
    bucket is answered at once with 429 rate_limited and a Retry-After, before any challenge,
    certificate or database row of the center is touched.
    """

    def __init__(
        self,
        app: Any,
        factory: sessionmaker[Session],
        clock: Callable[[], datetime],
        limit: Limit | None = None,
    ) -> None:
        """`limit`: one limit for every bucket (tests); by default each step's (`limit_for`)."""
        self.app = app
        self.factory = factory
        self.clock = clock
        self.limit = limit

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        step = _step(scope)
        if step is None:
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        terminal = _terminal(scope, body)
        if terminal is not None:
            key = terminal_key(terminal, step)
            limit = self.limit or limit_for(key)
            decision = await anyio.to_thread.run_sync(check_and_take, self.factory, key, self.clock(), limit)
            if isinstance(decision, Refused):
                await _refuse(decision, limit, scope, receive, send)
                return
        await self.app(scope, _replay(body, receive), send)


def _step(scope: Any) -> str | None:
    """The bucket a request draws on (a step name, "" for authentications), or None: not limited."""
    if scope["type"] != "http" or scope["method"] != "POST":
        return None
    return next((step for path, step in LIMITED if path.fullmatch(scope["path"])), None)


async def _read_body(receive: Any) -> bytes:
    chunks, more = [], True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


def _replay(body: bytes, receive: Any) -> Callable[[], Awaitable[dict[str, Any]]]:
    sent = False

    async def replayed() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        message: dict[str, Any] = await receive()
        return message

    return replayed


def _terminal(scope: Any, body: bytes) -> str | None:
    """The terminal whose bucket pays: the proven one, else (plain HTTP only) the body's."""
    from kofu.netpki.gate import scope_peer

    peer = scope_peer(scope)
    if peer is not None and peer.proven:
        return peer.name
    return _body_terminal(body) if scope.get("scheme") == "http" else None


def _body_terminal(body: bytes) -> str | None:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # a body nested past the parser's depth is the route's 400
        return None
    terminal = data.get("terminal_id") if isinstance(data, dict) else None
    # only a well-formed id names a bucket; anything else is the route's bad_request
    return terminal if isinstance(terminal, str) and TERMINAL_ID.fits(terminal) else None


async def _refuse(refused: Refused, limit: Limit, scope: Any, receive: Any, send: Any) -> None:
    from fastapi.responses import JSONResponse

    from kofu.wire.common import ErrorBody

    body = ErrorBody.of(refused).model_dump(mode="json")
    await JSONResponse(body, status_code=429, headers=retry_after_header(limit))(scope, receive, send)
