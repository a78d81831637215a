"""The issuance path in one process, for hostile input: village, JPKI, municipal server, center, kiosk.

Every party runs its real app (the municipal app behind httpx's ASGI transport, the OCSP responder
behind Starlette's test client). `row_counts` counts every table of the shared database, so a test
can show that a refused request wrote nothing.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, inspect, select, table
from sqlalchemy.orm import Session, sessionmaker

from kofu.card.client import JpkiClient
from kofu.card.inprocess import InProcessReader
from kofu.chaos.stack import issue_card
from kofu.registry.cases import find_person
from kofu.wire.challenge import challenge_message

OHIRA = "044245"
TERMINAL = "T-0001"
OTHER_TERMINAL = "T-0002"
FLOOD_TERMINAL = "T-0666"
TERMINALS = (TERMINAL, OTHER_TERMINAL, FLOOD_TERMINAL)
PIN = "1234"
SEED = 11
PERSONS = 80

# Tables whose rows record the attempt itself (the authentication events, the hash-chained audit log
# of every decision, refusals included): a refused request may append there, and nowhere else.
ATTEMPT_TABLES = frozenset(
    {"auth_events", "audit_entries", "audit_head", "audit_pending", "center_rate_buckets"}
)

SQL_LIKE = (
    "'; DROP TABLE orders; --",
    "' OR '1'='1",
    "%",
    "%%_%",
    "\x00",
    "a\x00b",
    "\\",
    "\u202e\u0000\ufeff",
    "𠮷" * 3000,
    "名" * 100_000,
)


@dataclass
class Card:
    """A card issued to a village person: its file, serials and the person."""

    path: Path
    auth_serial: int
    person_id: str


@dataclass
class HostileWorld:
    db_url: str
    home: Path
    center: TestClient
    center_app: FastAPI
    municipal: TestClient
    municipal_app: FastAPI
    engine: Engine
    factory: sessionmaker[Session]
    authorities: Any
    cards: list[Card] = field(default_factory=list)

    def row_counts(self) -> dict[str, int]:
        """Rows per table of the shared database (every party's tables), attempt records left out."""
        names = [n for n in inspect(self.engine).get_table_names() if n not in ATTEMPT_TABLES]
        with self.engine.connect() as conn:
            return {
                n: int(conn.execute(select(func.count()).select_from(table(n))).scalar_one()) for n in names
            }

    def person(self, case: str = "adult_resident") -> str:
        with self.factory() as session:
            return find_person(session, case)

    def issue(self, person_id: str) -> Card:
        """Issue a card through the JPKI, write its file, link it in the registry, route it at the center."""
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
        card = Card(new.path, new.issued.auth_serial, person_id)
        self.cards.append(card)
        return card

    def open(self, terminal_id: str = TERMINAL) -> tuple[str, bytes]:
        """A new kiosk session: its id and challenge."""
        reply = self.center.post("/v1/sessions", json={"terminal_id": terminal_id, "request_key": key()})
        assert reply.status_code == 200, reply.text
        body = reply.json()
        return body["session_id"], base64.b64decode(body["challenge_b64"])

    def card_answer(self, card: Card, session_id: str, challenge: bytes, terminal_id: str) -> dict[str, str]:
        """The authenticate body a kiosk sends: the card's certificate and its signature of the challenge."""
        with InProcessReader(card.path) as reader:
            client = JpkiClient(reader)
            cert = client.read_auth_certificate()
            signature = client.authenticate(challenge_message(challenge, session_id, terminal_id), PIN)
        return {
            "terminal_id": terminal_id,
            "certificate_b64": base64.b64encode(cert).decode(),
            "signature_b64": base64.b64encode(signature).decode(),
        }


def key() -> str:
    return uuid.uuid4().hex


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def is_refusal(reply: Any, *statuses: int) -> bool:
    """A 4xx (one of `statuses` when given) whose body is an ErrorBody with a reason code."""
    if not 400 <= reply.status_code < 500 or (statuses and reply.status_code not in statuses):
        return False
    try:
        body = json.loads(reply.content)
    except ValueError:
        return False
    return isinstance(body, dict) and isinstance(body.get("reason"), str) and bool(body.get("message_en"))


class AsOwnPage:
    """The kiosk app as its own page calls it: from loopback, under a served name, with this start's
    token and, when a POST names no type, a JSON body. The page guard (T9) has its own tests; here the
    hostile input must reach the kiosk's validation behind it."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.token = app.state.page_token.encode()

    def openapi(self) -> dict[str, Any]:
        """The kiosk app's schema: its cases go to the app through this page."""
        return self.app.openapi()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            names = {name.lower() for name, _ in scope["headers"]}
            headers = [(n, v) for n, v in scope["headers"] if n.lower() != b"host"]
            headers += [(b"host", b"127.0.0.1:8000"), (b"x-kofu-page-token", self.token)]
            if scope["method"] == "POST" and b"content-type" not in names:
                headers.append((b"content-type", b"application/json"))
            scope = {**scope, "client": ("127.0.0.1", 50000), "headers": headers}
        await self.app(scope, receive, send)
