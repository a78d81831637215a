"""The kiosk's center client: a broken kept-alive connection, or the center's database failing (503
service_unavailable), is tried once more with the same request."""

from __future__ import annotations

import httpx

from kofu.kiosk.center_client import CenterClient, Unreachable
from kofu.rules.reasons import Reason
from kofu.wire.common import ErrorBody
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


def _database_down(times: int, seen: list[bytes], reason: str = "service_unavailable") -> CenterClient:
    left = [times]

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.content)
        if left[0]:
            left[0] -= 1
            return httpx.Response(503, json={"reason": reason, "message_ja": "…", "message_en": "…"})
        return httpx.Response(200, json=OPENED)

    http = httpx.Client(base_url="http://center", transport=httpx.MockTransport(handler))
    return CenterClient(http, "T-0001", retry_pause_s=0)


def test_a_center_database_failure_is_asked_again_once_with_the_same_key() -> None:
    seen: list[bytes] = []
    assert isinstance(_database_down(1, seen).open_session(), SessionOpened)
    assert len(seen) == 2 and seen[0] == seen[1]


def test_a_lasting_database_failure_reaches_the_person_and_other_503s_are_not_repeated() -> None:
    seen: list[bytes] = []
    answer = _database_down(2, seen).open_session()
    assert isinstance(answer, ErrorBody) and answer.reason is Reason.SERVICE_UNAVAILABLE
    assert len(seen) == 2
    seen.clear()
    answer = _database_down(1, seen, reason="maintenance").open_session()  # planned: no second try
    assert isinstance(answer, ErrorBody) and answer.reason is Reason.MAINTENANCE
    assert len(seen) == 1


def test_an_authentication_is_not_repeated_after_a_database_failure_sec1() -> None:
    """The failed attempt may have used up the session's single-use challenge: the person is told to
    try again in a moment (service_unavailable), not that the challenge was replayed."""
    seen: list[bytes] = []
    answer = _database_down(1, seen).authenticate("s" * 32, "AAAA", "AAAA")
    assert isinstance(answer, ErrorBody) and answer.reason is Reason.SERVICE_UNAVAILABLE
    assert len(seen) == 1


def test_an_unreachable_center_is_described_without_session_or_order_ids() -> None:
    """The detail goes to the kiosk's log: the call's route, never the session's or order's ID."""

    def broken(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError("reset", request=request)

    http = httpx.Client(base_url="http://center", transport=httpx.MockTransport(broken))
    client = CenterClient(http, "T-0001")
    session = "s" * 32
    assert client.menu(session, "044245") == Unreachable("ReadError on GET /v1/sessions/{id}/menu")
    assert client.pay(session, "o" * 32, 300) == Unreachable("ReadError on POST /v1/orders/{id}/pay")
