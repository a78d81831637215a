"""PAG-1 under load: concurrent renders of one municipality's day get consecutive, unique numbers, and
on PostgreSQL they take turns instead of colliding on a serial and trying again."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest

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
    barrier = threading.Barrier(RENDERS)
    got: list[str] = []
    guard = threading.Lock()

    def render() -> None:
        order = uuid.uuid4()
        barrier.wait(timeout=30)  # every allocation starts at once
        number = numbers.number_for(
            factory, order_id=order, code="044245", issued_on=day, now=datetime.now(UTC)
        )
        again = numbers.number_for(
            factory, order_id=order, code="044245", issued_on=day, now=datetime.now(UTC)
        )
        assert again == number  # a retry of the same order gets its number back
        with guard:
            got.append(number)

    threads = [threading.Thread(target=render) for _ in range(RENDERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    engine.dispose()
    serials = sorted(int(n.split("-")[2]) for n in got)
    assert serials == list(range(1, RENDERS + 1))
    assert retries == []
