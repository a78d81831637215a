"""A slow renderer, made honestly: an HTTP proxy between the center and the municipal server.

The center knows the municipal server only by this proxy's URL. Every request passes unchanged, except
that the reply to `/v1/render` of an order named by `POST /_chaos/slow {"order_id", "seconds"}` is held
back that long (after the municipal server made it), past the center's municipal timeout: the center
gives up, the municipal server has made a document nobody gets. No hook in the parties' code.

Run: `python -m kofu.chaos.proxy --port P --upstream http://127.0.0.1:Q` (one process, one event loop).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import aiohttp

from kofu.center.app.municipal_http import client_session

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


class DelayProxy:
    """The ASGI app: forwards to `upstream`, delaying the render replies of the named orders."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.slow: dict[str, float] = {}  # order id -> seconds to hold its render reply
        self.delayed = 0
        self.client: aiohttp.ClientSession | None = None  # aiohttp: the proxy's CPU counts in the storm

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    if self.client is not None:
                        await self.client.close()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        path: str = scope["path"]
        if path == "/_chaos/slow":
            order = json.loads(body)
            self.slow[str(order["order_id"])] = float(order["seconds"])
            await _reply(send, 200, b'{"ok": true}', [(b"content-type", b"application/json")])
            return
        if path == "/_chaos/stats":
            data = json.dumps({"delayed": self.delayed, "waiting": len(self.slow)}).encode()
            await _reply(send, 200, data, [(b"content-type", b"application/json")])
            return
        await self._forward(scope, body, send)

    async def _forward(self, scope: Scope, body: bytes, send: Send) -> None:
        if self.client is None:
            self.client = client_session(aiohttp.ClientTimeout(total=300))
        headers = [
            (k.decode(), v.decode()) for k, v in scope["headers"] if k.decode().lower() not in HOP_BY_HOP
        ]
        query = scope.get("query_string", b"").decode()
        url = self.upstream + scope["path"] + (f"?{query}" if query else "")
        try:
            async with self.client.request(scope["method"], url, data=body, headers=headers) as answer:
                content = await answer.read()
                status, answer_headers = answer.status, list(answer.headers.items())
        except (aiohttp.ClientError, OSError):  # OSError: timeouts too
            await _reply(send, 502, b"upstream unreachable", [])
            return
        if scope["path"] == "/v1/render":
            seconds = self.slow.pop(_rendered_order(body), None)
            if seconds is not None:
                self.delayed += 1
                await asyncio.sleep(seconds)
        out = [(k.encode(), v.encode()) for k, v in answer_headers if k.lower() not in HOP_BY_HOP]
        await _reply(send, status, content, out)


def _rendered_order(body: bytes) -> str:
    """The order a render asks for, read (not checked: the municipal server does) from the center's
    statement in the body."""
    try:
        statement = base64.urlsafe_b64decode(json.loads(body)["statement"])
        return str(json.loads(statement)["request"]["order_id"])
    except (ValueError, KeyError, TypeError):
        return ""


async def _reply(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", required=True)
    args = parser.parse_args()
    uvicorn.run(DelayProxy(args.upstream), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
