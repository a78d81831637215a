"""The kiosk page is for the kiosk only: ASGI middleware in front of the page and its API (T9).

The page is the kiosk's own screen, drawn by a browser on the kiosk itself. So every request must come
from an allowed peer (loopback unless told) under an allowed name (the Host header: a DNS-rebinding page
carries its own name); every API call must carry the token this start put into the page, and come from
the page's own origin (Origin, Sec-Fetch-Site) with a JSON body, so no other web page, whose requests the
kiosk's browser would send, can read the screen (the household's names) or tap for the person. Every
answer carries headers that keep the page out of frames, caches and referrers, and allow only its own
scripts. Refusals are the project's error body with a reason code, never the request's content.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
from collections.abc import Iterable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kofu.logs import get_logger
from kofu.rules.reasons import Reason

TOKEN_HEADER = "x-kofu-page-token"
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_HEADERS = [
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
_SAME_ORIGIN = {"same-origin", "none"}  # "none": typed in the address bar, not sent by any other page

log = get_logger("kiosk")


@dataclass(frozen=True)
class Refusal:
    status: int
    reason: Reason
    why: str  # for the operator's log: which check refused


def host_name(host: str) -> str:
    """The name of a Host header, without its port: `[::1]:8000` → `::1`, `Kiosk:80` → `kiosk`."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class PageGuard:
    """ASGI middleware: the peer, Host, origin, content type and page token checks; security headers."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        token: str,
        allowed_hosts: Iterable[str],
        allowed_clients: Iterable[str],
        api_prefix: str = "/api/",
        csp_exempt: Iterable[str] = (),
    ) -> None:
        self.app = app
        self.token = token.encode()
        self.hosts = frozenset(host_name(h) for h in allowed_hosts)
        self.clients = tuple(ipaddress.ip_network(c, strict=False) for c in allowed_clients)
        self.api_prefix = api_prefix
        self.csp_exempt = tuple(csp_exempt)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = self._headers_for(scope.get("path", ""))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() not in {h for h, _ in headers}
                ]
                message = {**message, "headers": kept + headers}
            await send(message)

        refusal = self.check(scope)
        if refusal is not None:
            log.warning("kiosk page request refused", check=refusal.why)
            await _refuse(send_with_headers, refusal)
            return
        await self.app(scope, receive, send_with_headers)

    def check(self, scope: Scope) -> Refusal | None:
        """The first check a request fails, or None."""
        if not self._peer_allowed(scope.get("client")):
            return Refusal(403, Reason.KIOSK_PAGE_ONLY, "peer")
        request_headers = _header_map(scope)
        host = request_headers.get("host", "")
        if host_name(host) not in self.hosts:
            return Refusal(400, Reason.KIOSK_PAGE_ONLY, "host")
        if not scope.get("path", "").startswith(self.api_prefix):
            return None
        origin = request_headers.get("origin")
        if origin is not None and origin.lower() != f"{scope.get('scheme', 'http')}://{host}".lower():
            return Refusal(403, Reason.KIOSK_PAGE_ONLY, "origin")
        site = request_headers.get("sec-fetch-site")
        if site is not None and site.lower() not in _SAME_ORIGIN:
            return Refusal(403, Reason.KIOSK_PAGE_ONLY, "sec-fetch-site")
        if not hmac.compare_digest(request_headers.get(TOKEN_HEADER, "").encode(), self.token):
            return Refusal(403, Reason.KIOSK_PAGE_ONLY, "token")
        if scope.get("method", "GET") not in _SAFE_METHODS:
            media = request_headers.get("content-type", "").split(";", 1)[0].strip().lower()
            if media != "application/json":
                return Refusal(415, Reason.BAD_REQUEST, "content-type")
        return None

    def _peer_allowed(self, client: object) -> bool:
        if client is None:  # a Unix socket: the peer is on this machine
            return True
        try:
            address = ipaddress.ip_address(client[0])  # type: ignore[index]
        except (ValueError, TypeError, IndexError):
            return False
        return any(address in network for network in self.clients)

    def _headers_for(self, path: str) -> list[tuple[bytes, bytes]]:
        if any(path == p or path.startswith(p + "/") for p in self.csp_exempt):
            return _HEADERS  # the API docs page loads its own scripts, when an operator turned it on
        return [*_HEADERS, (b"content-security-policy", CONTENT_SECURITY_POLICY.encode())]


def _header_map(scope: Scope) -> dict[str, str]:
    """The request's headers by lower-case name (the first of repeated ones), decoded as Latin-1."""
    found: dict[str, str] = {}
    for name, value in scope.get("headers") or []:
        found.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
    return found


async def _refuse(send: Send, refusal: Refusal) -> None:
    reason = refusal.reason
    payload = json.dumps(
        {"reason": reason.value, "message_ja": reason.ja, "message_en": reason.en}, ensure_ascii=False
    ).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": refusal.status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
