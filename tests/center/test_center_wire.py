"""The wire models: strict validation of every order and register message, and the error body."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from center_helpers import NOON, Kiosk
from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from kofu.center import registers
from kofu.rules.decision import Refused
from kofu.rules.kinds import Kind
from kofu.rules.order import State
from kofu.rules.reasons import Reason
from kofu.rules.store_hours import parse_hours
from kofu.wire.common import ErrorBody, error_responses, http_status
from kofu.wire.orders import OrderResponse, PayRequest, QuoteRequest, VoidReason, VoidRequest
from kofu.wire.registers import NoticeResponse, TerminalResponse

GOOD_QUOTE: dict[str, Any] = {
    "session_id": "sess-0001",
    "terminal_id": "T-SEJ-0001",
    "request_key": "k" * 16,
    "municipality_code": "044245",
    "kind": "koseki",
    "copies": 2,
    "persons": ["044245-0000123"],
}


def test_wire_quote_request_accepts_a_good_one() -> None:
    q = QuoteRequest.model_validate(GOOD_QUOTE)
    assert (q.kind, q.copies, q.persons) == (Kind.KOSEKI, 2, ("044245-0000123",))


@pytest.mark.parametrize(
    "change",
    [
        {"extra": 1},  # unknown field
        {"copies": 0},
        {"copies": 11},
        {"kind": "passport"},
        {"municipality_code": "44245"},
        {"terminal_id": "../etc"},
        {"terminal_id": "T" * 33},
        {"session_id": "a b"},
        {"request_key": "short"},
        {"request_key": "x' OR '1'='1"},
        {"persons": ["044245-0000123; DROP TABLE"]},
        {"persons": ["044245-0000123"] * 21},
        {"fiscal_year": 1800},
    ],
)
def test_wire_quote_request_refuses_malformed(change: dict[str, Any]) -> None:
    """Hostile or malformed fields are refused before any service runs."""
    with pytest.raises(ValidationError):
        QuoteRequest.model_validate({**GOOD_QUOTE, **change})


@pytest.mark.parametrize("cash", [-1, 1_000_001])
def test_wire_pay_bounds(cash: int) -> None:
    with pytest.raises(ValidationError):
        PayRequest(session_id="s", terminal_id="T-1", request_key="k" * 8, cash=cash)


def test_wire_void_reason_is_an_enum() -> None:
    assert VoidRequest(session_id="s", terminal_id="T-1", request_key="k" * 8).reason is VoidReason.CANCELLED
    with pytest.raises(ValidationError):
        VoidRequest.model_validate(
            {"session_id": "s", "terminal_id": "T-1", "request_key": "k" * 8, "reason": "x"}
        )


def test_wire_error_body_carries_reason_and_sentences() -> None:
    body = ErrorBody.of(Refused(Reason.ORDER_WRONG_SESSION))
    assert body.model_dump(mode="json") == {
        "reason": "order_wrong_session",
        "message_ja": Reason.ORDER_WRONG_SESSION.ja,
        "message_en": Reason.ORDER_WRONG_SESSION.en,
    }
    assert ErrorBody.of(Reason.BAD_REQUEST).reason is Reason.BAD_REQUEST


def test_wire_order_response_from_a_receipt(sqlite_center: sessionmaker[Session]) -> None:
    done = Kiosk(sqlite_center).issue(Kind.JUMINHYO, 2)
    response = OrderResponse.of(done)
    assert (response.order_id, response.state, response.fee, response.charged) == (
        done.order_id,
        State.CHARGED,
        400,
        400,
    )
    assert OrderResponse.model_validate_json(response.model_dump_json()) == response
    assert isinstance(response.order_id, uuid.UUID)


def test_wire_terminal_and_notice_responses(sqlite_center: sessionmaker[Session]) -> None:
    """HRS-4, HRS-5: the kiosk gets its store hours, whether it is open, and the maintenance notices."""
    with sqlite_center() as s:
        info = registers.terminal_info(s, "T-SEJ-0001")
        assert info is not None
        response = TerminalResponse.of(info, now=NOON)
        notice = registers.add_maintenance(
            s, starts_at=NOON, ends_at=NOON.replace(hour=5), notice_ja="保守", notice_en="maintenance"
        )
    assert response.open_now and response.status == "active" and len(response.hours) == 7
    assert response.hours[0] is not None and (response.hours[0].open, response.hours[0].close) == (
        "00:00",
        "24:00",
    )
    shown = NoticeResponse.of(notice, now=NOON)
    assert shown.active and shown.notice_ja == "保守" and shown.municipality_code is None
    closed_sunday = registers.TerminalInfo(
        "T-2", "lawson", "L2", "店", parse_hours([["07:00", "23:00"]] * 6 + [None]), None, info.status
    )
    assert TerminalResponse.of(closed_sunday, now=NOON).hours[6] is None


@pytest.mark.parametrize(
    ("reason", "status"),
    [
        (Reason.ORDER_UNKNOWN, 404),
        (Reason.ORDER_WRONG_SESSION, 403),
        (Reason.ORDER_STATE_CONFLICT, 409),
        (Reason.TERMINAL_UNKNOWN, 403),
        (Reason.MUNICIPALITY_UNAVAILABLE, 503),
        (Reason.UNDER_15, 422),
    ],
)
def test_wire_http_status_of_refusals(reason: Reason, status: int) -> None:
    assert http_status(Refused(reason)) == status
    assert error_responses(status)[status]["model"] is ErrorBody
