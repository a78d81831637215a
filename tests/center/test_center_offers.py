"""The quote is priced from the offer of the menu the center served (FEE-1, CRT-1..4, HRS-5, SEC-4).

The center keeps, per session and municipality, only the fees, limits, reasons and person ids of the
menu it served; the quote does not ask the municipal server for the same menu again, and falls back to
asking it when there is no offer. The offer never holds a name and goes with the session.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from center_helpers import NOON, OHIRA
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from kofu.center import registers
from kofu.center.app import sessions as kiosk
from kofu.center.app.models import MenuOffer
from kofu.center.app.municipal_client import Vouch
from kofu.center.app.routing import register_issued_card
from kofu.center.app.schema import migrate_center_all
from kofu.center.app.service import CenterService
from kofu.center.registers import MunicipalityStatus
from kofu.db import make_engine, session_factory, transaction
from kofu.rules.decision import Refused
from kofu.rules.kinds import Kind
from kofu.rules.reasons import Reason
from kofu.wire.orders import OrderResponse, QuoteRequest
from kofu.wire.sessions import MemberChoice, MenuItem, MenuQuery, MenuResponse, RegistrationStatus

TERMINAL = "T-SEJ-0001"
SERIAL = "0a1b2c"
OWN, SPOUSE, STRANGER = "044245-0000001", "044245-0000002", "044245-0000099"
NAMES = ("大衡太郎", "大衡花子", "Ohira Taro")


def _item(kind: Kind, fee: int, **rest: Any) -> MenuItem:
    return MenuItem(kind=kind, title_ja=kind.title_ja, title_en=kind.title_en, unit_fee=fee, **rest)


def _menu(juminhyo_fee: int = 300) -> MenuResponse:
    members = (
        MemberChoice(person_id=OWN, label="大衡太郎 (Ohira Taro)"),
        MemberChoice(person_id=SPOUSE, label="大衡花子"),
    )
    return MenuResponse(
        municipality_code=OHIRA,
        items=(
            _item(Kind.JUMINHYO, juminhyo_fee, allowed=True, members=members, max_copies=3),
            _item(Kind.INKAN, 200, allowed=False, reason=Reason.NO_SEAL_REGISTRATION),
            _item(
                Kind.KAZEI, 200, allowed=True, members=members[:1], max_copies=2, fiscal_years=(2025, 2024)
            ),
            _item(
                Kind.KOSEKI, 450, allowed=True, members=members, max_copies=2, options=("whole", "individual")
            ),
        ),
        registration=RegistrationStatus(needed=False, allowed=False),
    )


@dataclass
class StubMunicipal:
    """The municipal server as the center's client sees it: a menu, counted."""

    answer: MenuResponse | Refused = field(default_factory=_menu)
    calls: list[MenuQuery] = field(default_factory=list)

    async def menu(self, code: str, base_url: str, query: MenuQuery, vouch: Vouch) -> MenuResponse | Refused:
        self.calls.append(query)
        return self.answer


@dataclass
class Center:
    service: CenterService
    municipal: StubMunicipal
    factory: sessionmaker[Session]

    def signed_in(self, session_id: str | None = None) -> str:
        """A session authenticated with the card of SERIAL (routed to OHIRA as its 住所地)."""
        sid = session_id or uuid.uuid4().hex
        with transaction(self.factory) as s:
            kiosk.store_session(
                s,
                session_id=sid,
                terminal_id=TERMINAL,
                request_key=uuid.uuid4().hex,
                challenge=b"\0" * 32,
                challenge_expires_at=NOON + timedelta(minutes=1),
                now=NOON,
                lifetime=timedelta(minutes=15),
            )
            kiosk.mark_authenticated(s, sid, auth_serial=SERIAL, credential="card", digest="ab" * 32)
        return sid

    def menu(self, sid: str) -> MenuResponse | Refused:
        return asyncio.run(self.service.menu(sid, TERMINAL, OHIRA))

    def quote(self, sid: str, kind: Kind = Kind.JUMINHYO, **choice: Any) -> OrderResponse | Refused:
        request = QuoteRequest(
            session_id=sid,
            terminal_id=TERMINAL,
            request_key=uuid.uuid4().hex,
            municipality_code=OHIRA,
            kind=kind,
            **{"copies": 1, "persons": (OWN,), **choice},
        )
        return asyncio.run(self.service.quote(request))

    def offers(self) -> list[MenuOffer]:
        with self.factory() as s:
            return list(s.scalars(select(MenuOffer)))


