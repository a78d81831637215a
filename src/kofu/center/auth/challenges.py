"""Single-use challenges: issued for one kiosk session and terminal, valid 60 seconds.

Consumption is one conditional UPDATE (... WHERE used = false AND not expired AND same session and
terminal), so of two concurrent consumers exactly one wins, on any worker, on SQLite or PostgreSQL.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, insert, update
from sqlalchemy.orm import Session

from kofu.center.auth.models import AuthChallenge
from kofu.db import table_of
from kofu.rules.reasons import Reason

CHALLENGE_BYTES = 32
_CHALLENGES = table_of(AuthChallenge)  # plain Core: no ORM objects are loaded to spend a challenge
# built once, values bound at each call (bind names that are not columns, which an UPDATE sets)
_ISSUE = insert(_CHALLENGES)
_SPEND = (
    update(_CHALLENGES)
    .where(
        _CHALLENGES.c.challenge == bindparam("c"),
        _CHALLENGES.c.used.is_(False),
        _CHALLENGES.c.expires_at > bindparam("now"),
        _CHALLENGES.c.session_id == bindparam("sid"),
        _CHALLENGES.c.terminal_id == bindparam("tid"),
    )
    .values(used=True)
)
CHALLENGE_LIFETIME = timedelta(seconds=60)


@dataclass(frozen=True)
class Challenge:
    """A challenge as handed to the kiosk."""

    challenge: bytes
    session_id: str
    terminal_id: str
    expires_at: datetime


def issue_challenge(session: Session, *, session_id: str, terminal_id: str, now: datetime) -> Challenge:
    """Store and return a fresh random 32-byte challenge for this session and terminal."""
    value = secrets.token_bytes(CHALLENGE_BYTES)
    expires_at = now + CHALLENGE_LIFETIME
    session.execute(
        _ISSUE,
        {
            "challenge": value,
            "session_id": session_id,
            "terminal_id": terminal_id,
            "created_at": now,
            "expires_at": expires_at,
            "used": False,
        },
    )
    return Challenge(value, session_id, terminal_id, expires_at)


def consume_challenge(
    session: Session, challenge: bytes, *, session_id: str, terminal_id: str, now: datetime
) -> Reason | None:
    """Mark the challenge used if it is live and belongs to this session and terminal.

    None when this call consumed it; otherwise why not (unknown, replayed, expired, wrong session).
    """
    result = session.execute(_SPEND, {"c": challenge, "now": now, "sid": session_id, "tid": terminal_id})
    if getattr(result, "rowcount", 0) == 1:
        return None
    row = session.get(AuthChallenge, challenge)
    if row is None:
        return Reason.CHALLENGE_UNKNOWN
    if row.session_id != session_id or row.terminal_id != terminal_id:
        return Reason.CHALLENGE_WRONG_SESSION
    if row.used:
        return Reason.CHALLENGE_REPLAYED
    return Reason.CHALLENGE_EXPIRED


def purge_expired(session: Session, now: datetime, keep: timedelta = timedelta(hours=1)) -> int:
    """Delete challenges that expired more than `keep` ago; the number deleted."""
    result = session.execute(delete(AuthChallenge).where(AuthChallenge.expires_at < now - keep))
    return int(getattr(result, "rowcount", 0))
