"""The kiosk service against the center test double, with real virtual cards (JPKI testbed).

Each test names the rule it proves and fails when the kiosk breaks it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from kiosk_doubles import FAMILY, FAMILY_LABEL, OWN_LABEL, Kiosk, page_client

from kofu.card.client import JpkiClient
from kofu.card.inprocess import InProcessReader
from kofu.jpki.testbed import DEFAULT_PIN
from kofu.kiosk.api_models import DetailsRequest, Screen, ScreenView
from kofu.kiosk.app import create_app
from kofu.kiosk.devices.cash import CashRecord
from kofu.kiosk.devices.printer import Binding, Printer, PrintFailed, PrintResult


def _to_cash(kiosk: Kiosk, *, pin: str = "1234", card: int = 0, copies: int = 1) -> ScreenView:
    s = kiosk.service
    assert s.start().screen is Screen.CARD
    view = s.place_card(card)
    assert view.screen is Screen.PIN, view.message
    view = s.submit_pin(pin if card == 0 else None)
    assert view.screen is Screen.MUNICIPALITY, view.message
    assert s.choose_municipality("044245").screen is Screen.KIND
    assert s.choose_kind("juminhyo").screen is Screen.DETAILS
    view = s.submit_details(DetailsRequest(persons=(), option="setai_nushi", copies=copies))
    assert view.screen is Screen.FEE, view.message
    return s.accept_fee()


def _cash(kiosk: Kiosk) -> CashRecord:
    record = kiosk.service.store.read("cash", CashRecord)
    return record or CashRecord()


def _all_state_text(kiosk: Kiosk) -> str:
    """Every byte the kiosk keeps at rest: its state folder and its spool folder."""
    texts = []
    for folder in (kiosk.config.state_dir, kiosk.config.spool_dir):
        for path in folder.rglob("*") if folder.exists() else []:
            if path.is_file():
                texts.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(texts)


def test_issue_charges_once_after_print_and_deletes_spool_NRF_1_SEC_4(kiosk: Kiosk) -> None:
    view = _to_cash(kiosk, copies=2)
    assert view.screen is Screen.CASH and view.order is not None and view.order.fee == 400
    for coin in (100, 500):
        kiosk.service.insert_cash(coin)
    view = kiosk.service.pay_and_print()
    assert view.screen is Screen.TAKE, view.message
    assert view.message is not None and view.message.code == "issued"
    order = next(iter(kiosk.center.orders.values()))
    assert order["state"] == "charged" and order["charged"] == 400
    confirms = [c for c in kiosk.center.calls if c[1].endswith("/confirm")]
    assert len(confirms) == 1
    cash = _cash(kiosk)
    assert (cash.kept, cash.paid_out, cash.held, cash.inserted) == (400, 200, 0, 0)
    assert list(kiosk.config.spool_dir.iterdir()) == []  # spool file deleted on confirmation
    assert view.papers == 2 and view.paid_out == 200  # the change, told on the take screen


class _CopyPrinter:
    """The kiosk's own printer, seen from outside: the copies it was asked for, and (when told) paper that
    runs out after `fails_after` copies; every other call goes to the printer underneath."""

    def __init__(self, inner: Printer, kiosk: Kiosk, fails_after: int | None = None) -> None:
        self.inner = inner
        self.kiosk = kiosk
        self.fails_after = fails_after
        self.asked: list[int] = []
        self.confirms_before_print: list[int] = []

    def print_document(
        self, pdf: bytes, headers: Mapping[str, str], binding: Binding, copies: int = 1
    ) -> PrintResult:
        self.asked.append(copies)
        self.confirms_before_print.append(sum(c[1].endswith("/confirm") for c in self.kiosk.center.calls))
        if self.fails_after is not None and copies > self.fails_after:
            return PrintFailed("paper out", copies=self.fails_after)
        return self.inner.print_document(pdf, headers, binding, copies=copies)

    def confirm(self, order_id: str) -> None:
        self.inner.confirm(order_id)

    def discard(self, order_id: str) -> None:
        self.inner.discard(order_id)


def test_three_copies_paid_are_three_copies_printed_then_one_confirm_FEE_1_NRF_1(kiosk: Kiosk) -> None:
    """FEE-1, NRF-1: 通数 3 charges 600円 and the printer prints the one document three times (one
    number, one order); the center is told only after the third copy, and three papers wait in the tray."""
    printer = _CopyPrinter(kiosk.service.printer, kiosk)
    kiosk.service.printer = printer
    view = _to_cash(kiosk, copies=3)
    assert view.order is not None and view.order.fee == 600
    kiosk.service.insert_cash(1000)
    view = kiosk.service.pay_and_print()
    assert view.message is not None and view.message.code == "issued", view.message
    assert printer.asked == [3] and printer.confirms_before_print == [0]
    order = next(iter(kiosk.center.orders.values()))
    assert order["state"] == "charged" and order["charged"] == 600
    assert sum(c[1].endswith("/confirm") for c in kiosk.center.calls) == 1
    assert view.papers == 3  # SEC-3: every copy is paper the person must take


def test_printer_failing_midway_through_the_copies_voids_the_order_no_charge_NRF_1(kiosk: Kiosk) -> None:
    """NRF-1: paper out after the first of three copies: no confirmation, the order voided (print
    failed), every yen returned; the one sheet that came out is still paper to take (SEC-3)."""
    printer = _CopyPrinter(kiosk.service.printer, kiosk, fails_after=1)
    kiosk.service.printer = printer
    _to_cash(kiosk, copies=3)
    kiosk.service.insert_cash(1000)
    view = kiosk.service.pay_and_print()
    assert printer.asked == [3]
    assert view.message is not None and view.message.code == "print_failed"
    order = next(iter(kiosk.center.orders.values()))
    assert order["state"] == "voided" and order["void_reason"] == "print_failed"
    assert not any(c[1].endswith("/confirm") for c in kiosk.center.calls)
    assert (_cash(kiosk).kept, _cash(kiosk).paid_out) == (0, 1000) and view.paid_out == 1000
    assert view.papers == 1 and list(kiosk.config.spool_dir.iterdir()) == []


def test_pin_goes_to_the_card_only_ELG_1_PIN_1(kiosk: Kiosk) -> None:
    kiosk.service.start()
    kiosk.service.place_card(0)
    kiosk.service.submit_pin("9052")  # wrong: the card says so, no server is asked
    assert kiosk.center.calls == [] or all("sessions" not in c[1] for c in kiosk.center.calls)
    view = kiosk.service.submit_pin("1234")
    assert view.screen is Screen.MUNICIPALITY
    sent = kiosk.center.sent_bytes()
    assert b"1234" not in sent and b"9052" not in sent and b'"pin"' not in sent
    assert "1234" not in _all_state_text(kiosk) and "9052" not in _all_state_text(kiosk)


def test_wrong_pin_shows_tries_left_from_the_card_PIN_1(kiosk: Kiosk) -> None:
    kiosk.service.start()
    kiosk.service.place_card(0)
    view = kiosk.service.submit_pin("0000")
    assert view.screen is Screen.PIN
    assert view.message is not None and view.message.code == "pin_wrong" and view.message.tries_left == 2
    assert view.pin is not None and view.pin.tries_left == 2
    reader = InProcessReader(kiosk.cards[0].path)
    with reader:
        assert JpkiClient(reader).pin_tries_left() == 2  # the counter lives in the card


def test_blocked_pin_tells_where_to_reset_and_stays_blocked_PIN_1_PIN_2(kiosk: Kiosk) -> None:
    kiosk.service.start()
    kiosk.service.place_card(0)
    for _ in range(2):
        assert kiosk.service.submit_pin("0000").screen is Screen.PIN
    view = kiosk.service.submit_pin("0000")
    assert view.screen is Screen.TAKE and view.card_present
    assert view.message is not None and view.message.code == "pin_blocked"
    assert view.message.help_ja is not None and "市区町村の窓口" in view.message.help_ja
    assert view.message.help_en is not None and "office" in view.message.help_en
    assert kiosk.service.store.read("session", type(view)) is None
    kiosk.service.take_card()
    assert kiosk.service.state().screen is Screen.IDLE
    kiosk.service.start()
    view = kiosk.service.place_card(0)  # the right PIN no longer helps: the card is locked
    assert view.screen is Screen.TAKE and view.message is not None and view.message.code == "pin_blocked"


def test_session_wiped_and_next_person_sees_nothing_INC_8_SEC_4(kiosk: Kiosk) -> None:
    kiosk.service.set_lang("en")
    view = _to_cash(kiosk)
    assert view.menu is not None and OWN_LABEL in json.dumps(view.menu.model_dump(), ensure_ascii=False)
    kiosk.service.insert_cash(500)
    kiosk.service.pay_and_print()
    assert kiosk.service.store.names() == sorted(["cash", "display", "leftover", "notices", "output", "tray"])
    kept = _all_state_text(kiosk)
    for secret in (OWN_LABEL, FAMILY_LABEL, FAMILY, "session_id", kiosk.center.orders.popitem()[0]):
        assert secret not in kept
    assert kiosk.center.deleted, "the center's session is deleted too"
    kiosk.service.take_papers()
    kiosk.service.take_card()
    idle = kiosk.service.state()
    assert idle.screen is Screen.IDLE and idle.lang == "ja" and idle.message is None
    assert idle.menu is None and idle.municipalities == () and idle.order is None and idle.choice is None
    nxt = kiosk.service.start()
    assert nxt.screen is Screen.CARD and nxt.menu is None and nxt.message is None


def test_printer_refuses_a_document_of_another_order_INC_8(kiosk: Kiosk) -> None:
    kiosk.center.bind = "other_order"
    _to_cash(kiosk)
    kiosk.service.insert_cash(500)
    view = kiosk.service.pay_and_print()
    assert view.message is not None and view.message.code == "document_not_bound"
    order = next(iter(kiosk.center.orders.values()))
    assert order["state"] == "voided" and order["void_reason"] == "print_failed"
    assert not any(c[1].endswith("/confirm") for c in kiosk.center.calls)
    cash = _cash(kiosk)
    assert (cash.kept, cash.paid_out, cash.held) == (0, 500, 0)  # change 300 + the fee 200 returned
    assert list(kiosk.config.spool_dir.iterdir()) == [] and view.papers == 0
    assert view.paid_out == 500


def test_printer_refuses_a_document_of_another_requester_INC_1(kiosk: Kiosk) -> None:
    kiosk.center.bind = "other_requester"
    _to_cash(kiosk)
    kiosk.service.insert_cash(1000)
    view = kiosk.service.pay_and_print()
    assert view.message is not None and view.message.code == "document_not_bound"
    assert _cash(kiosk).kept == 0 and _cash(kiosk).paid_out == 1000


def test_walk_away_timeout_voids_returns_cash_and_wipes_INC_8_NRF_1(kiosk: Kiosk) -> None:
    _to_cash(kiosk)
    kiosk.service.insert_cash(100)
    kiosk.clock.advance(30)
    assert kiosk.service.state().screen is Screen.CASH  # polling alone does not keep it alive...
    kiosk.clock.advance(31)
    view = kiosk.service.state()  # ...and 61 s after the last tap it is over
    assert view.screen is Screen.TAKE and view.message is not None and view.message.code == "timeout"
    assert view.paid_out == 100
    order = next(iter(kiosk.center.orders.values()))
    assert order["state"] == "voided" and order["void_reason"] == "timeout"
    assert _cash(kiosk).paid_out == 100 and _cash(kiosk).inserted == 0
    assert kiosk.service.store.read("session", ScreenView) is None
    assert "session" not in kiosk.service.store.names()


def test_reap_ends_only_a_walked_away_session_INC_8(kiosk: Kiosk) -> None:
    """INC-8: the reaper's step ends an idle session exactly as the timeout on a request does."""
    _to_cash(kiosk)
    kiosk.service.insert_cash(100)
    kiosk.clock.advance(59)
    assert kiosk.service.reap() is False and "session" in kiosk.service.store.names()
    kiosk.clock.advance(2)
    assert kiosk.service.reap() is True
    assert "session" not in kiosk.service.store.names()
    order = next(iter(kiosk.center.orders.values()))
    assert order["state"] == "voided" and order["void_reason"] == "timeout" and not order.get("charged")
    assert _cash(kiosk).paid_out == 100 and _cash(kiosk).kept == 0
    assert kiosk.center.deleted, "the center's session is closed"
    view = kiosk.service.state()
    assert view.screen is Screen.TAKE and view.message is not None and view.message.code == "timeout"
    assert kiosk.service.reap() is False  # nothing left to end


