"""The jpki web app: OCSP (POST and GET, RFC 6960 appendix A) and one CRL per authority.

`kofu jpki serve` runs it with uvicorn. No state between requests beyond the loaded CA keys and the
database engine, so any number of workers can answer.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from urllib.parse import unquote

from cryptography.hazmat.primitives import serialization
from cryptography.x509 import ocsp as x509_ocsp
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kofu.db import make_engine, session_factory, transaction
from kofu.jpki.authority import Authorities
from kofu.jpki.crl import build_crl, next_crl_number
from kofu.jpki.ocsp import respond, unsuccessful
from kofu.jpki.status import CertStatus, certificate_status, revocation_entries
from kofu.logs import get_logger
from kofu.netpki.gate import ANYONE, Gate, allow, install_gate
from kofu.netpki.roles import Role
from kofu.wire.credentials import CertificateType
from kofu.wire.http_errors import install_http_errors

OCSP_REQUEST = "application/ocsp-request"
OCSP_RESPONSE = "application/ocsp-response"
MAX_REQUEST = 64 * 1024

log = get_logger("jpki.server")


async def _bounded_body(request: Request) -> bytes:
    """The request body, or b"" (a malformed request) as soon as it passes MAX_REQUEST: never read on."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_REQUEST:
        return b""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_REQUEST:
            return b""
    return bytes(body)


def create_app(db_url: str, authorities: Authorities, *, gate: Gate | None = None) -> Starlette:
    """The OCSP + CRL app over the jpki database at `db_url`.

    OCSP answers the center (by its network certificate, or on plain HTTP: `gate`); the CRLs, the CA
    certificates and the health check are public."""
    factory = session_factory(make_engine(db_url))

    def lookup(ca: CertificateType, serial: int) -> CertStatus:
        with factory() as session:
            return certificate_status(session, ca, serial)

    def answer(der: bytes) -> Response:
        try:
            body = respond(der, authorities, lookup, datetime.now(UTC))
        except Exception as exc:  # a database or signing failure must still answer in OCSP, never a 500
            log.error("ocsp_internal_error", error=type(exc).__name__)
            body = unsuccessful(x509_ocsp.OCSPResponseStatus.INTERNAL_ERROR)
        return Response(body, media_type=OCSP_RESPONSE)

    @allow(Role.CENTER)
    async def ocsp_post(request: Request) -> Response:
        return await run_in_threadpool(answer, await _bounded_body(request))

    @allow(Role.CENTER)
    async def ocsp_get(request: Request) -> Response:
        encoded = unquote(request.path_params["encoded"])
        try:
            der = base64.b64decode(encoded, validate=False)
        except (binascii.Error, ValueError):
            der = b""
        return await run_in_threadpool(answer, der)

    def crl_der(ca: CertificateType) -> bytes:
        now = datetime.now(UTC)
        with transaction(factory) as session:
            revoked = revocation_entries(session, ca)
            number = next_crl_number(session, ca, now)
        crl = build_crl(authorities.get(ca), revoked, now, number)
        return crl.public_bytes(serialization.Encoding.DER)

    @allow(ANYONE)
    async def crl(request: Request) -> Response:
        ca = request.path_params["ca"]
        if ca not in ("auth", "sign"):
            return Response("unknown authority (auth or sign)\n", status_code=404, media_type="text/plain")
        return Response(await run_in_threadpool(crl_der, ca), media_type="application/pkix-crl")

    @allow(ANYONE)
    async def ca_cert(request: Request) -> Response:
        ca = request.path_params["ca"]
        if ca not in ("auth", "sign"):
            return Response("unknown authority (auth or sign)\n", status_code=404, media_type="text/plain")
        pem = authorities.get(ca).cert.public_bytes(serialization.Encoding.PEM)
        return Response(pem, media_type="application/x-pem-file")

    @allow(ANYONE)
    async def health(_request: Request) -> Response:
        return Response("ok\n", media_type="text/plain")

    app = Starlette(
        routes=[
            Route("/", ocsp_post, methods=["POST"]),
            Route("/ocsp", ocsp_post, methods=["POST"]),
            Route("/ocsp/", ocsp_post, methods=["POST"]),
            Route("/ocsp/{encoded:path}", ocsp_get, methods=["GET"]),
            Route("/crl/{ca}.crl", crl, methods=["GET"]),
            Route("/ca/{ca}.pem", ca_cert, methods=["GET"]),
            Route("/health", health, methods=["GET"]),
        ]
    )
    install_http_errors(app)
    install_gate(app, gate or Gate(plain_role=Role.CENTER))
    return app
