"""The center's client of the municipal servers (mutual TLS when configured; posting: municipal_http).

Any failure to get an answer (no connection, a timeout, a 5xx, a body that is not what the API says)
is `municipality_unavailable` for that municipality only; a refusal the server gives is passed on as
it is. A menu or a render that failed at once (not by a timeout) is asked once more first (`ask_again`).
Connections are pooled per event loop and municipal server (a pure cache: losing it costs a
handshake, never correctness); nothing of a request is kept.
"""

from __future__ import annotations

import asyncio
import ssl
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import httpx
from pydantic import ValidationError

from kofu.center.app.municipal_http import NetworkPoster, Poster, Reply, TransportPoster, Unreachable
from kofu.logs import get_logger
from kofu.rules.decision import Refused
from kofu.rules.reasons import Reason
from kofu.wire.common import ErrorBody
from kofu.wire.orders import RenderedHeaders, RenderRequest
from kofu.wire.sessions import MenuQuery, MenuResponse, RegistrationFiling, RegistrationResponse
from kofu.wire.statements import R, StatementSigner

log = get_logger("center.municipal")

UNAVAILABLE = Refused(Reason.MUNICIPALITY_UNAVAILABLE)


@dataclass(frozen=True)
class Vouch:
    """What the center's statements for one session's calls name: the session and its sign-in challenge."""

    session_id: str
    challenge: bytes


@dataclass(frozen=True)
class Fetched:
    """A rendered document as it came from the municipal server: bytes and binding headers."""

    pdf: bytes
    headers: RenderedHeaders


# A worker that died mid-request: its supervisor, or a gateway, answers so at once (a lost database: 503).
_FAILED_AT_ONCE = frozenset({500, 502})


def ask_again(failure: Reply | Unreachable) -> bool:
    """Whether a failed idempotent call is worth one more try: yes, unless it already took its whole time.

    A municipal worker killed, or its database connection dropped (503 service_unavailable), fails every
    request it had in flight; the other worker answers the same request at once. Menus are reads, and a
    render gives an order the document number it already has, so asking again can change nothing but
    the answer's arrival.
    """
    if isinstance(failure, Unreachable):
        return not failure.timed_out
    return failure.status in _FAILED_AT_ONCE or _database_failed(failure)


def _database_failed(reply: Reply) -> bool:
    """A 503 service_unavailable: the municipal server's database failed under this request."""
    body = ErrorBody.read(reply.content) if reply.status == 503 else None
    return body is not None and body.reason is Reason.SERVICE_UNAVAILABLE


def _refusal(reply: Reply) -> Refused:
    """The municipal server's own refusal; its failure (its database too) is the municipality's."""
    body = None if reply.status >= 500 and reply.status != 503 else ErrorBody.read(reply.content)
    if body is None or body.reason is Reason.SERVICE_UNAVAILABLE:
        return UNAVAILABLE
    return Refused(body.reason)


class MunicipalClient:
    """Calls `/v1/...` of a municipal server at its base URL from the municipality register."""

    def __init__(
        self,
        signer: StatementSigner,
        *,
        timeout: float = 10.0,
        ssl_context: ssl.SSLContext | None = None,
        transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
    ) -> None:
        self.signer = signer
        self.timeout = timeout
        self.ssl_context = ssl_context
        self.transports = dict(transports or {})  # code → transport (tests: the municipal app in process)
        self._pools: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[tuple[str, str, int], Poster]
        ] = weakref.WeakKeyDictionary()

    def _poster(self, code: str, base_url: str) -> Poster:
        pool = self._pools.setdefault(asyncio.get_running_loop(), {})
        transport = self.transports.get(code)
        key = (code, base_url, id(transport))  # a test may swap a municipality's transport
        poster = pool.get(key)
        if poster is None or poster.closed:
            if transport is not None:
                poster = TransportPoster(base_url, transport, timeout=self.timeout)
            else:
                poster = NetworkPoster(base_url, timeout=self.timeout, ssl_context=self.ssl_context)
            pool[key] = poster
        return poster

    async def aclose(self) -> None:
        """Close this event loop's connections (the app's shutdown)."""
        for poster in self._pools.pop(asyncio.get_running_loop(), {}).values():
            await poster.aclose()

    def _statement(self, request: R, vouch: Vouch) -> Callable[[], str]:
        """The body of each attempt: a statement of its own (a municipal server serves each once)."""

        def body() -> str:
            signed = self.signer.sign(request, session_id=vouch.session_id, challenge=vouch.challenge)
            return signed.model_dump_json()

        return body

    async def _post(
        self, code: str, base_url: str, path: str, body: Callable[[], str], *, idempotent: bool = False
    ) -> Reply | Refused:
        """One POST; an idempotent one is asked once more when it failed without a timeout (`ask_again`)."""
        for attempt in (1, 2):
            try:
                reply = await self._poster(code, base_url).post(path, body())
            except Unreachable as exc:
                log.warning("municipal_unreachable", municipality=code, error=str(exc), attempt=attempt)
                if idempotent and attempt == 1 and ask_again(exc):
                    continue
                return UNAVAILABLE
            if idempotent and attempt == 1 and ask_again(reply):
                log.warning("municipal_failed", municipality=code, status=reply.status, attempt=attempt)
                continue
            return reply
        raise AssertionError("unreachable")

    async def menu(self, code: str, base_url: str, query: MenuQuery, vouch: Vouch) -> MenuResponse | Refused:
        """The menu of one municipality for this card, or why not."""
        reply = await self._post(code, base_url, "/v1/menu", self._statement(query, vouch), idempotent=True)
        if isinstance(reply, Refused):
            return reply
        if reply.status != 200:
            return _refusal(reply)
        try:
            return MenuResponse.model_validate_json(reply.content)
        except ValidationError:
            return UNAVAILABLE

    async def render(
        self, code: str, base_url: str, request: RenderRequest, vouch: Vouch
    ) -> Fetched | Refused:
        """The sealed PDF of one order and its binding headers, or why not (kept only in memory)."""
        body = self._statement(request, vouch)
        reply = await self._post(code, base_url, "/v1/render", body, idempotent=True)
        if isinstance(reply, Refused):
            return reply
        if reply.status != 200:
            return _refusal(reply)
        try:
            headers = RenderedHeaders.from_http(reply.headers)
        except ValidationError:
            return Refused(Reason.DOCUMENT_NOT_BOUND)
        return Fetched(reply.content, headers)

    async def file_registration(
        self, code: str, base_url: str, filing: RegistrationFiling, vouch: Vouch
    ) -> RegistrationResponse | Refused:
        """REG-1: hand a checked usage registration to the municipality."""
        reply = await self._post(code, base_url, "/v1/registrations", self._statement(filing, vouch))
        if isinstance(reply, Refused):
            return reply
        if reply.status != 200:
            return _refusal(reply)
        try:
            return RegistrationResponse.model_validate_json(reply.content)
        except ValidationError:
            return UNAVAILABLE
