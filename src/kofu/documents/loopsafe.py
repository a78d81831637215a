"""Call pyHanko's synchronous API from anywhere, even a thread whose event loop is running.

pyHanko's sync functions wrap `asyncio.run`, which refuses to start inside a running loop (an async
web handler, or a browser driver that keeps a loop in the main thread); such calls go to a worker thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


def call_outside_loop(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`fn(*args, **kwargs)`, on a worker thread when this thread already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return fn(*args, **kwargs)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kofu-pyhanko") as pool:
        return pool.submit(fn, *args, **kwargs).result()
