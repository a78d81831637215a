"""Assembling the center app from its config: database, authenticator, municipal client, registers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import anyio
import httpx
from cryptography import x509
from fastapi import FastAPI
from sqlalchemy import Engine

from kofu.audit.chainer import AuditChainer
from kofu.audit.log import AuditLog, attach_audit, attached
from kofu.center import retention
from kofu.center.app.api import add_routes
from kofu.center.app.config import CenterConfig
from kofu.center.app.municipal_client import Fetched, MunicipalClient
from kofu.center.app.routing import CenterCardRecords
from kofu.center.app.service import CenterService
from kofu.center.auth.authenticator import Authenticator
from kofu.center.auth.cards import CardRecords, RegistryCardRecords
from kofu.center.auth.certificates import CertificateChecker
from kofu.center.auth.revocation import HttpStatusChecker, StatusChecker
from kofu.center.ratelimit import TerminalRateLimit
from kofu.db import limit_worker_threads, make_engine, migration_lock, session_factory, transaction
from kofu.logs import get_logger
from kofu.netpki.gate import Gate, install_gate, network_gate
from kofu.netpki.roles import Role
from kofu.wire.api_errors import install_error_handlers
from kofu.wire.bodylimit import BodySizeLimit
from kofu.wire.docs import api_docs, offline_docs
from kofu.wire.orders import RenderRequest
from kofu.wire.statements import signing_key

Clock = Callable[[], datetime]

log = get_logger("center.app")


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class DocumentRegister:
    """The verification register as the center writes it: each document passed on, each one voided."""

    record: Callable[[RenderRequest, Fetched], None]
    revoke: Callable[[str, datetime], None]


def _verify_register(url: str, *, migrate: bool, engine: Engine | None = None) -> DocumentRegister:
    """Record each passed-on document in the verification register (number, kind, day, digest only),
    and revoke one whose order was voided after it was delivered.

    `engine`: the center's own, when the register is in the center's database (one pool, not two).
    """
    from kofu.rules.paging import parse_document_number
    from kofu.verify.register import Entry, Register, migrate_verify

    if migrate:
        with migration_lock(url):
            migrate_verify(url)
    register = Register(url, engine=engine)

    def record(request: RenderRequest, fetched: Fetched) -> None:
        number = fetched.headers.document_number
        register.record(
            Entry(
                unique_number=number,
                municipality_code=request.municipality_code,
                kind=request.kind.value,
                issued_on=parse_document_number(number).issued_on,
                content_digest=fetched.headers.document_digest,
            )
        )

    def revoke(number: str, at: datetime) -> None:
        register.revoke(number, at=at)

    return DocumentRegister(record, revoke)


def build_service(
    config: CenterConfig,
    *,
    clock: Clock = _utc_now,
    status: StatusChecker | None = None,
    municipal_transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
) -> CenterService:
    """The center's service for `config`; `status` and `municipal_transports` replace the network in tests."""
    if config.migrate:
        from kofu.center.app.schema import migrate_center_all

        migrate_center_all(config.db_url)
    # every decision is appended to the hash-chained audit log, keyed by the home's audit keys
    threads = config.worker_threads
    audit = AuditLog.for_home(config.home) if config.home is not None else AuditLog()
    factory = attach_audit(session_factory(make_engine(config.db_url, threads=threads)), audit)
    auth_ca = x509.load_pem_x509_certificate(config.jpki_auth_ca.read_bytes())
    sign_ca = (
        x509.load_pem_x509_certificate(config.jpki_sign_ca.read_bytes())
        if config.jpki_sign_ca is not None and config.jpki_sign_ca.exists()
        else None
    )
    status = status or HttpStatusChecker(config.ocsp_url)
    cards: CardRecords = (
        RegistryCardRecords(session_factory(make_engine(config.card_records_url, threads=threads)))
        if config.card_records_url
        else CenterCardRecords(factory)
    )
    authenticator = Authenticator(
        factory,
        CertificateChecker(auth_ca, sign_ca),
        status,
        cards,
        clock=clock,
        card_limit=config.card_limit,
    )
    ssl_context = None
    if config.tls_home is not None:
        from kofu.netpki.tls import client_context

        ssl_context = client_context(config.tls_home, server_name=config.tls_server_name)
    municipal = MunicipalClient(
        signing_key(config.statement_key),
        timeout=config.municipal_timeout,
        ssl_context=ssl_context,
        transports=municipal_transports,
    )
    if config.municipalities:
        from kofu.center.registers import add_municipality

        with transaction(factory) as session:
            for m in config.municipalities:
                add_municipality(
                    session,
                    code=m.code,
                    name_ja=m.name_ja,
                    name_en=m.name_en,
                    base_url=m.base_url,
                    now=clock(),
                )
    register = _verify_register(
        config.verify_db_url or config.db_url,
        migrate=config.migrate,
        engine=None if config.verify_db_url else factory.kw["bind"],
    )
    return CenterService(
        factory,
        authenticator,
        municipal,
        sign_ca=sign_ca,
        status=status,
        clock=clock,
        session_lifetime=timedelta(minutes=config.session_minutes),
        record_document=register.record,
        revoke_document=register.revoke,
    )


