"""Retention at the center: what is kept only for a while is deleted when its while is over.

Stored answers to retried steps (idempotency keys) are kept a day, since no kiosk retries that late (a
later retry still meets the order's state); challenges an hour after they expire; rate buckets an hour
after their last token (a missing bucket is a full one). Every center worker sweeps on its own: deletes
of the same rows by two workers do no harm.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from kofu.center import orders, ratelimit
from kofu.center.auth import challenges
from kofu.db import transaction

ANSWERS_KEPT = timedelta(days=1)
CHALLENGES_KEPT = timedelta(hours=1)
BUCKETS_KEPT = timedelta(hours=1)
SWEEP_EVERY_S = 300.0  # rows this old by minutes cost nothing; a sweep is a few indexed deletes


@dataclass(frozen=True)
class Swept:
    """How many rows one sweep deleted, by kind."""

    answers: int
    challenges: int
    buckets: int


def sweep(factory: sessionmaker[Session], now: datetime) -> Swept:
    """Delete every row past its retention at `now`; how many of each."""
    answers = orders.purge_idempotency(factory, now - ANSWERS_KEPT)
    with transaction(factory) as session:
        expired = challenges.purge_expired(session, now, keep=CHALLENGES_KEPT)
    buckets = ratelimit.prune(factory, now, idle_seconds=BUCKETS_KEPT.total_seconds())
    return Swept(answers=answers, challenges=expired, buckets=buckets)
