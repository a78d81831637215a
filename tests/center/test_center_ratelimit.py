"""Rate limits on authentication (issue 6 §3): the token bucket, its storage, and atomic updates.

The pure decision `take` is tested as arithmetic (hypothesis); `check_and_take` on SQLite and
PostgreSQL, from several threads and several engines at once (as several worker processes would).
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from kofu.center.ratelimit import (
    CARD_LIMIT,
    TERMINAL_LIMIT,
    Bucket,
    Limit,
    RateBucket,
    card_key,
    check_and_take,
    limit_for,
    migrate_ratelimit,
    prune,
    retry_after,
    take,
    terminal_key,
)
from kofu.db import make_engine, session_factory
from kofu.rules.decision import Allowed, Refused
from kofu.rules.reasons import Reason

T0 = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


def test_defaults_are_30_a_minute_per_terminal_and_5_per_card() -> None:
    assert limit_for(terminal_key("T-0001")) == TERMINAL_LIMIT == Limit(30, 60.0)
    assert limit_for(card_key(0xABC)) == CARD_LIMIT == Limit(5, 60.0)
    assert card_key(0xABC) == "card:abc"
    with pytest.raises(ValueError):
        limit_for("other:x")


def test_a_full_bucket_allows_its_capacity_then_refuses() -> None:
    limit = Limit(3, 60.0)
    bucket: Bucket | None = None
    answers = []
    for _ in range(5):
        allowed, bucket = take(bucket, limit, 100.0)
        answers.append(allowed)
    assert answers == [True, True, True, False, False]
    assert bucket is not None and retry_after(bucket, limit) == 20  # one token every 20 s


def test_tokens_come_back_at_the_rate_and_never_above_capacity() -> None:
    limit = Limit(2, 10.0)  # one token every 5 s
    _, bucket = take(None, limit, 0.0)
    _, bucket = take(bucket, limit, 0.0)
    assert take(bucket, limit, 4.9)[0] is False
    assert take(bucket, limit, 5.0)[0] is True
    _, later = take(bucket, limit, 10_000.0)
    assert later.tokens == pytest.approx(1.0)  # refilled to 2, one taken


def test_a_clock_behind_the_bucket_refills_nothing() -> None:
    limit = Limit(1, 60.0)
    _, bucket = take(None, limit, 1000.0)
    allowed, after = take(bucket, limit, 400.0)  # another worker's clock, ten minutes behind
    assert not allowed and after.updated_at == 1000.0


@settings(max_examples=200, deadline=None)
@given(
    capacity=st.integers(1, 50),
    per=st.floats(1.0, 600.0),
    gaps=st.lists(st.floats(0.0, 30.0), min_size=1, max_size=120),
)
def test_never_more_than_capacity_plus_refill(capacity: int, per: float, gaps: list[float]) -> None:
    """Over any run of attempts, allowed <= capacity + elapsed * rate (the bucket's promise)."""
    limit = Limit(capacity, per)
    bucket: Bucket | None = None
    now, allowed = 0.0, 0
    for gap in gaps:
        now += gap
        ok, bucket = take(bucket, limit, now)
        allowed += ok
        assert 0.0 <= bucket.tokens <= capacity
    assert allowed <= capacity + now * limit.rate + 1e-9


@settings(max_examples=100, deadline=None)
@given(gaps=st.lists(st.floats(0.0, 5.0), min_size=1, max_size=60))
def test_a_refused_attempt_costs_nothing(gaps: list[float]) -> None:
    """Attempts that were refused do not delay the next token (a flood is refused, not punished forever)."""
    limit = Limit(1, 10.0)
    _, bucket = take(None, limit, 0.0)
    now = 0.0
    for gap in gaps:
        now = min(now + gap, 9.0)
        _, bucket = take(bucket, limit, now)
    assert take(bucket, limit, 10.0)[0] is True


@pytest.fixture
def factory(db_url: str) -> Iterator[sessionmaker[Session]]:
    migrate_ratelimit(db_url)
    engine = make_engine(db_url)
    yield session_factory(engine)
    engine.dispose()


def test_storage_refuses_with_rate_limited_and_refills(factory: sessionmaker[Session]) -> None:
    key = terminal_key("T-0001")
    limit = Limit(2, 60.0)
    answers = [check_and_take(factory, key, T0, limit) for _ in range(3)]
    assert answers[:2] == [Allowed(), Allowed()]
    assert answers[2] == Refused(Reason.RATE_LIMITED)
    assert Reason.RATE_LIMITED.ja and Reason.RATE_LIMITED.en
    assert isinstance(check_and_take(factory, key, T0 + timedelta(seconds=30), limit), Allowed)
    other = terminal_key("T-0002")  # another terminal has its own bucket
    assert isinstance(check_and_take(factory, other, T0, limit), Allowed)


def test_buckets_are_shared_by_every_engine(db_url: str, factory: sessionmaker[Session]) -> None:
    """Two engines (two worker processes) draw from the same bucket: no process memory."""
    second = make_engine(db_url)
    try:
        other = session_factory(second)
        key = card_key(0x1234)
        outcomes = [check_and_take(f, key, T0) for f in (factory, other) * 4]
        assert sum(isinstance(o, Allowed) for o in outcomes) == CARD_LIMIT.capacity
    finally:
        second.dispose()


def test_concurrent_takes_never_overspend(db_url: str, factory: sessionmaker[Session]) -> None:
    """Atomic update: 40 attempts at once from 4 threads on 2 engines; exactly `capacity` are allowed."""
    second = make_engine(db_url)
    try:
        factories = [factory, session_factory(second)]
        limit = Limit(10, 3600.0)
        key = terminal_key("T-race")
        with ThreadPoolExecutor(4) as pool:
            outcomes = list(pool.map(lambda i: check_and_take(factories[i % 2], key, T0, limit), range(40)))
        assert sum(isinstance(o, Allowed) for o in outcomes) == 10
        with factory() as session:
            assert session.scalar(select(func.count()).select_from(RateBucket)) == 1
    finally:
        second.dispose()


def test_bad_keys_are_refused_before_any_write(factory: sessionmaker[Session]) -> None:
    for key in ("", "terminal:" + "x" * 200, "nobody:1"):
        with pytest.raises(ValueError):
            check_and_take(factory, key, T0)
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(RateBucket)) == 0


def test_prune_forgets_idle_buckets_only(factory: sessionmaker[Session]) -> None:
    check_and_take(factory, terminal_key("old"), T0)
    check_and_take(factory, terminal_key("new"), T0 + timedelta(hours=2))
    assert prune(factory, T0 + timedelta(hours=2)) == 1
    with factory() as session:
        assert session.scalars(select(RateBucket.key)).all() == ["terminal:new"]
