"""A database that stops answering: 503 service_unavailable with its sentences, never a 500.

The lost database is real: an engine pointed at a loopback port where nothing listens, swapped in
after the apps were built, so every connection attempt is refused by the operating system.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from issuance_world import OHIRA, TERMINAL, World
from kofu.db import make_engine
from kofu.rules.reasons import Reason
from party_support import center_statement

NOWHERE = "postgresql+psycopg://kofu@127.0.0.1:9/kofu?connect_timeout=2"


@pytest.fixture
def dead_engine() -> Iterator[Engine]:
    engine = make_engine(NOWHERE)
    yield engine
    engine.dispose()


def _unavailable(reply: object) -> None:
    assert reply.status_code == 503, reply.text  # type: ignore[attr-defined]
    body = reply.json()  # type: ignore[attr-defined]
    assert body["reason"] == "service_unavailable"
    assert body["message_ja"] == Reason.SERVICE_UNAVAILABLE.ja and body["message_en"]
    assert "Traceback" not in reply.text and "127.0.0.1" not in reply.text  # type: ignore[attr-defined]


def test_issuance_municipal_database_down_is_503(
    sqlite_world: World, dead_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The municipal server without its registry answers 503 service_unavailable, not 500."""
    monkeypatch.setattr(sqlite_world.municipal_app.state.service, "registry", dead_engine)
    client = TestClient(sqlite_world.municipal_app, raise_server_exceptions=False)
    query = {"auth_serial": "ab", "credential": "card", "municipality_code": OHIRA, "role": "jushochi"}
    reply = client.post("/v1/menu", json=center_statement(sqlite_world.home, "/v1/menu", query))
    _unavailable(reply)
    assert "503" in sqlite_world.municipal_app.openapi()["paths"]["/v1/menu"]["post"]["responses"]


def test_issuance_center_database_down_is_503(sqlite_world: World, dead_engine: Engine) -> None:
    """The center without its database: a route and the rate-limit middleware before it both say 503."""
    factory = sqlite_world.center_app.state.service.factory
    bind = factory.kw["bind"]
    factory.configure(bind=dead_engine)
    try:
        client = TestClient(sqlite_world.center_app, raise_server_exceptions=False)
        opened = client.post("/v1/sessions", json={"terminal_id": TERMINAL, "request_key": uuid.uuid4().hex})
        _unavailable(opened)
        authenticate = client.post(  # the rate limit takes its token in a middleware, outside the routes
            "/v1/sessions/s1/authenticate",
            json={"terminal_id": TERMINAL, "certificate_b64": "AA==", "signature_b64": "AA=="},
        )
        _unavailable(authenticate)
    finally:
        factory.configure(bind=bind)
    paths = sqlite_world.center_app.openapi()["paths"]
    assert all("503" in paths[p]["post"]["responses"] for p in ("/v1/sessions", "/v1/orders/quote"))
    assert (
        sqlite_world.center.post(
            "/v1/sessions", json={"terminal_id": TERMINAL, "request_key": uuid.uuid4().hex}
        ).status_code
        == 200
    )  # back at once when the database is


def test_issuance_center_asks_a_municipal_server_without_database_again_once(
    sqlite_world: World, dead_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Routing: the municipal 503 is asked once more, then the kiosk reads municipality_unavailable."""
    card = sqlite_world.issue(sqlite_world.person("adult_resident"))
    step = sqlite_world.signed_in(card)
    service = sqlite_world.municipal_app.state.service
    asked: list[object] = []
    menu = service.menu

    def counted(query: object) -> object:
        asked.append(query)
        return menu(query)

    monkeypatch.setattr(service, "menu", counted)
    monkeypatch.setattr(service, "registry", dead_engine)
    items = sqlite_world.menu(step).json()["items"]
    assert {item["reason"] for item in items} == {"municipality_unavailable"}
    assert len(asked) == 2
