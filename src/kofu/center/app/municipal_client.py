"""The center's client of the municipal servers (httpx, mutual TLS when configured).

Any failure to get an answer (no connection, a timeout, a 5xx, a body that is not what the API says)
is `municipality_unavailable` for that municipality only; a refusal the server gives is passed on as
it is. Connections are pooled per event loop and municipal server (a pure cache: losing it costs a
handshake, never correctness); nothing of a request is kept.
"""

from __future__ import annotations

import asyncio
import ssl
import weakref
from collections.abc import Mapping
from dataclasses import dataclass

import httpx
from pydantic import ValidationError

from kofu.logs import get_logger
from kofu.rules.decision import Refused
from kofu.rules.reasons import Reason
from kofu.wire.common import ErrorBody
from kofu.wire.orders import RenderedHeaders, RenderRequest
from kofu.wire.sessions import MenuQuery, MenuResponse, RegistrationFiling, RegistrationResponse

log = get_logger("center.municipal")

UNAVAILABLE = Refused(Reason.MUNICIPALITY_UNAVAILABLE)


@dataclass(frozen=True)
class Fetched:
    """A rendered document as it came from the municipal server: bytes and binding headers."""

    pdf: bytes
    headers: RenderedHeaders


def _refusal(reply: httpx.Response) -> Refused:
    if reply.status_code >= 500 and reply.status_code != 503:
        return UNAVAILABLE
    try:
        body = ErrorBody.model_validate_json(reply.content)
    except ValidationError:
        return UNAVAILABLE
    return Refused(body.reason)


class MunicipalClient:
    """Calls `/v1/...` of a municipal server at its base URL from the municipality register."""

    def __init__(
        self,
        *,
        timeout: float = 10.0,
        ssl_context: ssl.SSLContext | None = None,
        transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
    ) -> None:
        self.timeout = timeout
        self.ssl_context = ssl_context
        self.transports = dict(transports or {})  # code → transport (tests: the municipal app in process)
        self._pools: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[tuple[str, str, int], httpx.AsyncClient]
        ] = weakref.WeakKeyDictionary()

    def _client(self, code: str, base_url: str) -> httpx.AsyncClient:
        transport = self.transports.get(code)
        pool = self._pools.setdefault(asyncio.get_running_loop(), {})
        key = (code, base_url, id(transport))
        client = pool.get(key)
        if client is None or client.is_closed:
            if transport is not None:
                client = httpx.AsyncClient(transport=transport, base_url=base_url, timeout=self.timeout)
            else:
                verify: ssl.SSLContext | bool = self.ssl_context if self.ssl_context is not None else True
                client = httpx.AsyncClient(base_url=base_url, timeout=self.timeout, verify=verify)
            pool[key] = client
        return client

    async def _post(self, code: str, base_url: str, path: str, body: str) -> httpx.Response | Refused:
        try:
            client = self._client(code, base_url)
            return await client.post(path, content=body, headers={"Content-Type": "application/json"})
        except (httpx.HTTPError, OSError, ssl.SSLError) as exc:
            log.warning("municipal_unreachable", municipality=code, error=type(exc).__name__)
            return UNAVAILABLE

    async def menu(self, code: str, base_url: str, query: MenuQuery) -> MenuResponse | Refused:
        """The menu of one municipality for this card, or why not."""
        reply = await self._post(code, base_url, "/v1/menu", query.model_dump_json())
        if isinstance(reply, Refused):
            return reply
        if reply.status_code != 200:
            return _refusal(reply)
        try:
            return MenuResponse.model_validate_json(reply.content)
        except ValidationError:
            return UNAVAILABLE

    async def render(self, code: str, base_url: str, request: RenderRequest) -> Fetched | Refused:
        """The sealed PDF of one order and its binding headers, or why not (kept only in memory)."""
        reply = await self._post(code, base_url, "/v1/render", request.model_dump_json())
        if isinstance(reply, Refused):
            return reply
        if reply.status_code != 200:
            return _refusal(reply)
        try:
            headers = RenderedHeaders(
                order_id=reply.headers.get("x-kofu-order-id", ""),
                requester_cert_digest=reply.headers.get("x-kofu-requester-digest", ""),
                document_number=reply.headers.get("x-kofu-document-number", ""),
                document_digest=reply.headers.get("x-kofu-document-digest", ""),
                pages=reply.headers.get("x-kofu-pages", "0"),
            )
        except ValidationError:
            return Refused(Reason.DOCUMENT_NOT_BOUND)
        return Fetched(reply.content, headers)

    async def file_registration(
        self, code: str, base_url: str, filing: RegistrationFiling
    ) -> RegistrationResponse | Refused:
        """REG-1: hand a checked usage registration to the municipality."""
        reply = await self._post(code, base_url, "/v1/registrations", filing.model_dump_json())
        if isinstance(reply, Refused):
            return reply
        if reply.status_code != 200:
            return _refusal(reply)
        try:
            return RegistrationResponse.model_validate_json(reply.content)
        except ValidationError:
            return UNAVAILABLE
