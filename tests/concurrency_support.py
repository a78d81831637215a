"""Running one piece of work in many threads at the same moment, for tests of races."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def at_once(work: Callable[[threading.Barrier], T], threads: int) -> list[T]:
    """`work` in `threads` threads, each given one shared barrier to wait on where they must meet.

    The results come back in no particular order; an exception in any thread is raised here.
    """
    barrier = threading.Barrier(threads)
    results: list[T] = []
    errors: list[BaseException] = []
    guard = threading.Lock()

    def run() -> None:
        try:
            result = work(barrier)
        except BaseException as exc:  # handed to the caller, never lost in the thread
            barrier.abort()
            with guard:
                errors.append(exc)
            return
        with guard:
            results.append(result)

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    if errors:
        raise errors[0]
    return results
