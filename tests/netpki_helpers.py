"""Helpers for the network-PKI tests: serve an ASGI app with mutual TLS on loopback, and GET from it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from kofu.netpki.serving import uvicorn_config


@contextmanager
def serving(app: Any, home: Path, **options: Any) -> Iterator[str]:
    """`app` served by uvicorn with the center's mutual-TLS context on a free loopback port; its URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn_config(
        app, home=home, server_name="center", host="127.0.0.1", port=port, log_level="error", **options
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        assert server.started
        yield f"https://127.0.0.1:{port}/"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def get(url: str, ctx: Any) -> httpx.Response:
    with httpx.Client(verify=ctx, timeout=5) as client:
        return client.get(url)
