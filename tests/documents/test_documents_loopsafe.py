"""pyHanko's sync calls work from a thread whose event loop is running (async handlers, browsers)."""

import asyncio
import threading

from kofu.documents.loopsafe import call_outside_loop


def _nested_run() -> tuple[str, str]:
    # What pyHanko's sync API does inside: start its own loop with asyncio.run.
    return asyncio.run(asyncio.sleep(0, "sealed")), threading.current_thread().name


def test_inside_a_running_loop_the_call_moves_to_a_worker_thread() -> None:
    async def handler() -> tuple[str, str]:
        return call_outside_loop(_nested_run)

    result, thread = asyncio.run(handler())
    assert result == "sealed"
    assert thread.startswith("kofu-pyhanko")


def test_without_a_loop_the_call_stays_on_this_thread() -> None:
    result, thread = call_outside_loop(_nested_run)
    assert result == "sealed"
    assert thread == threading.current_thread().name
