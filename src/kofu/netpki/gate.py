"""Every route says who may call it; the gate lets through only those (default deny).

A route's endpoint is declared with `@allow(Role.X, ...)` (or `@allow(ANYONE)`); `RoleGate`, an ASGI
middleware, finds the route a request goes to, proves who the caller is and refuses with 403
`caller_not_allowed` anyone the route does not name, and every call of a route that declares no one.

Who the caller is: over mutual TLS, the role and name its network certificate proves (`kofu.netpki.roles`),
checked against the current CRL at every request, so a certificate revoked while its connection is kept
alive is refused at its next request. On plain HTTP (the demo's loopback, in-process tests) the app's
configured `plain_role`, or no one. The proven peer is put into the request's state for the handlers.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from cryptography import x509
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send

from kofu.netpki.roles import Peer, Role, peer_of_certificate
from kofu.netpki.tls import PEER_CERT_STATE
from kofu.rules.reasons import Reason

ANYONE = "anyone"
KIOSK_PAGE = "kiosk_page"  # the kiosk's own page on its screen: `kofu.kiosk.pageguard` proves it, not TLS
ROLES_ATTRIBUTE = "__kofu_roles__"
PEER_STATE = "kofu_peer"  # key in the ASGI scope's "state" holding the proven `Peer`

F = TypeVar("F", bound=Callable[..., Any])


def allow(*roles: Role | str) -> Callable[[F], F]:
    """Declare who may call a route's endpoint: roles, or `ANYONE` (public)."""
    if not roles:
        raise ValueError("a route declares at least one role, or ANYONE")
    names = frozenset(r.value if isinstance(r, Role) else r for r in roles)
    unknown = names - {*Role.__members__.values(), ANYONE, KIOSK_PAGE}
    if unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")

    def declare(endpoint: F) -> F:
        setattr(endpoint, ROLES_ATTRIBUTE, names)
        return endpoint

    return declare


def declared_roles(route: BaseRoute) -> frozenset[str] | None:
    """The roles a route declares (None: it declares no one, and everyone is refused)."""
    endpoint = getattr(route, "endpoint", None) or getattr(route, "app", None)  # a route, or a mount
    roles = getattr(endpoint, ROLES_ATTRIBUTE, None)
    return roles if isinstance(roles, frozenset) else None


@dataclass
class CrlWatch:
    """The network CA's CRL under `home`, read again when its file changes (looked at every `check_every`
    seconds); a CRL that may not be believed (`authority.load_crl`: forged, rolled back) is not taken,
    and the newest believed one stays."""

    home: Path
    check_every: float = 2.0
    _revoked: frozenset[int] = frozenset()
    _mtime: int = -1
    _checked: float = field(default=-1e9)

    def revoked(self, serial: int) -> bool:
        now = time.monotonic()
        if now - self._checked >= self.check_every:
            self._checked = now
            self._reload()
        return serial in self._revoked

    def _reload(self) -> None:
        from kofu.netpki.authority import NetPaths, NetPkiError, load_crl

        try:
            mtime = NetPaths.under(self.home).crl.stat().st_mtime_ns
        except FileNotFoundError:
            return
        if mtime != self._mtime:
            try:
                crl = load_crl(self.home)
            except NetPkiError:
                return  # keep what was believed; the TLS layer refuses new connections meanwhile
            self._revoked, self._mtime = frozenset(r.serial_number for r in crl), mtime


