"""The municipal server's HTTP API (`/v1`): menu, render, usage registration, health; its published keys;
the village's change events.

Called by the center (its network certificate under mutual TLS, `kofu.netpki.gate`): menus, renders and
filings also need the center's signed statement (`kofu.wire.statements`). One route is the
municipality's own office systems' only: `POST /v1/changes`, a file of change events (the body, bounded
by `FEED_MAX_BODY`), as `kofu village apply` takes it. Thin handlers: each translates HTTP to one
`MunicipalService` call; the PDF goes back in the response body and is kept nowhere (SEC-4).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

import anyio
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from kofu.audit.chainer import AuditChainer
from kofu.db import limit_worker_threads, migration_lock
from kofu.documents.published import keyset_document
from kofu.logs import get_logger
from kofu.municipal.config import MunicipalConfig
from kofu.municipal.numbers import purge_spent
from kofu.municipal.service import Clock, MunicipalService, utc_now
from kofu.netpki.gate import ANYONE, Gate, allow, install_gate, network_gate, scope_peer
from kofu.netpki.roles import Role
from kofu.registry.errors import RegistryError
from kofu.registry.feed import FeedRefused, reflect_due_now
from kofu.registry.feed_events import FeedFormat
from kofu.rules.decision import Refused
from kofu.rules.reasons import Reason
from kofu.wire.api_errors import documented, install_error_handlers, refusal_response, status_of
from kofu.wire.bodylimit import BodySizeLimit
from kofu.wire.common import ErrorBody
from kofu.wire.docs import api_docs, offline_docs
from kofu.wire.feed import FeedApplied, FeedRefusal
from kofu.wire.sessions import HealthResponse, MenuResponse, RegistrationResponse
from kofu.wire.statements import Signed

PURGE_EVERY_S = 60.0  # spent statements expire within a minute; their rows go a minute or two later
REFLECT_EVERY_S = 60.0  # a change event is reflected within a minute of the time it takes effect

log = get_logger("municipal.app")

PDF = "application/pdf"
CHANGES = "/v1/changes"
# A change file posted at once: far above a month of a village's events (a CSV line is ~100 bytes), far
# below what a worker may hold; a larger file is split, or applied with `kofu village apply`.
FEED_MAX_BODY = 8 * 1024 * 1024
FEED_FORMATS: dict[str, FeedFormat] = {
    "text/csv": "csv",
    "application/jsonl": "jsonl",
    "application/x-ndjson": "jsonl",
}

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


def _feed_body() -> dict[str, object]:
    """OpenAPI: the request body is the file itself, in one of `FEED_FORMATS`."""
    file = {"schema": {"type": "string", "maxLength": FEED_MAX_BODY}}
    return {"requestBody": {"required": True, "content": dict.fromkeys(FEED_FORMATS, file)}}


def feed_format(content_type: str | None) -> FeedFormat | None:
    """The change file's format its Content-Type names (parameters such as charset aside: the encoding
    is found as `kofu village apply` finds it), or None."""
    return FEED_FORMATS.get((content_type or "").split(";", 1)[0].strip().lower())


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
        description="Menu, render and usage registration for one municipality, called by the center; "
        "the village's change events, posted by its own office systems.",
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
        return Response(answer.pdf, media_type=PDF, headers=answer.headers.http())

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

    @app.post(
        CHANGES,
        response_model=FeedApplied,
        responses={
            **documented(Reason.CALLER_NOT_ALLOWED, Reason.UNSUPPORTED),
            413: {"model": ErrorBody, "description": f"refused: the file is over {FEED_MAX_BODY:,} bytes"},
            422: {"model": FeedRefusal, "description": "refused: feed_refused, each problem by line, field"},
        },
        openapi_extra=_feed_body(),
    )
    @allow(Role.OFFICE)
    async def changes(request: Request) -> FeedApplied | JSONResponse:
        """The village's change events, one file (CSV: `text/csv`; JSON Lines: `application/jsonl` or
        `application/x-ndjson`), applied all or nothing, each event ID once, pending until its time.

        Filed by the office system its network certificate names."""
        fmt = feed_format(request.headers.get("content-type"))
        if fmt is None:
            return refusal_response(Reason.UNSUPPORTED)
        peer = scope_peer(request.scope)
        by = peer.name if peer is not None and peer.name else "office"
        answer = await anyio.to_thread.run_sync(partial(svc.apply_changes, await request.body(), fmt, by=by))
        if isinstance(answer, FeedRefused):
            body = FeedRefusal.of_problems(answer.problems).model_dump(mode="json")
            return JSONResponse(body, status_code=status_of(Reason.FEED_REFUSED))
        return FeedApplied.of(answer)

    offline_docs(app)
    install_gate(app, gate or network_gate(config.home, plain_role=Role.CENTER))
    # outermost: a body past its cap is refused before anything reads it (a change file's cap is its own)
    app.add_middleware(BodySizeLimit, larger={CHANGES: FEED_MAX_BODY})
    return app


def app_from_settings() -> FastAPI:
    """The app from `KOFU_CONFIG` / `KOFU_*` settings (for `uvicorn --factory ...:app_from_settings`)."""
    from kofu.municipal.config import build_config_from_settings
    from kofu.settings import load_settings

    return create_app(build_config_from_settings(load_settings()))
