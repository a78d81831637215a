"""The municipal server's render slots: bounded, and handed out first come, first served."""

from __future__ import annotations

import threading
import time

import pytest

from kofu.municipal.slots import FairSlots


def _wait_until(check: object, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def test_slots_never_exceed_their_number() -> None:
    slots, inside, peak, lock = FairSlots(2), [0], [0], threading.Lock()

    def work() -> None:
        with slots:
            with lock:
                inside[0] += 1
                peak[0] = max(peak[0], inside[0])
            time.sleep(0.002)
            with lock:
                inside[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak[0] == 2


def test_a_freed_slot_goes_to_the_longest_waiter() -> None:
    slots, order = FairSlots(1), []
    slots.__enter__()  # the slot is taken; eight threads queue up in a known order
    threads = []
    for i in range(8):
        t = threading.Thread(
            target=lambda i=i: (slots.__enter__(), order.append(i), slots.__exit__(None, None, None))
        )
        t.start()
        _wait_until(lambda i=i: slots.waiting == i + 1)
        threads.append(t)
    slots.__exit__(None, None, None)
    # a newcomer arriving while the queue drains must not jump it
    late = threading.Thread(
        target=lambda: (slots.__enter__(), order.append("late"), slots.__exit__(None, None, None))
    )
    late.start()
    for t in [*threads, late]:
        t.join()
    assert order == [*range(8), "late"]


def test_no_slots_is_refused() -> None:
    with pytest.raises(ValueError):
        FairSlots(0)
