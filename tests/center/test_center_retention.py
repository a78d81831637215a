"""Retention at the center (`kofu.center.retention`): stored answers, challenges and idle rate buckets
are deleted once their while is over, and not before."""

from __future__ import annotations

from datetime import timedelta

from center_helpers import NOON, Kiosk
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from kofu.center import retention
from kofu.center.auth.challenges import issue_challenge
from kofu.center.auth.models import AuthChallenge
from kofu.center.auth.schema import migrate_center_auth
from kofu.center.models import IdempotencyRecord
from kofu.center.ratelimit import RateBucket
from kofu.db import transaction

Factory = sessionmaker[Session]


def _count(factory: Factory, model: type) -> int:
    with factory() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_each_kind_of_row_goes_when_its_retention_ends(sqlite_center: Factory, sqlite_url: str) -> None:
    migrate_center_auth(sqlite_url)
    Kiosk(sqlite_center).issue()  # four stored answers, one pay bucket, all at NOON
    with transaction(sqlite_center) as session:
        issue_challenge(session, session_id="s-1", terminal_id="T-SEJ-0001", now=NOON)
    kept = (_count(sqlite_center, IdempotencyRecord), _count(sqlite_center, AuthChallenge))
    assert kept == (4, 1) and _count(sqlite_center, RateBucket) == 1

    assert retention.sweep(sqlite_center, NOON + timedelta(minutes=30)) == retention.Swept(0, 0, 0)
    after_hours = retention.sweep(sqlite_center, NOON + timedelta(hours=2))
    assert after_hours == retention.Swept(answers=0, challenges=1, buckets=1)
    assert retention.sweep(sqlite_center, NOON + timedelta(days=2)) == retention.Swept(4, 0, 0)
    assert _count(sqlite_center, IdempotencyRecord) == 0