def _wait_for(condition: object, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.02)
    return False


def test_app_reaper_wipes_an_idle_session_without_any_request_INC_8(kiosk: Kiosk) -> None:
    """INC-8: with the page gone (no poll, no tap), the running app still times the session out."""
    config = dataclasses.replace(kiosk.config, reap_interval_s=0.05)
    store = kiosk.service.store
    with TestClient(create_app(config, service=kiosk.service)):  # runs the lifespan: the reaper
        _to_cash(kiosk)  # straight on the service: the app itself gets no request at all
        kiosk.service.insert_cash(500)
        time.sleep(0.2)
        assert "session" in store.names()  # not walked away yet: left alone
        kiosk.clock.advance(61)
        assert _wait_for(lambda: "session" not in store.names()), "the idle session was not reaped"
        order = next(iter(kiosk.center.orders.values()))
        assert order["state"] == "voided" and order["void_reason"] == "timeout" and not order.get("charged")
        assert _cash(kiosk).paid_out == 500 and _cash(kiosk).kept == 0
    kiosk.service.take_card()
    assert kiosk.service.state().screen is Screen.IDLE
    kiosk.service.start()
    kiosk.clock.advance(61)
    time.sleep(0.2)
    assert "session" in store.names()  # the reaper stopped with the app


def test_screen_stays_on_take_while_card_or_papers_left_SEC_3(kiosk: Kiosk) -> None:
    _to_cash(kiosk)
    kiosk.service.insert_cash(500)
    view = kiosk.service.pay_and_print()
    assert view.screen is Screen.TAKE and view.card_present and view.papers == 1
    kiosk.clock.advance(3600)  # no timeout sends it to idle
    assert kiosk.service.state().screen is Screen.TAKE
    assert kiosk.service.start().screen is Screen.TAKE  # nobody can start over it
    kiosk.service.take_card()
    assert kiosk.service.state().screen is Screen.TAKE  # the certificates are still there
    kiosk.service.take_papers()
    assert kiosk.service.state().screen is Screen.IDLE