@pytest.fixture
def center(db_url: str) -> Iterator[Center]:
    """The center's service on a migrated database (SQLite, PostgreSQL), a stub municipal server, at noon."""
    migrate_center_all(db_url)
    engine = make_engine(db_url)
    factory = session_factory(engine)
    with transaction(factory) as s:
        registers.add_terminal(
            s, terminal_id=TERMINAL, chain="seven_eleven", store_code="S001", store_name="大衡店", now=NOON
        )
        registers.add_municipality(
            s, code=OHIRA, name_ja="大衡村", name_en="Ohira", base_url="https://127.0.0.1:9001", now=NOON
        )
        register_issued_card(
            s,
            auth_serial=SERIAL,
            person_id=OWN,
            credential="card",
            handed_over_on=(NOON - timedelta(days=30)).date(),
            municipality_code=OHIRA,
            now=NOON,
        )
    municipal = StubMunicipal()
    service = CenterService(
        factory,
        None,  # type: ignore[arg-type]  # no authentication here: sessions are stored signed in
        municipal,  # type: ignore[arg-type]
        sign_ca=None,
        status=None,  # type: ignore[arg-type]
        clock=lambda: NOON,
    )
    yield Center(service, municipal, factory)
    engine.dispose()


def test_fee1_quote_after_menu_is_priced_from_the_offer_without_a_second_menu(center: Center) -> None:
    sid = center.signed_in()
    assert isinstance(center.menu(sid), MenuResponse)
    assert len(center.municipal.calls) == 1
    center.municipal.answer = _menu(juminhyo_fee=999)  # the municipality would answer otherwise now
    quoted = center.quote(sid, copies=2, persons=(OWN, SPOUSE))
    assert isinstance(quoted, OrderResponse), quoted
    assert (quoted.unit_fee, quoted.fee) == (300, 600)  # the fee the person was shown
    assert len(center.municipal.calls) == 1


def test_fee1_quote_without_a_menu_asks_the_municipality(center: Center) -> None:
    sid = center.signed_in()
    quoted = center.quote(sid)
    assert isinstance(quoted, OrderResponse), quoted
    assert quoted.unit_fee == 300
    assert len(center.municipal.calls) == 1
    again = center.quote(sid, kind=Kind.KOSEKI, persons=(), option="whole")  # the fallback kept its offer
    assert isinstance(again, OrderResponse) and again.unit_fee == 450
    assert len(center.municipal.calls) == 1


def test_fee1_a_retried_menu_replaces_the_offer(center: Center) -> None:
    sid = center.signed_in()
    center.menu(sid)
    center.municipal.answer = _menu(juminhyo_fee=250)
    center.menu(sid)
    assert len(center.offers()) == 1
    quoted = center.quote(sid)
    assert isinstance(quoted, OrderResponse) and quoted.unit_fee == 250


def test_hrs5_an_unanswered_menu_drops_the_offer(center: Center) -> None:
    sid = center.signed_in()
    center.menu(sid)
    center.municipal.answer = Refused(Reason.MUNICIPALITY_UNAVAILABLE)
    menu = center.menu(sid)
    assert isinstance(menu, MenuResponse) and not any(i.allowed for i in menu.items)  # a closed menu
    assert center.offers() == []
    assert center.quote(sid) == Refused(Reason.MUNICIPALITY_UNAVAILABLE)  # asked again, still down


CHOICES: list[tuple[Kind, dict[str, Any], Reason]] = [
    (Kind.JUMINHYO, {"copies": 4}, Reason.TOO_MANY_COPIES),
    (Kind.JUMINHYO, {"persons": (OWN, STRANGER)}, Reason.NOT_IN_HOUSEHOLD),  # CRT-1
    (Kind.INKAN, {}, Reason.NO_SEAL_REGISTRATION),  # CRT-2
    (Kind.KAZEI, {"fiscal_year": 2020}, Reason.FISCAL_YEAR_NOT_OFFERED),  # CRT-3
    (Kind.KOSEKI, {"persons": (STRANGER,), "option": "individual"}, Reason.NOT_IN_REGISTER),  # CRT-4
    (Kind.KOSEKI, {"persons": (OWN,), "option": "whole"}, Reason.BAD_REQUEST),  # whole: nobody is chosen
    (Kind.KOSEKI, {"option": "abridged"}, Reason.BAD_REQUEST),
    (Kind.FUHYO, {}, Reason.KIND_NOT_OFFERED),
]


