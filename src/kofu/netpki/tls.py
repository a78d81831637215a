"""TLS contexts for mutual TLS between the parties (SEC-5), and the terminal ID of a connected peer.

Servers require a client certificate from the network CA and check the CRL (VERIFY_CRL_CHECK_LEAF):
a terminal with an unknown or revoked certificate is refused at the handshake (STR-1). A context reads
the CRL when it is built, only once `load_crl` believes it (the network CA's, and never older than a CRL
seen before: NetPkiError otherwise); `live_server_context` rebuilds it when the CRL file changes to a
newer CRL, so a revocation takes effect on running servers within seconds and a rollback never does.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography import x509

from kofu.logs import get_logger
from kofu.netpki.authority import NetPaths, NetPkiError, crl_number, load_crl, terminal_id_from_cert

log = get_logger("netpki.tls")
PEER_CERT_STATE = "kofu_peer_cert"  # key in the ASGI scope's "state" holding the peer's DER certificate


def _verify_crl(ctx: ssl.SSLContext, home: Path) -> None:
    load_crl(home)  # refuses a rolled-back, replaced or foreign CRL before OpenSSL reads the file
    # OpenSSL reads CRLs from a PEM "CA file" as well
    ctx.load_verify_locations(cafile=str(NetPaths.under(home).crl))
    ctx.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF


def server_context(home: Path, name: str) -> ssl.SSLContext:
    """A server context for the center or a municipal server: client certificates required, CRL checked."""
    paths = NetPaths.under(home)
    cert, key = paths.server(name)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(certfile=str(cert), keyfile=str(key))
    ctx.load_verify_locations(cafile=str(paths.ca_cert))
    _verify_crl(ctx, home)
    ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def live_server_context(home: Path, name: str, *, check_every: float = 2.0) -> ssl.SSLContext:
    """A server context that follows the CRL: each new connection uses a context built from the newest CRL.

    The swap happens in the TLS server-name callback, before the client certificate is verified.
    """
    paths = NetPaths.under(home)
    state: dict[str, Any] = {"ctx": server_context(home, name), "mtime": _mtime(paths.crl), "checked": 0.0}
    state["crl"] = crl_number(load_crl(home))

    def pick_context(ssl_object: ssl.SSLObject, _server_name: str | None, _ctx: ssl.SSLContext) -> None:
        now = time.monotonic()
        if now - state["checked"] >= check_every:
            state["checked"] = now
            mtime = _mtime(paths.crl)
            if mtime != state["mtime"]:
                state["mtime"] = mtime
                try:  # only a newer CRL replaces the one in force
                    number = crl_number(load_crl(home))
                    if (number or 0) > state["crl"]:
                        state["ctx"], state["crl"] = server_context(home, name), number
                except NetPkiError as exc:
                    log.warning("crl_refused", error=str(exc))
        ssl_object.context = state["ctx"]

    base = server_context(home, name)
    base.sni_callback = pick_context
    return base


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return 0


def client_context(
    home: Path,
    *,
    terminal_id: str | None = None,
    server_name: str | None = None,
    check_crl: bool = True,
) -> ssl.SSLContext:
    """A client context that trusts only the network CA and presents a terminal's or a server's certificate.

    Kiosks pass `terminal_id`; the center calling a municipal server passes its own `server_name`.
    """
    paths = NetPaths.under(home)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_verify_locations(cafile=str(paths.ca_cert))
    if check_crl:
        _verify_crl(ctx, home)
    if terminal_id is not None:
        cert, key = paths.terminal(terminal_id)
        ctx.load_cert_chain(certfile=str(cert), keyfile=str(key))
    elif server_name is not None:
        cert, key = paths.server(server_name)
        ctx.load_cert_chain(certfile=str(cert), keyfile=str(key))
    return ctx


def peer_terminal_id(ssl_object: ssl.SSLObject | ssl.SSLSocket | None) -> str | None:
    """The terminal ID of the peer on a TLS connection, or None (no certificate, or not a terminal's)."""
    if ssl_object is None:
        return None
    der = ssl_object.getpeercert(binary_form=True)
    return terminal_id_from_cert(der) if der else None


def scope_peer_certificate(scope: Mapping[str, Any]) -> x509.Certificate | None:
    """The TLS peer's certificate of an ASGI request served by `kofu.netpki.serving`, or None."""
    der = (scope.get("state") or {}).get(PEER_CERT_STATE)
    if not isinstance(der, bytes):
        return None
    try:
        return x509.load_der_x509_certificate(der)
    except ValueError:
        return None


def scope_terminal_id(scope: Mapping[str, Any]) -> str | None:
    """The terminal ID of the TLS peer of an ASGI request (STR-1), or None when it is not a terminal."""
    cert = scope_peer_certificate(scope)
    return terminal_id_from_cert(cert) if cert is not None else None
