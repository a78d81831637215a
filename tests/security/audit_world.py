"""What the T6 tests drive: the center's service as `kofu serve center` builds it, the issuance path in one
process, and the SQL of an insider who can write the database (but cannot read the home's keys)."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from kofu.audit.log import attached
from kofu.card.client import JpkiClient
from kofu.card.inprocess import InProcessReader
from kofu.center import orders, registers
from kofu.center.app.service import CenterService
from kofu.center.orders import Receipt
from kofu.chaos.stack import issue_card
from kofu.db import make_engine, session_factory, transaction
from kofu.rules.kinds import Kind
from kofu.settings import Settings
from kofu.wire.challenge import challenge_message

OHIRA = "044245"
TERMINAL = "T-0001"
DIGEST = "ab" * 32
PIN = "1234"
NOON = datetime(2026, 4, 1, 3, 0, tzinfo=UTC)  # a Wednesday, 12:00 JST


# --- the center as `kofu serve center` builds it (from the settings: the home, its keys, its database) ---


def _throwaway_ca(path: Path) -> None:
    """A CA certificate where the center looks for the JPKI's (no card is checked in these tests)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "T6 test CA")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(NOON - timedelta(days=1))
        .not_valid_after(NOON + timedelta(days=400))
        .sign(key, hashes.SHA256())
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def center_service(home: Path, url: str) -> CenterService:
    """The center's service from the settings of `home` on `url` (production wiring), Ōhira and a terminal."""
    from kofu.center.app.config import build_config_from_settings
    from kofu.center.app.factory import build_service

    _throwaway_ca(home / "keys" / "jpki" / "auth-ca.pem")
    svc = build_service(build_config_from_settings(Settings(home=home, database_url=url)))
    with transaction(svc.factory) as s:
        registers.add_terminal(
            s, terminal_id=TERMINAL, chain="seven_eleven", store_code="S1", store_name="大衡店", now=NOON
        )
        registers.add_municipality(
            s, code=OHIRA, name_ja="大衡村", name_en="Ohira", base_url="https://127.0.0.1:9", now=NOON
        )
    return svc


def issuance(factory: sessionmaker[Session], session_id: str, now: datetime = NOON) -> uuid.UUID:
    """One whole charged issuance through the center's order steps: quote, pay, render, confirm."""
    step: dict[str, Any] = {"session_id": session_id, "terminal_id": TERMINAL, "now": now}
    quoted = orders.quote(
        factory,
        **step,
        municipality_code=OHIRA,
        kind=Kind.JUMINHYO,
        copies=1,
        unit_fee=200,
        requester_cert_digest=DIGEST,
        request_key=uuid.uuid4().hex,
    )
    assert isinstance(quoted, Receipt), quoted
    oid = quoted.order_id
    assert isinstance(
        orders.pay(factory, **step, order_id=oid, cash=200, request_key=uuid.uuid4().hex), Receipt
    )
    rendered = orders.mark_rendered(
        factory,
        **step,
        order_id=oid,
        request_key=uuid.uuid4().hex,
        bound_order_id=oid,
        bound_requester_digest=DIGEST,
        document_digest="cd" * 32,
    )
    assert isinstance(rendered, Receipt), rendered
    done = orders.confirm_print(factory, **step, order_id=oid, request_key=uuid.uuid4().hex)
    assert isinstance(done, Receipt) and done.charged == 200, done
    return oid


def chain_now(svc: CenterService) -> None:
    """What the center's chainer thread does: a round now, and its last round at stop."""
    from kofu.audit.chainer import AuditChainer

    audit = attached(svc.factory)
    assert audit is not None
    chainer = AuditChainer(audit, svc.factory, interval_s=3600)
    chainer.start()
    chainer.stop()


def cli(home: Path, *args: str) -> tuple[int, str]:
    """`kofu audit ARGS` with the home's settings (its keys, its checkpoint file)."""
    from kofu.audit.cli import app

    result = CliRunner().invoke(app, list(args), obj=Settings(home=home))
    return result.exit_code, result.output