def test_card_removed_mid_session_voids_and_returns_cash_NRF_1(kiosk: Kiosk) -> None:
    _to_cash(kiosk)
    kiosk.service.insert_cash(500)
    view = kiosk.service.take_card()
    assert view.screen is Screen.IDLE
    assert next(iter(kiosk.center.orders.values()))["state"] == "voided"
    assert _cash(kiosk).paid_out == 500


def test_refused_kind_shows_the_rules_sentence(kiosk: Kiosk) -> None:
    kiosk.service.start()
    kiosk.service.place_card(0)
    kiosk.service.submit_pin("1234")
    kiosk.service.choose_municipality("044245")
    view = kiosk.service.choose_kind("koseki")
    assert view.screen is Screen.KIND
    assert view.message is not None and view.message.code == "not_honseki"
    assert "本籍" in view.message.ja and "family register" in view.message.en


def test_registration_filed_with_signing_password_REG_1(kiosk: Kiosk) -> None:
    kiosk.service.start()
    kiosk.service.place_card(0)
    kiosk.service.submit_pin("1234")
    kiosk.service.choose_municipality("044245")
    assert kiosk.service.open_registration().screen is Screen.REGISTER
    view = kiosk.service.register("WRONG1")
    assert view.message is not None and view.message.code == "password_wrong" and view.message.tries_left == 4
    view = kiosk.service.register("ABC123")
    assert view.screen is Screen.REGISTERED and len(kiosk.center.registrations) == 1
    assert b"ABC123" not in kiosk.center.sent_bytes()
    assert kiosk.service.finish().screen is Screen.TAKE


