"""The kiosk's client of the center's `/v1` API (see notes/api.md), over httpx.

Every method answers the center's model, or its refusal as an `ErrorBody` value; a network failure is
an `Unreachable` value (the kiosk says so to the person). In production the client presents this
terminal's certificate (mutual TLS) and trusts only the network CA.
"""

from __future__ import annotations

import re
import ssl
import time
import uuid
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from kofu.kiosk.config import KioskConfig
from kofu.rules.reasons import Reason
from kofu.wire.common import ErrorBody
from kofu.wire.orders import (
    ConfirmRequest,
    OrderResponse,
    PayRequest,
    QuoteRequest,
    Steps,
    VoidReason,
    VoidRequest,
)
from kofu.wire.registers import NoticesResponse
from kofu.wire.sessions import (
    AuthenticatedResponse,
    AuthenticateRequest,
    ChallengeIssued,
    MenuResponse,
    RegistrationRequest,
    RegistrationResponse,
    SessionOpen,
    SessionOpened,
)

M = TypeVar("M", bound=BaseModel)

_IDS = re.compile(r"(/v1/(?:sessions|orders))/(?!quote$)[^/]+")

# A pause before asking again after the center's database failed: enough for its pool to reconnect.
RETRY_PAUSE_S = 0.25


@dataclass(frozen=True)
class Unreachable:
    """The center did not answer (or answered something that is not its API)."""

    detail: str


@dataclass(frozen=True)
class Document:
    """A rendered document on its way to the printer: the PDF and its X-Kofu-* headers (kept by no one)."""

    pdf: bytes
    headers: dict[str, str]


Failure = ErrorBody | Unreachable


def request_key() -> str:
    """A fresh idempotency key for one request (a retry reuses it)."""
    return uuid.uuid4().hex


def make_http_client(config: KioskConfig) -> httpx.Client:
    """An httpx client for the center: mutual TLS when the terminal has a certificate."""
    verify: ssl.SSLContext | bool = True
    if config.ca_cert is not None or config.client_cert is not None:
        context = ssl.create_default_context(cafile=str(config.ca_cert) if config.ca_cert else None)
        if config.client_cert is not None:
            context.load_cert_chain(
                str(config.client_cert), str(config.client_key) if config.client_key else None
            )
        verify = context
    return httpx.Client(base_url=config.center_url, verify=verify, timeout=config.center_timeout_s)


