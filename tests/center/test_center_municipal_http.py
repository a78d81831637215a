"""The center's poster to a municipal server tells a timeout from an answer lost at once (`ask_again`)."""

from __future__ import annotations

import asyncio

import pytest

from kofu.center.app.municipal_client import ask_again
from kofu.center.app.municipal_http import NetworkPoster, Reply, Unreachable


async def _failure(behaviour: str) -> Unreachable:
    """POST to a local server that hangs up at once (`close`) or never answers (`silent`)."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        if behaviour == "silent":
            await asyncio.sleep(5)
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    poster = NetworkPoster(f"http://127.0.0.1:{port}", timeout=0.3, ssl_context=None)
    try:
        await poster.post("/v1/render", "{}")
    except Unreachable as exc:
        return exc
    finally:
        await poster.aclose()
        server.close()
    raise AssertionError("the server answered")


@pytest.mark.parametrize(("behaviour", "again"), [("close", True), ("silent", False)])
def test_center_municipal_hang_up_asked_again_timeout_not(behaviour: str, again: bool) -> None:
    """A hang-up (a worker killed) is worth one more try; a read that timed out is not."""
    failure = asyncio.run(_failure(behaviour))
    assert failure.timed_out is not again
    assert ask_again(failure) is again


def test_center_municipal_statuses_asked_again() -> None:
    """500 and 502 fail at once: asked again; a 503 is the server's own refusal, a 504 took its time."""
    asked = {status for status in (200, 400, 409, 500, 502, 503, 504) if ask_again(Reply(status, {}, b""))}
    assert asked == {500, 502}