def test_registration_refused_for_a_phone_ELG_6(kiosk: Kiosk) -> None:
    kiosk.service.start()
    view = kiosk.service.place_card(1)
    assert view.screen is Screen.PIN and view.pin is not None and view.pin.biometric
    view = kiosk.service.submit_pin(None)
    assert view.screen is Screen.MUNICIPALITY and view.credential == "phone"
    kiosk.service.choose_municipality("044245")
    kiosk.center.registration_allowed = True  # even if a center said yes, the kiosk refuses phones
    view = kiosk.service.open_registration()
    assert view.screen is Screen.KIND
    assert view.message is not None and view.message.code == "phone_not_allowed_for_registration"
    assert "スマホ" in view.message.ja and kiosk.center.registrations == []


@pytest.mark.parametrize("secret", [DEFAULT_PIN, None], ids=["pin", "biometric"])
def test_phone_user_chooses_the_pin_or_the_biometrics_ELG_5(kiosk: Kiosk, secret: str | None) -> None:
    """ELG-5: the phone's biometrics may replace the PIN, so a phone signs in with either; both offered."""
    kiosk.service.start()
    view = kiosk.service.place_card(1)
    assert view.screen is Screen.PIN and view.pin is not None
    assert view.pin.biometric and view.credential == "phone"
    view = kiosk.service.submit_pin(secret)
    assert view.screen is Screen.MUNICIPALITY, view.message
    assert view.credential == "phone"


