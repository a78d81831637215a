"""A cap on request bodies for the parties' APIs: past it the body is refused unread (413 bad_request).

Every message between kiosk, center and municipal server is small (a certificate is the largest part),
so anything bigger is refused before it costs memory or parsing time.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kofu.rules.reasons import Reason

MAX_BODY = 64 * 1024


class BodySizeLimit:
    """ASGI middleware: a request whose body passes `max_bytes` gets 413 and never reaches the app."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
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
            if size > self.max_bytes:
                await _refuse(send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


async def _refuse(send: Send) -> None:
    reason = Reason.BAD_REQUEST
    payload = json.dumps(
        {"reason": reason.value, "message_ja": reason.ja, "message_en": reason.en}, ensure_ascii=False
    ).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