# --- the insider: direct SQL on the database, the append-only triggers switched off ---------------------


def sql(url: str, *statements: str, params: dict[str, Any] | None = None) -> list[Any]:
    """Run statements as the database's administrator; the rows of the last one."""
    engine = make_engine(url)
    rows: list[Any] = []
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER USER"))
            else:
                conn.execute(text("DROP TRIGGER IF EXISTS audit_entries_no_update"))
                conn.execute(text("DROP TRIGGER IF EXISTS audit_entries_no_delete"))
            for statement in statements:
                result = conn.execute(text(statement), params or {})
                rows = list(result.mappings()) if result.returns_rows else []
    finally:
        engine.dispose()
    return rows


def swallow_pending_inserts(url: str) -> None:
    """A trigger that silently drops every row inserted into audit_pending."""
    if url.startswith("postgresql"):
        sql(
            url,
            "CREATE FUNCTION swallow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$",
            "CREATE TRIGGER swallow BEFORE INSERT ON audit_pending FOR EACH ROW EXECUTE FUNCTION swallow()",
        )
    else:
        sql(url, "CREATE TRIGGER swallow BEFORE INSERT ON audit_pending BEGIN SELECT RAISE(IGNORE); END")


def drop_swallow(url: str) -> None:
    sql(
        url,
        "DROP TRIGGER swallow ON audit_pending" if url.startswith("postgresql") else "DROP TRIGGER swallow",
    )


def entries(url: str) -> list[dict[str, Any]]:
    return [dict(r) for r in sql(url, "SELECT * FROM audit_entries ORDER BY seq")]


# --- the issuance path through the center's HTTP API (the municipal server behind it) --------------------


@dataclass
class Kiosk:
    """The center app as a kiosk calls it, with the shared database and the home."""

    center: TestClient
    factory: sessionmaker[Session]
    home: Path
    db_url: str
    authorities: Any

    def card(self, person_id: str) -> Path:
        new = issue_card(
            person_id,
            self.home / "cards",
            authorities=self.authorities,
            jpki=self.factory,
            registry=self.factory,
            center=self.factory,
            at=datetime.now(UTC) - timedelta(days=2),
            pin=PIN,
        )
        return new.path

    def signed_in(self, card: Path) -> str:
        reply = self.center.post("/v1/sessions", json={"terminal_id": TERMINAL, "request_key": _key()})
        assert reply.status_code == 200, reply.text
        session_id = reply.json()["session_id"]
        challenge = base64.b64decode(reply.json()["challenge_b64"])
        with InProcessReader(card) as reader:
            client = JpkiClient(reader)
            cert = client.read_auth_certificate()
            signature = client.authenticate(challenge_message(challenge, session_id, TERMINAL), PIN)
        answer = self.center.post(
            f"/v1/sessions/{session_id}/authenticate",
            json={
                "terminal_id": TERMINAL,
                "certificate_b64": base64.b64encode(cert).decode(),
                "signature_b64": base64.b64encode(signature).decode(),
            },
        )
        assert answer.status_code == 200, answer.text
        return session_id

    def steps(self, session_id: str) -> dict[str, str]:
        return {"session_id": session_id, "terminal_id": TERMINAL, "request_key": _key()}

    def decisions(self) -> list[tuple[str, str, str]]:
        """(action, subject, outcome) of everything recorded, chained or not."""
        found = sql(
            self.db_url,
            "SELECT action, subject, outcome FROM audit_entries UNION ALL "
            "SELECT action, subject, outcome FROM audit_pending",
        )
        return [(r["action"], r["subject"], r["outcome"]) for r in found]


@contextmanager
def kiosk_world(db_url: str, home: Path, authorities: Any) -> Iterator[Kiosk]:
    from party_support import in_process_parties

    with (
        in_process_parties(db_url, home, authorities, terminals=(TERMINAL,)) as p,
        TestClient(p.center_app) as center,
    ):
        yield Kiosk(center, session_factory(p.engine), home, db_url, authorities)


def _key() -> str:
    return uuid.uuid4().hex
