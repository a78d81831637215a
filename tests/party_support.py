"""The center, the municipal server and the JPKI responder as in-process apps on one database, with the
kiosk terminals and Ōhira registered at the center (the hostile, issuance and real-center kiosk tests)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from kofu.center.app import CenterConfig
from kofu.center.app.factory import create_app as create_center
from kofu.center.auth.revocation import HttpStatusChecker
from kofu.center.registers import add_municipality, add_terminal
from kofu.db import make_engine, session_factory, transaction
from kofu.jpki.authority import Authorities
from kofu.jpki.server import create_app as create_jpki
from kofu.municipal import MunicipalConfig
from kofu.municipal.app import create_app as create_municipal
from kofu.netpki.tls import PEER_CERT_STATE
from kofu.rules.calendar import office_offset
from kofu.verify.key import verifier_key
from kofu.wire.orders import RenderRequest
from kofu.wire.sessions import MenuQuery, RegistrationFiling
from kofu.wire.statements import center_key_path, signing_key

OHIRA = "044245"


@dataclass
class Parties:
    """The apps (not yet started: wrap them in TestClient) and the shared database."""

    center_app: FastAPI
    municipal_app: FastAPI
    engine: Engine
    factory: sessionmaker[Session]


@contextmanager
def in_process_parties(
    db_url: str,
    home: Path,
    authorities: Authorities,
    *,
    terminals: Sequence[str],
    chain: str = "seven_eleven",
    migrate: bool = False,
    center_clock: Callable[[], datetime] | None = None,
    municipal_clock: Callable[[], datetime] | None = None,
) -> Iterator[Parties]:
    """The parties on `db_url`; the center asks the responder (in process) for OCSP, Ōhira in process.

    Without `municipal_clock`, Ōhira lives in office hours (`office_offset`), whatever the hour.
    """
    if municipal_clock is None:
        offset = office_offset(datetime.now(UTC))
        municipal_clock = lambda: datetime.now(UTC) + offset  # noqa: E731
    municipal_kw: dict[str, Any] = {"clock": municipal_clock}
    center_kw: dict[str, Any] = {} if center_clock is None else {"clock": center_clock}
    keys = home / "keys" / "jpki"
    statement_key = center_key_path(home)
    signing_key(statement_key)  # the center's, before Ōhira loads its public key
    verifier_key(home)  # the verification service's pair: the municipal server finds its public key here
    municipal_app = create_municipal(
        MunicipalConfig(registry_url=db_url, rulebook="ohira", home=home, migrate=migrate), **municipal_kw
    )
    ocsp = TestClient(create_jpki(db_url, authorities))
    center_app = create_center(
        CenterConfig(
            db_url=db_url,
            jpki_auth_ca=keys / "auth-ca.pem",
            jpki_sign_ca=keys / "sign-ca.pem",
            migrate=migrate,
            statement_key=statement_key,
            home=home,  # the audit keys, shared with the municipal server (one database, one chain)
        ),
        status=HttpStatusChecker("http://testserver/ocsp", client=ocsp),
        municipal_transports={OHIRA: httpx.ASGITransport(app=municipal_app)},
        **center_kw,
    )
    engine = make_engine(db_url)
    factory = session_factory(engine)
    with transaction(factory) as session:
        now = datetime.now(UTC)
        for terminal in terminals:
            add_terminal(
                session, terminal_id=terminal, chain=chain, store_code="S1", store_name="大衡店", now=now
            )
        add_municipality(
            session, code=OHIRA, name_ja="大衡村", name_en="Ōhira", base_url="http://ohira.test", now=now
        )
    try:
        yield Parties(center_app, municipal_app, engine, factory)
    finally:
        ocsp.close()
        center_app.state.service.factory.kw["bind"].dispose()
        municipal_app.state.service.close()
        engine.dispose()


_MUNICIPAL_REQUESTS: dict[str, type[MenuQuery | RenderRequest | RegistrationFiling]] = {
    "/v1/menu": MenuQuery,
    "/v1/render": RenderRequest,
    "/v1/registrations": RegistrationFiling,
}


def center_statement(home: Path, path: str, body: dict[str, Any], *, session_id: str = "test-session") -> Any:
    """The JSON body the center sends to a municipal server's `path`: `body` in a statement signed with
    the center's key under `home` (a fresh one each call, as the center makes)."""
    request = _MUNICIPAL_REQUESTS[path].model_validate(body)
    signed = signing_key(center_key_path(home)).sign(request, session_id=session_id, challenge=b"test")
    return json.loads(signed.model_dump_json())


class PeerCertificate:
    """What `kofu.netpki.serving` does for a mutual-TLS connection: the peer's DER in the request state
    (`der` None: a TLS connection without a client certificate)."""

    def __init__(self, app: Any, der: bytes | None) -> None:
        self.app, self.der = app, der

    def openapi(self) -> dict[str, Any]:
        """The app's schema (schemathesis sends its cases through this peer)."""
        return dict(self.app.openapi())

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            state = {**(scope.get("state") or {}), PEER_CERT_STATE: self.der}
            scope = {**scope, "scheme": "https", "state": state}
        await self.app(scope, receive, send)
