"""Kiosk sessions in the center's database: any worker can serve any step of any session.

A session belongs to one terminal; it holds its pending challenge and, once authenticated, the
credential's serial, kind and certificate digest: never the certificate itself nor anything printed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from kofu.center.app.models import KioskSession, MenuOffer, OrderChoice
from kofu.center.models import Terminal
from kofu.center.registers import TerminalStatus
from kofu.db import table_of
from kofu.rules.decision import Refused
from kofu.rules.reasons import Reason

SESSION_ID_BYTES = 24


@dataclass(frozen=True)
class SessionState:
    """A live session as the service sees it."""

    session_id: str
    terminal_id: str
    challenge: bytes
    challenge_expires_at: datetime
    sign_challenge: bytes | None
    auth_serial: str | None
    credential: str | None
    requester_cert_digest: str | None
    expires_at: datetime

    @property
    def authenticated(self) -> bool:
        return self.auth_serial is not None and self.requester_cert_digest is not None


@dataclass(frozen=True)
class Who:
    """The authenticated requester of a session."""

    auth_serial: str  # hex
    credential: str  # card | phone
    requester_cert_digest: str  # hex SHA-256 of the user-authentication certificate
    challenge: bytes  # the challenge the card signed to sign in (the center's statements name it)


# Every statement on sessions is plain Core on the tables: no ORM objects are loaded in these short
# transactions, so the ORM's bulk-statement path (and its identity-map search) would be pure cost.
_SESSION_TABLE = table_of(KioskSession)
_TERMINALS = table_of(Terminal)
_CHOICE_TABLE = table_of(OrderChoice)
_OFFER_TABLE = table_of(MenuOffer)
_SESSIONS = _SESSION_TABLE.c
# plain columns, read fresh: every step of a visit checks its session, and needs no ORM object for it
_SESSION_STATE = select(
    _SESSIONS.session_id,
    _SESSIONS.terminal_id,
    _SESSIONS.challenge,
    _SESSIONS.challenge_expires_at,
    _SESSIONS.sign_challenge,
    _SESSIONS.auth_serial,
    _SESSIONS.credential,
    _SESSIONS.requester_cert_digest,
    _SESSIONS.expires_at,
)
# The per-step statements are built once, their values bound at each call: building one cost about as
# much CPU as running it
_IS_SESSION = _SESSIONS.session_id == bindparam("sid")  # not a column name: UPDATE sets those
# T7: every step reads its terminal's standing with its session, so a terminal revoked at the center
# is refused at its next step, whichever connection carries it (one statement, no extra round trip)
_LIVE = (
    _SESSION_STATE.add_columns(_TERMINALS.c.status.label("terminal_status"))
    .outerjoin(_TERMINALS, _TERMINALS.c.terminal_id == _SESSIONS.terminal_id)
    .where(_IS_SESSION)
)
_MARK = update(_SESSION_TABLE).where(_IS_SESSION)
_FORGET = delete(_SESSION_TABLE).where(_IS_SESSION, _SESSIONS.terminal_id == bindparam("tid"))
_FORGET_CHOICES = delete(_CHOICE_TABLE).where(
    _CHOICE_TABLE.c.session_id.in_(bindparam("ids", expanding=True))
)
_FORGET_OFFERS = delete(_OFFER_TABLE).where(_OFFER_TABLE.c.session_id.in_(bindparam("ids", expanding=True)))
_STORE = insert(_SESSION_TABLE)
_HOLD = select(_SESSIONS.session_id).where(_IS_SESSION).with_for_update(read=True)


def _state(row: KioskSession | Row[*tuple[Any, ...]]) -> SessionState:
    return SessionState(
        row.session_id,
        row.terminal_id,
        row.challenge,
        row.challenge_expires_at,
        row.sign_challenge,
        row.auth_serial,
        row.credential,
        row.requester_cert_digest,
        row.expires_at,
    )


def new_session_id() -> str:
    return secrets.token_urlsafe(SESSION_ID_BYTES)


def session_by_request(session: Session, terminal_id: str, request_key: str) -> SessionState | None:
    """The session a retried open request already created."""
    row = session.scalar(
        select(KioskSession).where(
            KioskSession.terminal_id == terminal_id, KioskSession.request_key == request_key
        )
    )
    return None if row is None else _state(row)


def store_session(
    session: Session,
    *,
    session_id: str,
    terminal_id: str,
    request_key: str,
    challenge: bytes,
    challenge_expires_at: datetime,
    now: datetime,
    lifetime: timedelta,
) -> SessionState:
    """Record a new session with its first challenge."""
    row = {
        "session_id": session_id,
        "terminal_id": terminal_id,
        "request_key": request_key,
        "challenge": challenge,
        "challenge_expires_at": challenge_expires_at,
        "created_at": now,
        "expires_at": now + lifetime,
    }
    session.execute(_STORE, row)  # a twin request with the same key fails here (unique), as before
    return SessionState(
        session_id, terminal_id, challenge, challenge_expires_at, None, None, None, None, now + lifetime
    )


def live_session(
    session: Session, session_id: str, terminal_id: str, now: datetime, *, revoked_ok: bool = False
) -> SessionState | Refused:
    """The session if it exists, belongs to this terminal, has not expired, and its terminal is still
    active at the center (STR-1, at every step; `revoked_ok`: a void, which only hands the cash back)."""
    row = session.execute(_LIVE, {"sid": session_id}).first()
    if row is None or row.expires_at <= now:
        return Refused(Reason.SESSION_UNKNOWN)
    if row.terminal_id != terminal_id:
        return Refused(Reason.ORDER_WRONG_SESSION)
    if row.terminal_status != TerminalStatus.ACTIVE.value and not revoked_ok:
        return Refused(Reason.TERMINAL_UNKNOWN)
    return _state(row)


def authenticated(session: Session, session_id: str, terminal_id: str, now: datetime) -> Who | Refused:
    """Who is signed in to this session (session_unknown before authentication)."""
    state = live_session(session, session_id, terminal_id, now)
    if isinstance(state, Refused):
        return state
    if state.auth_serial is None or state.credential is None or state.requester_cert_digest is None:
        return Refused(Reason.SESSION_UNKNOWN)
    return Who(state.auth_serial, state.credential, state.requester_cert_digest, state.challenge)


def mark_authenticated(
    session: Session, session_id: str, *, auth_serial: str, credential: str, digest: str
) -> None:
    """Record who authenticated; the session's challenge is spent."""
    session.execute(
        _MARK,
        {
            "sid": session_id,
            "auth_serial": auth_serial,
            "credential": credential,
            "requester_cert_digest": digest,
        },
    )


