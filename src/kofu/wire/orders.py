"""The order steps on the wire: kiosk → center (quote, pay, confirm, void) and center → municipal (render).

The terminal ID in a body must equal the one of the TLS client certificate when mutual TLS is on;
the center checks that, and every step against the order's own session and terminal.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from pydantic import Field

from kofu.rules.copies import COPIES_CEILING
from kofu.rules.kinds import Kind
from kofu.rules.menu import Request
from kofu.rules.order import State
from kofu.wire.common import (
    CertificateSerial,
    Count,
    Digest,
    DocumentNumber,
    MenuOption,
    MunicipalityCode,
    PersonId,
    RequestKey,
    SessionId,
    Strict,
    TerminalId,
    Yen,
)

MAX_COPIES = COPIES_CEILING  # a message never carries more than any rulebook may allow


class Steps(Strict):
    """Who is asking, and the key that makes this request's retries harmless."""

    session_id: SessionId
    terminal_id: TerminalId
    request_key: RequestKey


class QuoteRequest(Steps):
    """The person's choice, to be priced and opened as an order."""

    municipality_code: MunicipalityCode
    kind: Kind
    copies: Count = Field(ge=1, le=MAX_COPIES)
    persons: tuple[PersonId, ...] = Field(
        default=(), max_length=20, description="whose certificates (own first)"
    )
    fiscal_year: Count | None = Field(default=None, ge=1989, le=2200, description="kazei only")
    option: MenuOption | None = None


def chosen(choice: QuoteRequest | RenderRequest) -> Request:
    """The rules' request for a quoted or rendered choice (one option on the wire, a tuple in the rules)."""
    return Request(
        kind=choice.kind,
        subject_ids=choice.persons,
        fiscal_year=choice.fiscal_year,
        options=(choice.option,) if choice.option else (),
        copies=choice.copies,
    )


class PayRequest(Steps):
    """Cash the kiosk took; the fee goes into escrow, the rest is change."""

    cash: Yen


class ConfirmRequest(Steps):
    """The print completed: charge the fee (NRF-1, FEE-1)."""


class VoidReason(StrEnum):
    CANCELLED = "cancelled"
    PRINT_FAILED = "print_failed"
    TIMEOUT = "timeout"


class VoidRequest(Steps):
    """Abandon the order before its print completed; escrowed cash is returned."""

    reason: VoidReason = VoidReason.CANCELLED


class OrderResponse(Strict):
    """Where an order stands after a step; `replay` is true when this was a retry (same answer)."""

    order_id: uuid.UUID
    state: State
    municipality_code: MunicipalityCode
    kind: Kind
    copies: Count = Field(ge=1, le=MAX_COPIES)
    unit_fee: Yen
    fee: Yen
    cash: Yen | None = None
    change: Yen | None = None
    cash_returned: Yen = 0
    charged: Yen = 0
    replay: bool = False

    @classmethod
    def of(cls, receipt: Any) -> OrderResponse:
        """From a `kofu.center.orders.Receipt` (or anything with the same attributes)."""
        return cls.model_validate(receipt, from_attributes=True)


class RenderRequest(Strict):
    """Center → municipal server: compose, render and seal this order's document (streamed back, not kept)."""

    order_id: uuid.UUID
    municipality_code: MunicipalityCode
    kind: Kind
    copies: Count = Field(ge=1, le=MAX_COPIES)
    requester_serial: CertificateSerial
    requester_cert_digest: Digest
    persons: tuple[PersonId, ...] = Field(default=(), max_length=20)
    fiscal_year: Count | None = Field(default=None, ge=1989, le=2200)
    option: MenuOption | None = None


class RenderedHeaders(Strict):
    """What travels with a rendered PDF as response headers: its binding to the order, never its content.

    Written by `http()` (municipal server → center, center → kiosk) and read by `from_http()` only."""

    order_id: uuid.UUID
    requester_cert_digest: Digest
    document_number: DocumentNumber
    document_digest: Digest
    pages: int = Field(ge=1, le=100)

    def http(self) -> dict[str, str]:
        """The response headers that carry this binding (with `no-store`: the PDF is kept by no one)."""
        values = self.model_dump(mode="json")
        return {name: str(values[field]) for field, name in RENDERED_HEADERS.items()} | NO_STORE

    @classmethod
    def from_http(cls, headers: Mapping[str, str]) -> RenderedHeaders:
        """The binding a response's headers carry (names in any case); ValidationError when one is
        missing or malformed."""
        lowered = {k.lower(): v for k, v in headers.items()}
        raw = {field: lowered.get(name.lower(), "") for field, name in RENDERED_HEADERS.items()}
        return cls.model_validate(raw, strict=False)  # a header is text: its number is read from its digits


RENDERED_HEADERS = {
    "order_id": "X-Kofu-Order-Id",
    "requester_cert_digest": "X-Kofu-Requester-Digest",
    "document_number": "X-Kofu-Document-Number",
    "document_digest": "X-Kofu-Document-Digest",
    "pages": "X-Kofu-Pages",
}
NO_STORE = {"Cache-Control": "no-store"}