def test_take_screen_calls_for_the_phone_not_a_card_ELG_5_SEC_3(kiosk: Kiosk) -> None:
    """ELG-5: the kiosk speaks of the phone to a phone user; the take screen says which was left."""
    kiosk.service.start()
    kiosk.service.place_card(1)
    kiosk.service.submit_pin(None)
    view = kiosk.service.finish()
    assert view.screen is Screen.TAKE and view.card_present and view.credential == "phone"
    kiosk.service.start()
    kiosk.service.take_card()
    kiosk.service.start()
    kiosk.service.place_card(0)
    kiosk.service.submit_pin("1234")
    view = kiosk.service.finish()
    assert view.screen is Screen.TAKE and view.card_present and view.credential == "card"


def test_phone_wrong_pin_counts_on_the_phone_ELG_5_PIN_1(kiosk: Kiosk) -> None:
    """ELG-5, PIN-1: a phone user typing the PIN is told the tries left, as a card user is."""
    kiosk.service.start()
    kiosk.service.place_card(1)
    view = kiosk.service.submit_pin("9052")
    assert view.screen is Screen.PIN
    assert view.message is not None and view.message.code == "pin_wrong" and view.message.tries_left == 2
    kiosk.service.submit_pin("9052")
    view = kiosk.service.submit_pin("9052")
    assert view.message is not None and view.message.code == "pin_blocked"
    kiosk.service.take_card()
    kiosk.service.start()
    view = kiosk.service.place_card(1)  # locked: neither the PIN nor the biometrics can open it now
    assert view.screen is not Screen.PIN
    assert view.message is not None and view.message.code == "pin_blocked"


def test_card_user_has_no_biometric_way_in_ELG_5(kiosk: Kiosk) -> None:
    kiosk.service.start()
    view = kiosk.service.place_card(0)
    assert view.pin is not None and not view.pin.biometric
    view = kiosk.service.submit_pin(None)
    assert view.screen is Screen.PIN
    assert view.message is not None and view.message.code == "step_unavailable"


def test_page_api_refuses_bad_input_without_echoing_it(kiosk: Kiosk) -> None:
    with page_client(kiosk.app()) as client:
        assert client.get("/api/state").json()["screen"] == "idle"
        answer = client.post("/api/pin", json={"pin": "12a4"})
        assert answer.status_code == 400 and answer.json()["reason"] == "bad_request"
        assert "12a4" not in answer.text
        answer = client.post("/api/pin", json={"pin": "1234", "extra": 1})
        assert answer.status_code == 400
        assert client.get("/").status_code == 200
        assert client.get("/static/kiosk.js").status_code == 200


def test_demo_cards_file_is_read_from_home(kiosk: Kiosk, kofu_home: Path) -> None:
    view = kiosk.service.state()
    assert view.demo_tray and [c.label for c in view.tray] == ["demo 0", "demo 1"]
    assert (kofu_home / "demo-cards.json").exists()


