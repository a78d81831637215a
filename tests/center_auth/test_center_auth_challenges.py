"""Challenges: single use under concurrency (SEC-1), on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from kofu.center.auth.challenges import consume_challenge, issue_challenge, purge_expired
from kofu.center.auth.schema import migrate_center_auth
from kofu.db import make_engine, session_factory, transaction
from kofu.rules.reasons import Reason


def _race(factory: sessionmaker[Session], value: bytes, now: datetime) -> list[Reason | None]:
    """Two threads consume `value` at the same moment; their outcomes."""
    barrier = threading.Barrier(2)
    results: list[Reason | None] = []
    lock = threading.Lock()

    def consume() -> None:
        barrier.wait()
        with transaction(factory) as session:
            outcome = consume_challenge(session, value, session_id="s", terminal_id="t", now=now)
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=consume) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_SEC_1_two_concurrent_consumers_exactly_one_wins(db_url: str) -> None:
    """SEC-1: two workers consume one challenge at once: exactly one succeeds, the other sees a replay."""
    migrate_center_auth(db_url)
    factory = session_factory(make_engine(db_url))
    now = datetime.now(UTC)
    for _round in range(5):
        with transaction(factory) as session:
            challenge = issue_challenge(session, session_id="s", terminal_id="t", now=now)
        results = _race(factory, challenge.challenge, now)
        assert sorted(results, key=str) == sorted([None, Reason.CHALLENGE_REPLAYED], key=str)


def test_expired_challenges_are_purged(db_url: str) -> None:
    migrate_center_auth(db_url)
    factory = session_factory(make_engine(db_url))
    start = datetime(2026, 4, 1, 1, 0, tzinfo=UTC)
    with transaction(factory) as session:
        old = issue_challenge(session, session_id="s", terminal_id="t", now=start)
    later = start.replace(hour=3)
    with transaction(factory) as session:
        fresh = issue_challenge(session, session_id="s", terminal_id="t", now=later)
        assert purge_expired(session, later) == 1
    with transaction(factory) as session:
        assert consume_challenge(session, old.challenge, session_id="s", terminal_id="t", now=later) == (
            Reason.CHALLENGE_UNKNOWN
        )
        assert consume_challenge(session, fresh.challenge, session_id="s", terminal_id="t", now=later) is None
