"""How the center posts to a municipal server: aiohttp on the network, httpx over an in-process transport.

aiohttp's C parser and connection pool cost a tenth of the CPU of httpx's async client per request
under the storm's concurrency (bench: 0.12 against 1.95 ms a menu, 0.25 against 2.9 ms a document),
and the center makes two such calls a visit. Tests that mount the municipal app in process keep httpx's
ASGI transport. Either way a poster answers a `Reply` or raises `Unreachable`; nothing is kept.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import aiohttp
import httpx

# Below uvicorn's 5 s keep-alive, so the pool drops an idle connection before the server closes it.
KEEPALIVE_S = 4.0
JSON = {"Content-Type": "application/json"}


class Unreachable(Exception):
    """No answer from the municipal server (connection, TLS, timeout, a broken reply)."""

    def __init__(self, what: str, *, timed_out: bool = False) -> None:
        super().__init__(what)
        self.timed_out = timed_out  # the server had its whole time and did not answer


@dataclass(frozen=True)
class Reply:
    """A municipal server's answer: status, headers (names in lower case) and body."""

    status: int
    headers: Mapping[str, str]
    content: bytes


class Poster(Protocol):
    """POSTs JSON to one municipal server."""

    async def post(self, path: str, body: str) -> Reply: ...

    async def aclose(self) -> None: ...

    @property
    def closed(self) -> bool: ...


def client_session(
    timeout: aiohttp.ClientTimeout, ssl_context: ssl.SSLContext | None = None
) -> aiohttp.ClientSession:
    """A pooled aiohttp session for server-to-server JSON: no cookies, no decompression."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(
            ssl=ssl_context if ssl_context is not None else True, keepalive_timeout=KEEPALIVE_S
        ),
        timeout=timeout,
        cookie_jar=aiohttp.DummyCookieJar(),
        auto_decompress=False,
    )


class NetworkPoster:
    """aiohttp to `base_url`, pooled; `timeout` bounds the connection (pool wait included) and each read."""

    def __init__(self, base_url: str, *, timeout: float, ssl_context: ssl.SSLContext | None) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = client_session(
            aiohttp.ClientTimeout(total=None, connect=timeout, sock_read=timeout), ssl_context
        )

    async def post(self, path: str, body: str) -> Reply:
        try:
            async with self.session.post(self.base_url + path, data=body.encode(), headers=JSON) as answer:
                content = await answer.read()
                headers = {k.lower(): v for k, v in answer.headers.items()}
                return Reply(answer.status, headers, content)
        except (aiohttp.ClientError, OSError, ValueError) as exc:  # OSError: timeouts, TLS
            raise Unreachable(type(exc).__name__, timed_out=isinstance(exc, TimeoutError)) from exc

    async def aclose(self) -> None:
        await self.session.close()

    @property
    def closed(self) -> bool:
        return self.session.closed


class TransportPoster:
    """httpx over a given transport (the municipal app mounted in process)."""

    def __init__(self, base_url: str, transport: httpx.AsyncBaseTransport, *, timeout: float) -> None:
        self.client = httpx.AsyncClient(transport=transport, base_url=base_url, timeout=timeout)

    async def post(self, path: str, body: str) -> Reply:
        try:
            answer = await self.client.post(path, content=body, headers=JSON)
        except (httpx.HTTPError, OSError) as exc:  # OSError: TLS too
            timed_out = isinstance(exc, httpx.TimeoutException | TimeoutError)
            raise Unreachable(type(exc).__name__, timed_out=timed_out) from exc
        return Reply(answer.status_code, {k.lower(): v for k, v in answer.headers.items()}, answer.content)

    async def aclose(self) -> None:
        await self.client.aclose()

    @property
    def closed(self) -> bool:
        return self.client.is_closed
