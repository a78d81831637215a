"""PAG-1 under load: concurrent renders of one municipality's day get consecutive, unique numbers, and
on PostgreSQL they take turns instead of colliding on a serial and trying again."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest

from concurrency_support import at_once
from kofu.db import make_engine, session_factory
from kofu.municipal import numbers
from kofu.municipal.schema import migrate_municipal

RENDERS = 12


def test_concurrent_renders_number_consecutively_without_retries_pag1(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    migrate_municipal(db_url)
    engine = make_engine(db_url)
    factory = session_factory(engine)
    retries: list[Any] = []

    class Recorder:
        def debug(self, event: str, **fields: Any) -> None:
            retries.append((event, fields))

    monkeypatch.setattr(numbers, "log", Recorder())
    day = date(2026, 12, 7)

    def render(barrier: threading.Barrier) -> str:
        order = uuid.uuid4()
        barrier.wait(timeout=30)  # every allocation starts at once
        now = datetime.now(UTC)
        number = numbers.number_for(factory, order_id=order, code="044245", issued_on=day, now=now)
        again = numbers.number_for(factory, order_id=order, code="044245", issued_on=day, now=now)
        assert again == number  # a retry of the same order gets its number back
        return number

    got = at_once(render, RENDERS)
    engine.dispose()
    serials = sorted(int(n.split("-")[2]) for n in got)
    assert serials == list(range(1, RENDERS + 1))
    assert retries == []