def test_idle_screen_shows_maintenance_notices_HRS_5(kiosk: Kiosk) -> None:
    kiosk.center.notices = [
        {
            "starts_at": "2026-06-01T15:00:00+00:00",
            "ends_at": "2026-06-01T21:00:00+00:00",
            "municipality_code": None,
            "active": False,
            "notice_ja": "6月2日 0時から6時まで保守のため停止します。",
            "notice_en": "Down for maintenance on 2 June, 00:00-06:00.",
        }
    ]
    view = kiosk.service.state()
    assert view.screen is Screen.IDLE
    assert [n.ja for n in view.notices] == ["6月2日 0時から6時まで保守のため停止します。"]


def test_center_unreachable_is_told_and_ends_the_session(kiosk: Kiosk) -> None:
    import httpx
    import structlog
    from structlog.testing import LogCapture

    from kofu.kiosk import service as kiosk_service
    from kofu.kiosk.center_client import CenterClient

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("down", request=request)

    kiosk.service.center = CenterClient(httpx.Client(transport=httpx.MockTransport(down)), "test-0001")
    kiosk.service.start()
    kiosk.service.place_card(0)
    logs = LogCapture()
    with pytest.MonkeyPatch.context() as patch:
        # a logger of its own: the module's may be cached with another test's configuration and level
        patch.setattr(kiosk_service, "log", structlog.wrap_logger(None, [logs], structlog.BoundLogger))
        view = kiosk.service.submit_pin("1234")
    assert view.screen is Screen.TAKE
    assert view.message is not None and view.message.code == "center_unreachable"
    assert "接続できない" in view.message.ja
    # the person reads one sentence; the operator's log says which call failed and how
    told = [e for e in logs.entries if e["event"] == "center unreachable"]
    assert told and told[0]["log_level"] == "warning"
    assert told[0]["detail"] == "ConnectError on POST /v1/sessions"


def test_standalone_app_without_center_or_demo_cards(kofu_home: Path) -> None:
    from kofu.kiosk import create_app
    from kofu.kiosk.config import KioskConfig

    config = KioskConfig(home=kofu_home, center_url="http://127.0.0.1:9", center_timeout_s=2)
    with page_client(create_app(config)) as client:
        view = client.get("/api/state").json()
        assert view["screen"] == "idle" and view["tray"] == [] and view["notices"] == []
        assert client.post("/api/start").json()["screen"] == "card"
        answer = client.post("/api/tray/place", json={"index": 0}).json()
        assert answer["screen"] == "card" and answer["message"]["code"] == "card_unreadable"
        assert client.post("/api/finish").json()["screen"] == "idle"


def test_headless_cli_reports_the_reason_code_and_exits_nonzero(kofu_home: Path, kiosk: Kiosk) -> None:
    from typer.testing import CliRunner

    from kofu.kiosk.cli import app
    from kofu.settings import Settings

    args = ["session", "--center", "http://127.0.0.1:9", "--card", str(kiosk.cards[0].path), "--pin", "1234"]
    args += ["--municipality", "044245", "--kind", "juminhyo", "--out", str(kofu_home / "x.pdf")]
    result = CliRunner().invoke(app, args, obj=Settings(home=kofu_home))
    assert result.exit_code == 1
    assert '"code": "center_unreachable"' in result.output
    assert not (kofu_home / "x.pdf").exists()
    reader = InProcessReader(kiosk.cards[0].path)
    with reader:
        assert JpkiClient(reader).pin_tries_left() == 3  # the right PIN was used, nothing spent


def test_config_from_settings_refuses_unknown_keys(kofu_home: Path) -> None:
    import pytest

    from kofu.kiosk.config import KioskConfig
    from kofu.settings import Settings

    raw = {"terminal_id": "T-9", "center_url": "https://center:8443", "client_cert": "t.pem", "reader": ""}
    config = KioskConfig.from_settings(Settings(home=kofu_home, kiosk=raw))
    assert config.terminal_id == "T-9" and config.client_cert == Path("t.pem") and config.reader == ""
    assert config.spool_dir == kofu_home.resolve() / "spool" / "T-9"
    with pytest.raises(ValueError, match=r"\[kiosk\] pin: no such key"):
        KioskConfig.from_settings(Settings(home=kofu_home, kiosk={"pin": "1234"}))
    page = {"allowed_hosts": ["kiosk-9.store.example"], "allowed_clients": ["10.0.0.0/8"], "cupsd_conf": "c"}
    config = KioskConfig.from_settings(Settings(home=kofu_home, kiosk=page))
    assert config.allowed_hosts == ("kiosk-9.store.example",) and config.allowed_clients == ("10.0.0.0/8",)
    assert config.cupsd_conf == Path("c")
    with pytest.raises(ValueError, match="allowed_hosts"):
        KioskConfig.from_settings(Settings(home=kofu_home, kiosk={"allowed_hosts": "x"}))