class CenterClient:
    """One method per center endpoint the kiosk uses."""

    def __init__(self, http: httpx.Client, terminal_id: str, *, retry_pause_s: float = RETRY_PAUSE_S) -> None:
        self.http = http
        self.terminal_id = terminal_id
        self.retry_pause_s = retry_pause_s

    def notices(self) -> NoticesResponse | Failure:
        return self._call("GET", "/v1/notices", NoticesResponse, params={"terminal_id": self.terminal_id})

    def open_session(self) -> SessionOpened | Failure:
        body = SessionOpen(terminal_id=self.terminal_id, request_key=request_key())
        return self._call("POST", "/v1/sessions", SessionOpened, body=body)

    def authenticate(
        self, session_id: str, certificate_b64: str, signature_b64: str
    ) -> AuthenticatedResponse | Failure:
        body = AuthenticateRequest(
            terminal_id=self.terminal_id, certificate_b64=certificate_b64, signature_b64=signature_b64
        )
        # not asked again after a 503: the failed attempt may have used up the single-use challenge (SEC-1)
        return self._call(
            "POST", f"/v1/sessions/{session_id}/authenticate", AuthenticatedResponse, body=body, again=False
        )

    def menu(self, session_id: str, municipality_code: str) -> MenuResponse | Failure:
        params = {"terminal_id": self.terminal_id, "municipality_code": municipality_code}
        return self._call("GET", f"/v1/sessions/{session_id}/menu", MenuResponse, params=params)

    def quote(self, request: QuoteRequest) -> OrderResponse | Failure:
        return self._call("POST", "/v1/orders/quote", OrderResponse, body=request)

    def pay(self, session_id: str, order_id: str, cash: int) -> OrderResponse | Failure:
        body = PayRequest(**self._steps(session_id), cash=cash)
        return self._call("POST", f"/v1/orders/{order_id}/pay", OrderResponse, body=body)

    def document(self, session_id: str, order_id: str) -> Document | Failure:
        body = Steps(**self._steps(session_id))
        path = f"/v1/orders/{order_id}/document"
        try:
            answer = self._send("POST", path, json=body.model_dump(mode="json"))
        except httpx.HTTPError as exc:
            return _unreachable(exc.__class__.__name__, "POST", path)
        if answer.status_code != 200:
            return _error(answer)
        if not answer.headers.get("content-type", "").startswith("application/pdf"):
            return Unreachable("the center's document is not a PDF")
        headers = {k.lower(): v for k, v in answer.headers.items() if k.lower().startswith("x-kofu-")}
        return Document(answer.content, headers)

    def confirm(self, session_id: str, order_id: str, key: str) -> OrderResponse | Failure:
        body = ConfirmRequest(session_id=session_id, terminal_id=self.terminal_id, request_key=key)
        return self._call("POST", f"/v1/orders/{order_id}/confirm", OrderResponse, body=body)

    def void(self, session_id: str, order_id: str, reason: VoidReason) -> OrderResponse | Failure:
        body = VoidRequest(**self._steps(session_id), reason=reason)
        return self._call("POST", f"/v1/orders/{order_id}/void", OrderResponse, body=body)

    def challenge(self, session_id: str) -> ChallengeIssued | Failure:
        body = Steps(**self._steps(session_id))
        return self._call("POST", f"/v1/sessions/{session_id}/challenge", ChallengeIssued, body=body)

    def register(self, session_id: str, request: RegistrationRequest) -> RegistrationResponse | Failure:
        return self._call(
            "POST", f"/v1/sessions/{session_id}/registration", RegistrationResponse, body=request
        )

    def close(self, session_id: str) -> Failure | None:
        """DELETE the session: the center forgets its data."""
        path = f"/v1/sessions/{session_id}"
        try:
            answer = self._send("DELETE", path, params={"terminal_id": self.terminal_id})
        except httpx.HTTPError as exc:
            return _unreachable(exc.__class__.__name__, "DELETE", path)
        if answer.status_code in (200, 204, 404):
            return None
        return _error(answer)

    # --- plumbing -----------------------------------------------------------------------------
    def _steps(self, session_id: str) -> dict[str, str]:
        return {"session_id": session_id, "terminal_id": self.terminal_id, "request_key": request_key()}

    def _send(self, method: str, path: str, *, again: bool = True, **kwargs: Any) -> httpx.Response:
        """One request, sent again once when a kept-alive connection broke under it, or when the center
        answered 503 service_unavailable (its database dropped the connections: asked after a pause,
        unless `again` is False).

        The center may close an idle connection just as the kiosk reuses it. Sending again is safe: order
        and session steps carry their idempotency key, reads and DELETE change nothing twice, and a
        repeated authentication with the same certificate gets the first answer (center steps_sessions).
        """
        try:
            answer = self.http.request(method, path, **kwargs)
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
            return self.http.request(method, path, **kwargs)
        if again and _database_failed(answer):  # the center's database lost its connections: back soon
            time.sleep(self.retry_pause_s)
            return self.http.request(method, path, **kwargs)
        return answer

    def _call(
        self,
        method: str,
        path: str,
        model: type[M],
        *,
        body: BaseModel | None = None,
        params: dict[str, str] | None = None,
        again: bool = True,
    ) -> M | Failure:
        try:
            json = None if body is None else body.model_dump(mode="json")
            answer = self._send(method, path, again=again, params=params, json=json)
        except httpx.HTTPError as exc:
            return _unreachable(exc.__class__.__name__, method, path)
        if answer.status_code >= 300:
            return _error(answer)
        try:
            return model.model_validate_json(answer.content)
        except ValidationError:
            return Unreachable(f"unexpected answer from {path}")


def _unreachable(failure: str, method: str, path: str) -> Unreachable:
    """How a call failed, for the log: the failure and the call's route, without session or order IDs."""
    route = _IDS.sub(r"\1/{id}", path)
    return Unreachable(f"{failure} on {method} {route}")


def _database_failed(answer: httpx.Response) -> bool:
    """A 503 service_unavailable: the center's database failed under this request."""
    body = ErrorBody.read(answer.content) if answer.status_code == 503 else None
    return body is not None and body.reason is Reason.SERVICE_UNAVAILABLE


def _error(answer: httpx.Response) -> Failure:
    body = ErrorBody.read(answer.content)
    if body is not None:
        return body
    if answer.status_code == 400 or answer.status_code == 422:
        return ErrorBody.of(Reason.BAD_REQUEST)
    return _unreachable(f"HTTP {answer.status_code}", answer.request.method, answer.request.url.path)
