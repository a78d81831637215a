"""The kiosk's center client: a kept-alive connection that breaks under a request is tried once more."""

from __future__ import annotations

import httpx

from kofu.kiosk.center_client import CenterClient, Unreachable
from kofu.wire.sessions import SessionOpened

OPENED = {"session_id": "s" * 32, "challenge_b64": "AAAA", "expires_at": "2026-11-26T00:00:00Z"}


def _client(failures: int, seen: list[bytes]) -> CenterClient:
    left = [failures]

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.content)
        if left[0]:
            left[0] -= 1
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        return httpx.Response(200, json=OPENED)

    http = httpx.Client(base_url="http://center", transport=httpx.MockTransport(handler))
    return CenterClient(http, "T-0001")


def test_a_broken_keep_alive_is_sent_again_with_the_same_key() -> None:
    seen: list[bytes] = []
    answer = _client(1, seen).open_session()
    assert isinstance(answer, SessionOpened)
    assert len(seen) == 2 and seen[0] == seen[1]  # the same body: the same idempotency key


def test_a_second_break_is_unreachable_not_a_loop() -> None:
    seen: list[bytes] = []
    answer = _client(2, seen).open_session()
    assert isinstance(answer, Unreachable)
    assert len(seen) == 2
