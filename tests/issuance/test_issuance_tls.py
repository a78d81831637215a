"""SEC-5: the center calls a municipal server over mutual TLS with the network PKI (kofu.netpki).

The municipal app runs under uvicorn with the production TLS setup on loopback; the center's client
presents the center's certificate. Without a client certificate the handshake fails, and that
municipality alone answers municipality_unavailable.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import uvicorn

from issuance_world import OHIRA, World
from kofu.center.app.municipal_client import MunicipalClient
from kofu.center.registers import add_municipality
from kofu.chaos.stack import free_port
from kofu.db import transaction
from kofu.netpki.authority import create_ca, issue_server
from kofu.netpki.serving import uvicorn_config
from kofu.netpki.tls import client_context


@pytest.fixture
def tls_municipal(sqlite_world: World) -> Iterator[str]:
    """The world's municipal app served over mutual TLS on loopback; its base URL."""
    home = sqlite_world.home
    create_ca(home)
    issue_server(home, "center")
    issue_server(home, "ohira")
    port = free_port()
    server = uvicorn.Server(
        uvicorn_config(
            sqlite_world.municipal_app,
            home=home,
            server_name="ohira",
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the municipal server did not start"
    url = f"https://127.0.0.1:{port}"
    with transaction(sqlite_world.factory) as session:
        add_municipality(
            session, code=OHIRA, name_ja="大衡村", name_en="Ōhira", base_url=url, now=datetime.now(UTC)
        )
    try:
        yield url
    finally:
        server.should_exit = server.force_exit = True  # pooled keep-alive connections need not drain
        thread.join(timeout=10)


def test_issuance_center_to_municipal_over_mutual_tls_sec5(sqlite_world: World, tls_municipal: str) -> None:
    """SEC-5: with the center's certificate the menu comes over TLS; without one, only Ōhira closes."""
    world = sqlite_world
    service = world.center_app.state.service
    step = world.signed_in(world.issue(world.person("adult_resident")))
    signer = service.municipal.signer
    service.municipal = MunicipalClient(signer, ssl_context=client_context(world.home, server_name="center"))
    items = {i["kind"]: i for i in world.menu(step).json()["items"]}
    assert items["juminhyo"]["allowed"] is True

    service.municipal = MunicipalClient(signer, ssl_context=client_context(world.home), timeout=5)  # no cert
    refused = {i["reason"] for i in world.menu(step).json()["items"]}
    assert refused == {"municipality_unavailable"}