@pytest.mark.parametrize(("kind", "choice", "reason"), CHOICES)
def test_crt_refusals_are_the_same_with_and_without_an_offer(
    center: Center, kind: Kind, choice: dict[str, Any], reason: Reason
) -> None:
    offered = center.signed_in()
    center.menu(offered)
    assert center.quote(offered, kind, **choice) == Refused(reason)
    asked = center.signed_in()
    assert center.quote(asked, kind, **choice) == Refused(reason)


def test_hrs5_a_municipality_closed_after_the_menu_refuses_the_quote(center: Center) -> None:
    sid = center.signed_in()
    center.menu(sid)
    with transaction(center.factory) as s:
        registers.set_municipality_status(s, OHIRA, MunicipalityStatus.DOWN, now=NOON)
    assert center.quote(sid) == Refused(Reason.MUNICIPALITY_UNAVAILABLE)
    assert center.quote(center.signed_in()) == Refused(Reason.MUNICIPALITY_UNAVAILABLE)
    assert len(center.municipal.calls) == 1


def test_sec4_the_offer_keeps_ids_never_names(center: Center) -> None:
    sid = center.signed_in()
    center.menu(sid)
    [row] = center.offers()
    stored = repr(row.items)
    assert OWN in stored and SPOUSE in stored
    assert not any(name in stored for name in NAMES)
    assert "label" not in stored and "title" not in stored


def test_sec4_the_offer_goes_with_the_closed_session(center: Center) -> None:
    sid, other = center.signed_in(), center.signed_in()
    center.menu(sid)
    center.menu(other)
    center.service.close_session(sid, TERMINAL)
    assert [row.session_id for row in center.offers()] == [other]


def test_sec4_the_offer_goes_with_the_expired_session(center: Center) -> None:
    sid = center.signed_in()
    center.menu(sid)
    with transaction(center.factory) as s:
        assert kiosk.purge_expired(s, NOON + timedelta(minutes=14)) == 0
    assert len(center.offers()) == 1
    with transaction(center.factory) as s:
        assert kiosk.purge_expired(s, NOON + timedelta(minutes=16)) == 1
    assert center.offers() == []


def test_sec4_a_menu_answered_after_its_session_closed_leaves_no_offer(center: Center) -> None:
    """The kiosk closed the session while the municipal server was still answering its menu."""
    sid = center.signed_in()
    closing = StubMunicipal()

    async def answer_after_close(
        code: str, base_url: str, query: MenuQuery, vouch: Vouch
    ) -> MenuResponse | Refused:
        center.service.close_session(sid, TERMINAL)
        return await closing.menu(code, base_url, query, vouch)

    center.service.municipal.menu = answer_after_close  # type: ignore[method-assign]
    center.menu(sid)
    assert closing.calls and center.offers() == []


def test_sec4_another_terminal_cannot_forget_a_session_or_its_offer(center: Center) -> None:
    sid = center.signed_in()
    center.menu(sid)
    center.service.close_session(sid, "T-OTHER-0001")
    assert [row.session_id for row in center.offers()] == [sid]
    assert isinstance(center.quote(sid), OrderResponse)


def _seal_menu() -> MenuResponse:
    """A menu whose seal certificate is allowed (a registered seal): only the requester's own."""
    own = (MemberChoice(person_id=OWN, label="大衡太郎"),)
    return MenuResponse(
        municipality_code=OHIRA,
        items=(
            _item(Kind.INKAN, 200, allowed=True, members=own, max_copies=3),
            _item(Kind.KAZEI, 200, allowed=True, members=own, max_copies=2, fiscal_years=(2025, 2024)),
        ),
        registration=RegistrationStatus(needed=False, allowed=False),
    )


SOMEONE_ELSES: list[tuple[Kind, dict[str, Any], Reason]] = [
    (Kind.INKAN, {"persons": (STRANGER,)}, Reason.NOT_OWN_SEAL),  # CRT-2
    (Kind.KAZEI, {"persons": (STRANGER,), "fiscal_year": 2025}, Reason.NOT_IN_HOUSEHOLD),  # CRT-3
]


@pytest.mark.parametrize(("kind", "choice", "reason"), SOMEONE_ELSES)
def test_crt2_crt3_someone_elses_certificate_is_refused_as_the_rules_refuse_it(
    center: Center, kind: Kind, choice: dict[str, Any], reason: Reason
) -> None:
    """CRT-2, CRT-3: the center's quote gives the rules' reason (rules.menu), not one of its own."""
    center.municipal.answer = _seal_menu()
    offered = center.signed_in()
    center.menu(offered)
    assert center.quote(offered, kind, **choice) == Refused(reason)
    asked = center.signed_in()
    assert center.quote(asked, kind, **choice) == Refused(reason)
