"""Bounds on request bodies for the parties' APIs: their size and how deeply their JSON nests.

Every message between kiosk, center and municipal server is small (a certificate is the largest part)
and shallow (a few levels), so a bigger body is refused unread (413 bad_request) and one nested past
`MAX_DEPTH` is refused (400 bad_request) before any middleware or route parses it: Python's JSON
parser would recurse until RecursionError. A route that takes a file (the municipal server's change
feed) is named with its own, larger but still fixed, cap (`larger`); every other path keeps `max_bytes`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kofu.rules.reasons import Reason

MAX_BODY = 64 * 1024
MAX_DEPTH = 32
# a JSON string (skipped whole, brackets inside it count for nothing) or one bracket
_TOKENS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


def json_depth(body: bytes) -> int:
    """How deeply a JSON text nests (0 for a scalar); a malformed text is measured as far as it goes."""
    depth = deepest = 0
    for token in _TOKENS.finditer(body):
        bracket = token.group()
        if bracket in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        elif bracket in (b"]", b"}"):
            depth -= 1
    return deepest


class BodySizeLimit:
    """ASGI middleware: a request whose body passes its cap gets 413 and never reaches the app.

    The cap is `max_bytes`, or for a path named in `larger` (exactly) the cap given there."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int = MAX_BODY,
        max_depth: int = MAX_DEPTH,
        larger: Mapping[str, int] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_depth = max_depth
        self.larger = dict(larger or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = self.larger.get(scope.get("path", ""), self.max_bytes)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > cap):
            await _refuse(send)
            return
        chunks: list[bytes] = []
        size, more = 0, True
        while more:  # buffered up to the cap, then replayed to the app
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > cap:
                await _refuse(send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if json_depth(body) > self.max_depth:
            await _refuse(send, status=400)
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


async def _refuse(send: Send, status: int = 413) -> None:
    reason = Reason.BAD_REQUEST
    payload = json.dumps(
        {"reason": reason.value, "message_ja": reason.ja, "message_en": reason.en}, ensure_ascii=False
    ).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
