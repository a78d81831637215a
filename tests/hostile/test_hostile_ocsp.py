"""Hostile requests to the JPKI's OCSP responder (issue 6 §3).

OCSP answers a bad request in its own protocol: HTTP 200 with an OCSPResponse whose status is
malformedRequest (RFC 6960 §2.3), never a 5xx; and a request body past its limit is not read to
the end (a client cannot make the responder hold an unbounded body in memory).
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any, cast

import anyio
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from starlette.testclient import TestClient

from kofu.jpki.server import MAX_REQUEST, create_app
from kofu.jpki.testbed import Testbed, open_testbed

OCSP_REQUEST = {"content-type": "application/ocsp-request"}


@pytest.fixture
def bed(tmp_path: Path) -> Testbed:
    return open_testbed(tmp_path, f"sqlite:///{tmp_path / 'jpki.db'}")


def _status(content: bytes) -> ocsp.OCSPResponseStatus:
    return ocsp.load_der_ocsp_response(content).response_status


def _request_der(bed: Testbed) -> bytes:
    card = bed.issue()
    cert = card.issued.auth_cert
    issuer = bed.authorities.get("auth").cert
    return (
        ocsp.OCSPRequestBuilder()
        .add_certificate(cert, issuer, hashes.SHA1())
        .build()
        .public_bytes(serialization.Encoding.DER)
    )


def test_bad_ocsp_requests_are_malformed_not_errors(bed: Testbed) -> None:
    good = _request_der(bed)
    client = TestClient(create_app(bed.db_url, bed.authorities))
    assert _status(client.post("/ocsp", content=good, headers=OCSP_REQUEST).content) == (
        ocsp.OCSPResponseStatus.SUCCESSFUL
    )
    bodies = [b"", b"\x00", b"\x30\x82\xff\xff", good[: len(good) // 2], good + b"\x00" * 10, b"A" * 70_000]
    for body in bodies:
        reply = client.post("/ocsp", content=body, headers=OCSP_REQUEST)
        assert (
            reply.status_code == 200 and _status(reply.content) == ocsp.OCSPResponseStatus.MALFORMED_REQUEST
        )
    for encoded in (
        "%%%",
        "not base64!",
        base64.b64encode(b"\x30\x03\x02\x01\x01").decode(),
        "..%2F..%2Fetc",
    ):
        reply = client.get(f"/ocsp/{encoded}")
        assert (
            reply.status_code == 200 and _status(reply.content) == ocsp.OCSPResponseStatus.MALFORMED_REQUEST
        )
    for path in ("/crl/../../etc/passwd.crl", "/ca/%2e%2e.pem", "/crl/x.crl"):
        assert client.get(path).status_code == 404


def test_an_oversized_ocsp_body_is_not_read_to_the_end(bed: Testbed) -> None:
    """A 100 MiB body (1 MiB chunks): the responder stops reading past its 64 KiB limit and answers."""
    app = create_app(bed.db_url, bed.authorities)
    chunks = {"read": 0}
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        chunks["read"] += 1
        return {"type": "http.request", "body": b"\x30" * (1 << 20), "more_body": chunks["read"] < 100}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/ocsp",
        "raw_path": b"/ocsp",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/ocsp-request")],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }
    anyio.run(cast(Any, app), scope, receive, send)
    assert chunks["read"] <= 1 + MAX_REQUEST // (1 << 20)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    assert start["status"] == 200 and _status(body) == ocsp.OCSPResponseStatus.MALFORMED_REQUEST
