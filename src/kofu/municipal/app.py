"""The municipal server's HTTP API (`/v1`): menu, render, usage registration, health.

Called by the center only (mutual TLS in production). Thin handlers: each translates HTTP to one
`MunicipalService` call; the PDF goes back in the response body and is kept nowhere (SEC-4).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse

from kofu.audit.chainer import AuditChainer
from kofu.center.app.http import documented, install_error_handlers, refusal_response
from kofu.db import limit_worker_threads
from kofu.municipal.config import MunicipalConfig
from kofu.municipal.service import Clock, MunicipalService, utc_now
from kofu.rules.decision import Refused
from kofu.rules.reasons import Reason
from kofu.wire.bodylimit import BodySizeLimit
from kofu.wire.orders import RenderRequest
from kofu.wire.sessions import (
    HealthResponse,
    MenuQuery,
    MenuResponse,
    RegistrationFiling,
    RegistrationResponse,
)

PDF = "application/pdf"

_RULE_REFUSALS = (
    Reason.MUNICIPALITY_UNKNOWN,
    Reason.CARD_UNKNOWN,
    Reason.UNDER_15,
)
_DECISIONS = (*_RULE_REFUSALS, Reason.MAINTENANCE)  # a decision at render/filing time may meet maintenance


def _pdf_response(schema: str) -> dict[int | str, dict[str, object]]:
    return {
        200: {"content": {PDF: {"schema": {"type": "string", "format": "binary"}}}, "description": schema}
    }


def create_app(
    config: MunicipalConfig, *, clock: Clock = utc_now, service: MunicipalService | None = None
) -> FastAPI:
    """The municipal server app for `config` (its tables migrated first when `config.migrate`)."""
    if config.migrate:
        from kofu.center.app.schema import migration_lock
        from kofu.municipal.schema import migrate_municipal
        from kofu.registry.schema import migrate_registry

        with migration_lock(config.registry_url):
            migrate_registry(config.registry_url)
        with migration_lock(config.own_db_url):
            migrate_municipal(config.own_db_url)
    svc = service or MunicipalService(config, clock=clock)
    if service is None:
        svc.warm()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        limit_worker_threads(svc.config.worker_threads)  # no more threads than pooled connections
        chainer = AuditChainer(svc.audit, svc.own_sessions)  # this worker's recorded decisions, chained
        chainer.start()
        try:
            yield
        finally:
            await anyio.to_thread.run_sync(chainer.stop)

    app = FastAPI(
        title=f"kofu municipal server ({svc.rulebook.name_en}, {svc.rulebook.code})",
        version="1",
        description="Menu, render and usage registration for one municipality; called by the center.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit)
    app.state.service = svc

    @app.get("/v1/health", response_model=HealthResponse)
    def health() -> HealthResponse:
        """The server answers."""
        return HealthResponse()

    @app.post(
        "/v1/menu",
        response_model=MenuResponse,
        responses=documented(*_RULE_REFUSALS),
    )
    def menu(query: MenuQuery) -> MenuResponse | JSONResponse:
        """Every kind for this certificate serial's holder, allowed or refused, at the current JST time."""
        answer = svc.menu(query)
        return refusal_response(answer) if isinstance(answer, Refused) else answer

    @app.post(
        "/v1/render",
        response_class=Response,
        responses={
            **_pdf_response("the sealed PDF; X-Kofu-* headers bind it to its order"),
            **documented(*_DECISIONS, Reason.NOT_IN_HOUSEHOLD, Reason.SEAL_ABOLISHED),
        },
    )
    def render(request: RenderRequest) -> Response:
        """Compose from one consistent read, render and seal in memory; the bytes are not kept."""
        answer = svc.render(request)
        if isinstance(answer, Refused):
            return refusal_response(answer)
        h = answer.headers
        return Response(
            answer.pdf,
            media_type=PDF,
            headers={
                "X-Kofu-Order-Id": str(h.order_id),
                "X-Kofu-Requester-Digest": h.requester_cert_digest,
                "X-Kofu-Document-Number": h.document_number,
                "X-Kofu-Document-Digest": h.document_digest,
                "X-Kofu-Pages": str(h.pages),
                "Cache-Control": "no-store",
            },
        )

    @app.post(
        "/v1/registrations",
        response_model=RegistrationResponse,
        responses=documented(*_DECISIONS, Reason.ALREADY_REGISTERED, Reason.WRONG_CERTIFICATE_TYPE),
    )
    def registrations(filing: RegistrationFiling) -> RegistrationResponse | JSONResponse:
        """REG-1: file the usage registration of a card holder whose 本籍 is here (pending until approved)."""
        answer = svc.file_registration(filing)
        return refusal_response(answer) if isinstance(answer, Refused) else answer

    return app


def app_from_settings() -> FastAPI:
    """The app from `KOFU_CONFIG` / `KOFU_*` settings (for `uvicorn --factory ...:app_from_settings`)."""
    from kofu.municipal.config import build_config_from_settings
    from kofu.settings import load_settings

    return create_app(build_config_from_settings(load_settings()))
