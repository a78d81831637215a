"""Retention runs in production: every center worker sweeps on its own while it serves."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from issuance_world import World, at_jst
from kofu.center import retention
from kofu.center.auth.models import AuthChallenge
from kofu.center.models import IdempotencyRecord
from kofu.rules.calendar import JST


@pytest.fixture
def fast_sweeps(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Sweeps every 50 ms (listed before the world, so its center starts with it)."""
    monkeypatch.setattr(retention, "SWEEP_EVERY_S", 0.05)
    yield


def test_the_running_center_deletes_expired_challenges_and_old_answers(
    fast_sweeps: None, sqlite_world: World
) -> None:
    world = sqlite_world
    step = world.signed_in(
        world.issue(world.person("adult_resident"), issued_at=datetime.now(UTC) - timedelta(days=3))
    )
    now = datetime.now(JST)
    noon = at_jst(now.date() if now.hour >= 12 else now.date() - timedelta(days=1), 12)
    world.clock.fixed = world.municipal_clock.fixed = (
        noon  # inside every hour rule, before the session expires
    )
    quoted = world.quote(step, "juminhyo")
    assert quoted.status_code == 200, quoted.text

    def left() -> tuple[int, int]:
        with world.factory() as session:
            challenges = session.scalar(select(func.count()).select_from(AuthChallenge)) or 0
            answers = session.scalar(select(func.count()).select_from(IdempotencyRecord)) or 0
        return int(challenges), int(answers)

    assert left() >= (1, 1)
    world.clock.fixed = noon + timedelta(days=3)
    deadline = time.monotonic() + 10
    while left() != (0, 0) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert left() == (0, 0)
