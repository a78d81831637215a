"""Kiosk test helpers: a center test double, a hand-moved clock, the demo-cards file.

`FakeCenterApi` is a TEST DOUBLE of the center's /v1 API (notes/api.md) behind httpx.MockTransport, so
the kiosk's real `CenterClient` runs against it. It checks the card's signature of the challenge,
keeps orders, and renders real sealed documents (kofu.documents) bound to the order and requester,
or, when told, to another order (to provoke INC-8). It records every request body it receives.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from kofu.jpki.testbed import TestCard
from kofu.kiosk.app import create_app
from kofu.kiosk.config import KioskConfig
from kofu.kiosk.service import KioskService
from kofu.municipal.service import year_choices
from kofu.rules.reasons import Reason
from kofu.wire.challenge import challenge_message
from kofu.wire.credentials import credential_kind
from kofu.wire.orders import RenderedHeaders

TERMINAL = "test-0001"
MUNI = "044245"
OWN = "044245-0000001"
FAMILY = "044245-0000002"
OWN_LABEL = "大衡　太郎"
FAMILY_LABEL = "大衡　花子"


class FakeClock:
    """A clock the test moves by hand (the walk-away timeout)."""

    def __init__(self) -> None:
        self.now = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def _refused(reason: Reason) -> dict[str, Any]:
    return {"reason": reason.value, "message_ja": reason.ja, "message_en": reason.en}


def _note(reason: Reason) -> dict[str, Any]:
    return {"note": reason.value, "note_ja": reason.ja, "note_en": reason.en}


@dataclass
class FakeCenterApi:
    """TEST DOUBLE of the center (module docstring); bind: "own", "other_order" or "other_requester"."""

    home: Path
    bind: str = "own"
    registration_allowed: bool = True
    routed: bool = True  # False: the card is routed nowhere (no 住所地, no registered 本籍地)
    tax_pending: bool = False  # True: the latest fiscal year's tax record is pending (LAG-2), said in a note
    notices: list[dict[str, Any]] = field(default_factory=list)
    calls: list[tuple[str, str, bytes]] = field(default_factory=list)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    registrations: list[dict[str, Any]] = field(default_factory=list)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.calls.append((request.method, request.url.path, request.content))
        parts = request.url.path.strip("/").split("/")[1:]
        body = json.loads(request.content) if request.content else {}
        route = (request.method, *parts)
        if route == ("GET", "notices"):
            return self._json({"notices": self.notices})
        if route == ("POST", "sessions"):
            sid = uuid.uuid4().hex
            challenge = uuid.uuid4().bytes * 2
            self.sessions[sid] = {"challenge": challenge, "auth": None}
            expires = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
            return self._json(
                {
                    "session_id": sid,
                    "challenge_b64": base64.b64encode(challenge).decode(),
                    "expires_at": expires,
                }
            )
        if request.method == "DELETE" and parts[0] == "sessions":
            self.deleted.append(parts[1])
            self.sessions.pop(parts[1], None)
            return httpx.Response(204)
        if parts[0] == "sessions":
            return self._session_step(request.method, parts[1], parts[2], body)
        if parts[0] == "orders":
            return self._order_step(parts[1], parts[2] if len(parts) > 2 else "", body)
        return httpx.Response(404)

    # --- sessions -------------------------------------------------------------------------------
    def _session_step(self, method: str, sid: str, step: str, body: dict[str, Any]) -> httpx.Response:
        sess = self.sessions.get(sid)
        if sess is None:
            return self._json(_refused(Reason.CHALLENGE_UNKNOWN), 422)
        if step == "authenticate":
            der = base64.b64decode(body["certificate_b64"])
            cert = x509.load_der_x509_certificate(der)
            message = challenge_message(sess["challenge"], sid, body["terminal_id"])
            if not _verifies(cert, base64.b64decode(body["signature_b64"]), message):
                return self._json(_refused(Reason.SIGNATURE_INVALID), 422)
            sess["auth"] = der
            sess["credential"] = credential_kind(cert)
            muni = {
                "code": MUNI,
                "name_ja": "大衡村",
                "name_en": "Ohira",
                "role": "jushochi",
                "available": True,
            }
            routes = [muni] if self.routed else []
            return self._json({"credential": sess["credential"], "municipalities": routes})
        if sess["auth"] is None:
            return self._json(_refused(Reason.CHALLENGE_UNKNOWN), 422)
        if step == "menu":
            return self._json(self._menu(sess))
        if step == "challenge":
            sess["challenge"] = uuid.uuid4().bytes * 2
            expires = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
            return self._json(
                {"challenge_b64": base64.b64encode(sess["challenge"]).decode(), "expires_at": expires}
            )
        if step == "registration":
            if sess["credential"] == "phone":
                return self._json(_refused(Reason.PHONE_NOT_ALLOWED_FOR_REGISTRATION), 422)
            cert = x509.load_der_x509_certificate(base64.b64decode(body["signing_certificate_b64"]))
            message = challenge_message(sess["challenge"], sid, body["terminal_id"])
            if not _verifies(cert, base64.b64decode(body["signature_b64"]), message):
                return self._json(_refused(Reason.SIGNATURE_INVALID), 422)
            self.registrations.append(body)
            return self._json({"status": "pending"})
        return httpx.Response(404)

    def _menu(self, sess: dict[str, Any]) -> dict[str, Any]:
        members = [{"person_id": OWN, "label": OWN_LABEL}, {"person_id": FAMILY, "label": FAMILY_LABEL}]
        refused = _refused(Reason.NOT_HONSEKI)
        years = (2024,) if self.tax_pending else (2025, 2024)
        items = [
            {
                "kind": "juminhyo",
                "title_ja": "住民票の写し",
                "title_en": "Residence record",
                "unit_fee": 200,
                "allowed": True,
                "members": members,
                "options": ["setai_nushi", "honseki"],
                "max_copies": 10,
            },
            {
                "kind": "inkan",
                "title_ja": "印鑑登録証明書",
                "title_en": "Seal",
                "unit_fee": 200,
                "allowed": True,
                "members": members[:1],
                "max_copies": 10,
            },
            {
                "kind": "kazei",
                "title_ja": "課税証明書",
                "title_en": "Tax",
                "unit_fee": 200,
                "allowed": True,
                "members": members[:1],
                "fiscal_years": list(years),
                "year_labels": [y.model_dump() for y in year_choices(years)],
                "max_copies": 10,
                **(_note(Reason.TAX_YEAR_PENDING) if self.tax_pending else {}),
            },
            {
                "kind": "koseki",
                "title_ja": "戸籍証明書",
                "title_en": "Family register",
                "unit_fee": 450,
                "allowed": False,
                **refused,
            },
        ]
        allowed = self.registration_allowed and sess["credential"] == "card"
        registration: dict[str, Any] = {"needed": True, "allowed": allowed}
        if not allowed:
            registration.update(_refused(Reason.PHONE_NOT_ALLOWED_FOR_REGISTRATION))
        return {"municipality_code": MUNI, "items": items, "registration": registration}

    # --- orders ---------------------------------------------------------------------------------
    def _order_step(self, oid: str, step: str, body: dict[str, Any]) -> httpx.Response:
        if oid == "quote":
            sess = self.sessions.get(body["session_id"])
            if sess is None or sess["auth"] is None:
                return self._json(_refused(Reason.ORDER_WRONG_SESSION), 403)
            order_id = str(uuid.uuid4())
            fee = (450 if body["kind"] == "koseki" else 200) * body["copies"]
            self.orders[order_id] = {
                "order_id": order_id,
                "state": "quoted",
                "municipality_code": body["municipality_code"],
                "kind": body["kind"],
                "copies": body["copies"],
                "unit_fee": fee // body["copies"],
                "fee": fee,
                "session_id": body["session_id"],
            }
            return self._json(self._public(order_id))
        order = self.orders.get(oid)
        if order is None:
            return self._json(_refused(Reason.ORDER_UNKNOWN), 404)
        if body.get("session_id") != order["session_id"]:
            return self._json(_refused(Reason.ORDER_WRONG_SESSION), 403)
        if step == "pay":
            if order["state"] != "quoted":
                return self._json(_refused(Reason.ORDER_STATE_CONFLICT), 409)
            order.update(state="paid", cash=body["cash"], change=body["cash"] - order["fee"])
            return self._json(self._public(oid))
        if step == "document":
            order["state"] = "rendered"
            return self._document(oid)
        if step == "confirm":
            if order["state"] not in ("rendered", "charged"):
                return self._json(_refused(Reason.ORDER_STATE_CONFLICT), 409)
            order.update(state="charged", charged=order["fee"])
            return self._json(self._public(oid))
        if step == "void":
            if order["state"] in ("charged",):
                return self._json(_refused(Reason.ORDER_STATE_CONFLICT), 409)
            returned = order["fee"] if order["state"] in ("paid", "rendered") else 0
            order.update(state="voided", cash_returned=returned, void_reason=body["reason"])
            return self._json(self._public(oid))
        return httpx.Response(404)

    def _public(self, oid: str) -> dict[str, Any]:
        return {k: v for k, v in self.orders[oid].items() if k not in ("session_id", "void_reason")}

    def _document(self, oid: str) -> httpx.Response:
        from kofu.documents import samples
        from kofu.documents.issue import render_and_seal
        from kofu.documents.keys import sealing_keys
        from kofu.rules.rulebook import load_rulebook
        from kofu.verify.key import verifier_key

        order = self.orders[oid]
        requester = self.sessions[order["session_id"]]["auth"]
        bound_order = str(uuid.uuid4()) if self.bind == "other_order" else oid
        if self.bind == "other_requester":
            requester = b"somebody else's certificate"
        rulebook = load_rulebook("ohira")
        content = samples.juminhyo(rulebook, order_id=bound_order, requester=requester)
        keys = sealing_keys(self.home, rulebook.code, rulebook.name)
        pdf = render_and_seal(content, keys, verifier_key(self.home).public)
        headers = {
            "content-type": "application/pdf",
            **RenderedHeaders(
                order_id=uuid.UUID(oid),
                requester_cert_digest=hashlib.sha256(self.sessions[order["session_id"]]["auth"]).hexdigest(),
                document_number=content.header.unique_number,
                document_digest=hashlib.sha256(pdf).hexdigest(),
                pages=1,
            ).http(),
        }
        return httpx.Response(200, content=pdf, headers=headers)

    @staticmethod
    def _json(data: dict[str, Any], status: int = 200) -> httpx.Response:
        return httpx.Response(status, json=data)

    def sent_bytes(self) -> bytes:
        return b"\n".join(body for _, _, body in self.calls)


def _verifies(cert: x509.Certificate, signature: bytes, message: bytes) -> bool:
    key = cert.public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    try:
        key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except Exception:
        return False
    return True


@dataclass
class Kiosk:
    """A kiosk terminal under test: its service, app, config, center double, clock and cards."""

    service: KioskService
    config: KioskConfig
    center: FakeCenterApi
    clock: FakeClock
    cards: list[TestCard]

    def app(self) -> Any:
        return create_app(self.config, service=self.service)


def page_client(app: Any) -> Any:
    """A TestClient speaking as the kiosk's own page: on loopback, under a served name, with this start's
    token and JSON bodies (the page guard refuses anything else, T9)."""
    from fastapi.testclient import TestClient

    headers = {"X-Kofu-Page-Token": app.state.page_token, "Content-Type": "application/json"}
    return TestClient(app, base_url="http://127.0.0.1:8000", client=("127.0.0.1", 50000), headers=headers)


def write_demo_cards(home: Path, cards: list[TestCard], pins: list[str]) -> None:
    entries = [
        {
            "card": str(c.path),
            "pin": pin,
            "person": c.issued.person_id,
            "label": f"demo {i}",
            "jushochi": MUNI,
            "honsekichi": [],
            "shows": "issuance",
        }
        for i, (c, pin) in enumerate(zip(cards, pins, strict=True))
    ]
    (home / "demo-cards.json").write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
