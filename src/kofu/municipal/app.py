"""The municipal server's HTTP API (`/v1`): menu, render, usage registration, health; its published keys.

Called by the center only: every route admits the center's role (its network certificate under mutual
TLS, `kofu.netpki.gate`), and menus, renders and filings also need the center's signed statement
(`kofu.wire.statements`). Thin handlers: each translates HTTP to one `MunicipalService` call; the PDF
goes back in the response body and is kept nowhere (SEC-4).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse

from kofu.audit.chainer import AuditChainer
from kofu.db import limit_worker_threads, migration_lock
from kofu.documents.published import keyset_document
from kofu.logs import get_logger
from kofu.municipal.config import MunicipalConfig
from kofu.municipal.numbers import purge_spent
from kofu.municipal.service import Clock, MunicipalService, utc_now
from kofu.netpki.gate import ANYONE, Gate, allow, install_gate, network_gate
from kofu.netpki.roles import Role
from kofu.registry.errors import RegistryError
from kofu.registry.feed import reflect_due_now
from kofu.rules.decision import Refused
from kofu.rules.reasons import Reason
from kofu.wire.api_errors import documented, install_error_handlers, refusal_response
from kofu.wire.bodylimit import BodySizeLimit
from kofu.wire.docs import api_docs, offline_docs
from kofu.wire.sessions import HealthResponse, MenuResponse, RegistrationResponse
from kofu.wire.statements import Signed

PURGE_EVERY_S = 60.0  # spent statements expire within a minute; their rows go a minute or two later
REFLECT_EVERY_S = 60.0  # a change event is reflected within a minute of the time it takes effect

log = get_logger("municipal.app")

PDF = "application/pdf"

_RULE_REFUSALS = (
    Reason.MUNICIPALITY_UNKNOWN,
    Reason.CARD_UNKNOWN,
    Reason.UNDER_15,
)
_DECISIONS = (*_RULE_REFUSALS, Reason.MAINTENANCE)  # a decision at render/filing time may meet maintenance
_CENTER_ONLY = (Reason.CALLER_NOT_ALLOWED, Reason.STATEMENT_INVALID)


def _pdf_response(schema: str) -> dict[int | str, dict[str, object]]:
    return {
        200: {"content": {PDF: {"schema": {"type": "string", "format": "binary"}}}, "description": schema}
    }


def create_app(
    config: MunicipalConfig,
    *,
    clock: Clock = utc_now,
    service: MunicipalService | None = None,
    gate: Gate | None = None,
) -> FastAPI:
    """The municipal server app for `config` (its tables migrated first when `config.migrate`).

    `gate`: who may call (default: the center, by its network certificate, or on plain HTTP).
    """
    if config.migrate:
        from kofu.municipal.schema import migrate_municipal
        from kofu.registry.schema import migrate_registry

        with migration_lock(config.registry_url):
            migrate_registry(config.registry_url)
        with migration_lock(config.own_db_url):
            migrate_municipal(config.own_db_url)
    svc = service or MunicipalService(config, clock=clock)
    if service is None:
        svc.warm()

    async def purge_spent_statements() -> None:
        while True:
            await anyio.sleep(PURGE_EVERY_S)
            await anyio.to_thread.run_sync(purge_spent, svc.own_sessions, svc.statement_clock())

    async def reflect_due_changes() -> None:
        while True:
            await anyio.sleep(REFLECT_EVERY_S)
            try:
                done = await anyio.to_thread.run_sync(reflect_due_now, svc.registry, svc.clock())
            except RegistryError as exc:  # one bad event must not stop the others' reflection
                log.error("change_not_reflected", code=exc.code, detail=exc.message)
                continue
            if done:
                log.info("changes_reflected", count=done)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        limit_worker_threads(svc.config.worker_threads)  # no more threads than pooled connections
        chainer = AuditChainer(svc.audit, svc.own_sessions)  # this worker's recorded decisions, chained
        chainer.start()
        try:
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(purge_spent_statements)
                tasks.start_soon(reflect_due_changes)
                yield
                tasks.cancel_scope.cancel()
        finally:
            await anyio.to_thread.run_sync(chainer.stop)

    app = FastAPI(
        title=f"kofu municipal server ({svc.rulebook.name_en}, {svc.rulebook.code})",
        version="1",
        description="Menu, render and usage registration for one municipality; called by the center.",
        lifespan=lifespan,
        **api_docs(config.docs),
    )
    install_error_handlers(app)
    app.state.service = svc

    @app.get("/.well-known/kofu/keys")
    @allow(ANYONE)
    def published_keys() -> JSONResponse:
        """This municipality's published key set (certificates, COSE public key): public, for verifiers."""
        return JSONResponse(keyset_document([svc.keys.published]))

    @app.get("/v1/health", response_model=HealthResponse, responses=documented(Reason.CALLER_NOT_ALLOWED))
    @allow(Role.CENTER)
    def health() -> HealthResponse:
        """The server answers."""
        return HealthResponse()

    @app.post(
        "/v1/menu",
        response_model=MenuResponse,
        responses=documented(*_RULE_REFUSALS, *_CENTER_ONLY),
    )
    @allow(Role.CENTER)
    def menu(signed: Signed) -> MenuResponse | JSONResponse:
        """Every kind for the stated certificate serial's holder, allowed or refused, at the current JST
        time."""
        answer = svc.menu(signed)
        return refusal_response(answer) if isinstance(answer, Refused) else answer

    @app.post(
        "/v1/render",
        response_class=Response,
        responses={
            **_pdf_response("the sealed PDF; X-Kofu-* headers bind it to its order"),
            **documented(*_DECISIONS, *_CENTER_ONLY, Reason.NOT_IN_HOUSEHOLD, Reason.SEAL_ABOLISHED),
        },
    )
    @allow(Role.CENTER)
    def render(signed: Signed) -> Response:
        """Compose from one consistent read, render and seal in memory; the bytes are not kept.

        Once per statement of the center: a replayed statement renders nothing."""
        answer = svc.render(signed)
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
        responses=documented(
            *_DECISIONS, *_CENTER_ONLY, Reason.ALREADY_REGISTERED, Reason.WRONG_CERTIFICATE_TYPE
        ),
    )
    @allow(Role.CENTER)
    def registrations(signed: Signed) -> RegistrationResponse | JSONResponse:
        """REG-1: file the usage registration of a card holder whose 本籍 is here (pending until approved)."""
        answer = svc.file_registration(signed)
        return refusal_response(answer) if isinstance(answer, Refused) else answer

    offline_docs(app)
    install_gate(app, gate or network_gate(config.home, plain_role=Role.CENTER))
    app.add_middleware(BodySizeLimit)  # outermost: a body past the cap is refused before anything reads it
    return app


def app_from_settings() -> FastAPI:
    """The app from `KOFU_CONFIG` / `KOFU_*` settings (for `uvicorn --factory ...:app_from_settings`)."""
    from kofu.municipal.config import build_config_from_settings
    from kofu.settings import load_settings

    return create_app(build_config_from_settings(load_settings()))