def create_app(
    config: CenterConfig,
    *,
    service: CenterService | None = None,
    clock: Clock = _utc_now,
    status: StatusChecker | None = None,
    municipal_transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
    gate: Gate | None = None,
) -> FastAPI:
    """The center's FastAPI app (the kiosk → center API of api.md).

    `gate`: who may call (default: terminals, by their network certificate, or on plain HTTP).
    """
    svc = service or build_service(
        config, clock=clock, status=status, municipal_transports=municipal_transports
    )
    audit = attached(svc.factory)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        limit_worker_threads(config.worker_threads)  # no more threads than pooled connections
        # decisions are recorded as pending; this worker's chainer moves them into the chain
        chainer = AuditChainer(audit, svc.factory) if audit is not None else None
        if chainer is not None:
            chainer.start()
        try:
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(_sweep_forever, svc)
                yield
                tasks.cancel_scope.cancel()
        finally:
            await svc.municipal.aclose()
            if chainer is not None:
                await anyio.to_thread.run_sync(chainer.stop)  # its last round may wait on the database

    app = FastAPI(
        title="kofu center",
        version="1",
        description="Kiosk sessions, authentication, routing, orders and the document stream (J-LIS role).",
        lifespan=lifespan,
        **api_docs(config.docs),
    )
    install_error_handlers(app)
    app.state.service = svc
    add_routes(app, svc, require_terminal_cert=config.require_terminal_cert)
    app.add_middleware(TerminalRateLimit, factory=svc.factory, clock=svc.clock)
    # the gate before the limiter (which keys on the caller it proved), the body cap before both
    offline_docs(app)
    install_gate(app, gate or _gate(config))
    app.add_middleware(BodySizeLimit)
    return app


async def _sweep_forever(svc: CenterService) -> None:
    """Retention in production: stored answers, challenges and idle buckets deleted when due."""
    while True:
        await anyio.sleep(retention.SWEEP_EVERY_S)
        swept = await anyio.to_thread.run_sync(retention.sweep, svc.factory, svc.clock())
        log.info("retention_swept", answers=swept.answers, challenges=swept.challenges, buckets=swept.buckets)


def _gate(config: CenterConfig) -> Gate:
    """Terminals: over mutual TLS by their certificate (checked against the CRL at every request)."""
    if config.tls_home is not None:
        return network_gate(config.tls_home, plain_role=Role.TERMINAL)
    return Gate(plain_role=Role.TERMINAL)


def app_from_settings() -> FastAPI:
    """The app from `KOFU_CONFIG` / `KOFU_*` settings (for `uvicorn --factory ...:app_from_settings`)."""
    from kofu.center.app.config import build_config_from_settings
    from kofu.settings import load_settings

    return create_app(build_config_from_settings(load_settings()))