def test_one_process_per_terminal_a_second_cannot_read_the_session_INC_8(kiosk: Kiosk) -> None:
    """The session's key lives in one process's memory (T10): a second kiosk app on the same terminal
    does not start while the first runs, and a second service cannot read the first's session: it ends
    it as a restarted kiosk would (order voided, cash returned), never showing it."""
    import httpx

    from kofu.kiosk.app import build_service

    second = TestClient(kiosk.app())
    with TestClient(kiosk.app()), pytest.raises(RuntimeError, match="one process"), second:
        pass
    http = httpx.Client(base_url="http://center.test", transport=kiosk.center.transport())
    other = build_service(kiosk.config, center_http=http, clock=kiosk.clock)
    _to_cash(kiosk)
    kiosk.service.insert_cash(500)
    view = other.state()
    assert view.screen is Screen.TAKE and view.menu is None and view.order is None
    assert view.message is not None and view.message.code == "interrupted"
    assert next(iter(kiosk.center.orders.values()))["state"] == "voided"
    assert _cash(kiosk).paid_out == 500
    assert kiosk.service.state().screen is Screen.TAKE  # the first has nothing left either
    http.close()


def test_print_failure_voids_and_returns_all_cash_NRF_1(kiosk: Kiosk, tmp_path: Path) -> None:
    from kofu.kiosk.devices.printer import CupsPrinter

    conf = tmp_path / "cupsd.conf"
    conf.write_text("PreserveJobFiles No\n")
    kiosk.service.printer = CupsPrinter("broken", command=("false",), cupsd_conf=conf)
    _to_cash(kiosk)
    kiosk.service.insert_cash(1000)
    view = kiosk.service.pay_and_print()
    assert view.message is not None and view.message.code == "print_failed"
    assert "請求されません" in view.message.ja
    order = next(iter(kiosk.center.orders.values()))
    assert order["state"] == "voided" and order["void_reason"] == "print_failed"
    assert (_cash(kiosk).kept, _cash(kiosk).paid_out) == (0, 1000) and view.paid_out == 1000


def test_cash_and_orders_reach_the_disk_before_the_screen_answers_taps_do_not_NRF_1(
    kiosk: Kiosk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NRF-1: every coin, a quote, a void and a payment are fsynced before the kiosk answers; a screen
    change, the language or the tray are written atomically but not forced to disk (a crash loses a tap)."""
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        path = Path(os.readlink(f"/proc/self/fd/{fd}"))
        if path.is_relative_to(kiosk.config.state_dir):
            synced.append(path.stem)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)

    def step(action: Callable[[], ScreenView]) -> list[str]:
        synced.clear()
        action()
        return sorted(set(synced))

    s = kiosk.service
    assert step(s.start) == []
    assert step(lambda: s.place_card(0)) == []
    assert step(lambda: s.submit_pin("1234")) == []
    assert step(lambda: s.choose_municipality("044245")) == []
    assert step(lambda: s.choose_kind("juminhyo")) == []
    assert step(lambda: s.set_lang("en")) == []
    quoted = ["recovery", "session"]  # the order, and its identifiers for a restarted kiosk
    assert step(lambda: s.submit_details(DetailsRequest(persons=(), option="setai_nushi"))) == quoted
    assert step(s.accept_fee) == []
    assert step(lambda: s.insert_cash(100)) == ["cash"]
    assert step(s.back) == ["cash", "recovery", "session"]  # the quote voided, the coin returned
    assert step(lambda: s.submit_details(DetailsRequest(persons=(), option="setai_nushi"))) == quoted
    s.accept_fee()
    assert step(lambda: s.insert_cash(500)) == ["cash"]
    assert "session" in step(s.pay_and_print)
    assert next(iter(kiosk.center.orders.values()))["state"] == "voided"  # the first quote's order
    assert [o["state"] for o in kiosk.center.orders.values()].count("charged") == 1
