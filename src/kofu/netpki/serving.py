"""Serving an ASGI app over mutual TLS with uvicorn, the peer's certificate handed to every request.

uvicorn does not put the client certificate into the ASGI scope; `PeerCertH11Protocol` adds it to the
scope's "state" (read it with `kofu.netpki.tls.scope_terminal_id` / `scope_peer_certificate`). Everything
here is module-level so the config can be pickled into uvicorn's worker processes.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from kofu.netpki.tls import PEER_CERT_STATE, live_server_context


class PeerCertH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, also putting the TLS peer's DER certificate into each request's state."""

    def connection_made(self, transport: Any) -> None:
        ssl_object = transport.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        self.app_state = {**self.app_state, PEER_CERT_STATE: der}  # this connection's own copy
        super().connection_made(transport)


@dataclass(frozen=True)
class ServerContextFactory:
    """Builds the server's mutual-TLS context when uvicorn starts; it follows CRL updates while running."""

    home: Path
    server_name: str
    crl_check_every: float = 2.0

    def __call__(self, _config: uvicorn.Config, _default: Callable[[], ssl.SSLContext]) -> ssl.SSLContext:
        return live_server_context(self.home, self.server_name, check_every=self.crl_check_every)


def uvicorn_config(
    app: Any,
    *,
    home: Path,
    server_name: str,
    host: str,
    port: int,
    crl_check_every: float = 2.0,
    **kwargs: Any,
) -> uvicorn.Config:
    """A uvicorn Config serving `app` with mutual TLS as `server_name` (SEC-5).

    A revocation reaches the running server within `crl_check_every` seconds (for new connections).
    """
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=PeerCertH11Protocol,
        ssl_context_factory=ServerContextFactory(home, server_name, crl_check_every),
        **kwargs,
    )