@dataclass
class Gate:
    """How an app proves its callers: the CRL of the network CA, and the role of plain-HTTP callers.

    `plain_role` is for the demo's loopback and in-process tests only: a caller without a certificate
    gets it. With mutual TLS every connection has a certificate, and `plain_role` never applies.
    """

    plain_role: Role | None = None
    crl: CrlWatch | None = None
    _peers: dict[bytes, Peer | None] = field(default_factory=dict)

    def peer(self, scope: Scope) -> Peer | None:
        """The caller of a request, proven now (None: no one the gate can name)."""
        der = (scope.get("state") or {}).get(PEER_CERT_STATE)
        if der is None:
            return Peer(self.plain_role) if scope.get("scheme") == "http" and self.plain_role else None
        if not isinstance(der, bytes):
            return None
        peer = self._peer_of(der)
        if peer is None or peer.serial is None:
            return None
        if self.crl is not None and self.crl.revoked(peer.serial):
            return None  # revoked while its connection stayed open
        return peer

    def _peer_of(self, der: bytes) -> Peer | None:
        if der not in self._peers:
            if len(self._peers) > 1024:  # a cache of parsed certificates, not a record of callers
                self._peers.clear()
            try:
                self._peers[der] = peer_of_certificate(x509.load_der_x509_certificate(der))
            except ValueError:
                self._peers[der] = None
        return self._peers[der]


def scope_peer(scope: Scope) -> Peer | None:
    """The peer `RoleGate` proved for this request."""
    peer = (scope.get("state") or {}).get(PEER_STATE)
    return peer if isinstance(peer, Peer) else None


class RoleGate:
    """ASGI middleware: a request reaches its route only when the route declares the caller's role.

    `open_paths`: paths the framework itself serves (API docs, when an app enables them), open to anyone.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        routes: Iterable[BaseRoute],
        gate: Gate,
        open_paths: Iterable[str | None] = (),
    ) -> None:
        self.app = app
        self.routes = routes
        self.gate = gate
        self.open_paths = frozenset(p for p in open_paths if isinstance(p, str) and p)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = next((r for r in self.routes if r.matches(scope)[0] is Match.FULL), None)
        if route is None or scope["path"] in self.open_paths:
            await self.app(scope, receive, send)  # the router answers 404 / 405, or the docs
            return
        roles = declared_roles(route)
        peer = self.gate.peer(scope)
        open_to_all = ANYONE in roles or KIOSK_PAGE in roles if roles is not None else False
        if roles is None or not (open_to_all or (peer is not None and peer.role.value in roles)):
            await refuse(send)
            return
        if peer is not None:
            scope.setdefault("state", {})[PEER_STATE] = peer
        await self.app(scope, receive, send)


async def refuse(send: Send, reason: Reason = Reason.CALLER_NOT_ALLOWED, status: int = 403) -> None:
    """A refusal in the parties' error body, sent before the request reaches any route."""
    payload = json.dumps(
        {"reason": reason.value, "message_ja": reason.ja, "message_en": reason.en}, ensure_ascii=False
    ).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


def network_gate(home: Path, plain_role: Role | None) -> Gate:
    """The gate of a party under `home`: its network CA's CRL, and the role of plain-HTTP callers."""
    return Gate(plain_role=plain_role, crl=CrlWatch(home))


def install_gate(app: Any, gate: Gate) -> None:
    """Put `RoleGate` in front of a Starlette or FastAPI app's routes (its API docs open, when enabled)."""
    docs = (getattr(app, name, None) for name in ("openapi_url", "docs_url", "redoc_url"))
    oauth = getattr(app, "swagger_ui_oauth2_redirect_url", None) if getattr(app, "docs_url", None) else None
    app.add_middleware(RoleGate, routes=app.router.routes, gate=gate, open_paths=[*docs, oauth])


def route_table(app: Any) -> list[tuple[str, str, frozenset[str] | None]]:
    """(methods, path, roles) of each route an app serves (its API docs aside): the README's table."""
    docs = {getattr(app, n, None) for n in ("openapi_url", "docs_url", "redoc_url")}
    docs.add(getattr(app, "swagger_ui_oauth2_redirect_url", None))
    rows = []
    for route in app.router.routes:
        path = getattr(route, "path", None)
        if path is None or path in docs:
            continue
        methods = " ".join(sorted(set(getattr(route, "methods", None) or ()) - {"HEAD"}))
        rows.append((methods, path, declared_roles(route)))
    return rows
