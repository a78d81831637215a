"""SEC-5 / STR-1 from the kiosk's side: its center client speaks mutual TLS with the network PKI.

A stand-in center endpoint (GET /v1/notices, answering which terminal it saw) is served by uvicorn with
`kofu.netpki.serving` on loopback; the kiosk's own `make_http_client` connects with its terminal
certificate. Without a certificate, or with a revoked one, the TLS handshake is refused.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI, Request

from kofu.chaos.stack import free_port
from kofu.kiosk.center_client import CenterClient, Unreachable, make_http_client
from kofu.kiosk.config import KioskConfig
from kofu.netpki.authority import NetPaths, create_ca, issue_server, issue_terminal, revoke_terminal
from kofu.netpki.serving import uvicorn_config
from kofu.netpki.tls import scope_terminal_id
from kofu.wire.registers import NoticesResponse

SEEN: list[str | None] = []


def _stand_in_center() -> FastAPI:
    app = FastAPI()

    @app.get("/v1/notices")
    def notices(request: Request, terminal_id: str) -> dict[str, object]:
        SEEN.append(scope_terminal_id(request.scope))
        return {"notices": []}

    return app


@pytest.fixture
def tls_center(kofu_home: Path) -> Iterator[str]:
    create_ca(kofu_home)
    issue_server(kofu_home, "center")
    port = free_port()
    config = uvicorn_config(
        _stand_in_center(),
        home=kofu_home,
        server_name="center",
        host="127.0.0.1",
        port=port,
        crl_check_every=0.0,
        log_level="warning",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"https://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _client(home: Path, url: str, terminal: str, *, with_cert: bool) -> CenterClient:
    paths = NetPaths.under(home)
    cert, key = paths.terminal(terminal)
    config = KioskConfig(
        home=home,
        terminal_id=terminal,
        center_url=url,
        ca_cert=paths.ca_cert,
        client_cert=cert if with_cert else None,
        client_key=key if with_cert else None,
        center_timeout_s=5,
    )
    return CenterClient(make_http_client(config), terminal)


def test_kiosk_center_client_mutual_tls_SEC_5_STR_1(kofu_home: Path, tls_center: str) -> None:
    issue_terminal(kofu_home, "K-0007")
    client = _client(kofu_home, tls_center, "K-0007", with_cert=True)
    assert isinstance(client.notices(), NoticesResponse)
    assert SEEN[-1] == "K-0007"  # the center sees the terminal id of the client certificate
    client.http.close()

    anonymous = _client(kofu_home, tls_center, "K-0007", with_cert=False)
    assert isinstance(anonymous.notices(), Unreachable)  # no certificate: no connection
    anonymous.http.close()

    revoke_terminal(kofu_home, "K-0007")
    time.sleep(0.05)
    revoked = _client(kofu_home, tls_center, "K-0007", with_cert=True)
    assert isinstance(revoked.notices(), Unreachable)
    revoked.http.close()