def set_sign_challenge(session: Session, session_id: str, challenge: bytes) -> None:
    """Remember the challenge of the next signing step (REG-1)."""
    session.execute(_MARK, {"sid": session_id, "sign_challenge": challenge})


def forget_session(session: Session, session_id: str, terminal_id: str) -> None:
    """Delete the session, its menu offers and its orders' choices (the orders keep only their metadata).

    The session row goes first: it is locked then, so an offer or a choice being stored for it either
    waits and finds it gone (`hold_live`) or is committed before and deleted here. Another terminal's
    session is left alone, with its offers and choices.
    """
    gone = session.execute(_FORGET, {"sid": session_id, "tid": terminal_id})
    if not getattr(gone, "rowcount", 0):
        return
    _forget_rows(session, [session_id])


def _forget_rows(session: Session, session_ids: list[str]) -> None:
    """The offers and choices of sessions just deleted."""
    if not session_ids:
        return
    session.execute(_FORGET_CHOICES, {"ids": session_ids})
    session.execute(_FORGET_OFFERS, {"ids": session_ids})


def hold_live(session: Session, session_id: str) -> bool:
    """Whether the session still exists; its row is held (shared) so no close deletes it meanwhile."""
    found = session.scalar(_HOLD, {"sid": session_id})
    return found is not None


def purge_expired(session: Session, now: datetime, *, terminal_id: str | None = None) -> int:
    """Delete expired sessions (of one terminal, or all), their offers and choices; the number deleted."""
    expired = delete(_SESSION_TABLE).where(_SESSIONS.expires_at <= now)
    if terminal_id is not None:
        expired = expired.where(_SESSIONS.terminal_id == terminal_id)
    gone = list(session.scalars(expired.returning(_SESSIONS.session_id)))
    _forget_rows(session, gone)
    return len(gone)
