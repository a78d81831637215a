"""The kiosk service against the REAL center and municipal apps (H8), in process.

A generated village (SQLite), the JPKI with its OCSP responder, the municipal server reached by the
center through httpx's ASGI transport, and the center reached by the kiosk through Starlette's test
client (an httpx.Client). The card is a real virtual card in the demo tray.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from kiosk_doubles import write_demo_cards
from sqlalchemy import select

from kofu.center.auth.models import AuthChallenge
from kofu.center.models import Order
from kofu.chaos.stack import issue_card
from kofu.db import make_engine, session_factory
from kofu.jpki.authority import init_authorities, load_authorities
from kofu.jpki.schema import migrate_jpki
from kofu.jpki.testbed import TestCard
from kofu.kiosk.api_models import DetailsRequest, Screen
from kofu.kiosk.app import build_service
from kofu.kiosk.config import KioskConfig
from kofu.kiosk.service import KioskService
from kofu.registry.cases import find_person
from kofu.registry.village import generate_village
from party_support import OHIRA, in_process_parties

TERMINAL = "K-0001"


@pytest.fixture(scope="session")
def real_ca_keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("kiosk-real-jpki") / "keys" / "jpki"
    init_authorities(folder)
    return folder


@dataclass
class RealKiosk:
    service: KioskService
    config: KioskConfig
    db_url: str
    person_id: str
    name: str
    address: str


def _issue(home: Path, db_url: str, person_id: str) -> tuple[TestCard, str, str]:
    """A card for a village person through the JPKI, linked in the registry and the center."""
    factory = session_factory(make_engine(db_url))
    new = issue_card(
        person_id,
        home / "cards",
        authorities=load_authorities(home / "keys" / "jpki"),
        jpki=factory,
        registry=factory,
        center=factory,
        at=datetime.now(UTC) - timedelta(days=1),
        pin="1234",
    )
    factory.kw["bind"].dispose()
    return TestCard(new.path, new.issued, None), new.holder.name, new.holder.address


@pytest.fixture
def real(kofu_home: Path, real_ca_keys: Path, sqlite_url: str) -> Iterator[RealKiosk]:
    db_url = sqlite_url
    shutil.copytree(real_ca_keys, kofu_home / "keys" / "jpki")
    generate_village(db_url, 120, 7, "ohira", today=date.today(), count_cases=False)
    migrate_jpki(db_url)
    authorities = load_authorities(kofu_home / "keys" / "jpki")
    parties = in_process_parties(
        db_url, kofu_home, authorities, terminals=(TERMINAL,), chain="lawson", migrate=True
    )
    with parties as p:
        with p.factory() as session:
            person_id = find_person(session, "household_head_with_members")
        card, name, address = _issue(kofu_home, db_url, person_id)
        write_demo_cards(kofu_home, [card], ["1234"])
        config = KioskConfig(home=kofu_home, terminal_id=TERMINAL)
        with TestClient(p.center_app) as center:
            service = build_service(config, center_http=center)
            yield RealKiosk(service, config, db_url, person_id, name, address)


def test_real_center_issue_prints_bound_document_then_charges_NRF_1_SEC_4_INC_8(real: RealKiosk) -> None:
    s = real.service
    s.start()
    assert s.place_card(0).screen is Screen.PIN
    view = s.submit_pin("1234")
    assert view.screen is Screen.MUNICIPALITY, view.message
    view = s.choose_municipality(OHIRA)
    assert view.screen is Screen.KIND, view.message
    view = s.choose_kind("juminhyo")
    assert view.screen is Screen.DETAILS, view.message
    view = s.submit_details(DetailsRequest(persons=(real.person_id,), copies=1))
    assert view.screen is Screen.FEE and view.order is not None and view.order.fee == 200, view.message
    s.accept_fee()
    s.insert_cash(1000)
    view = s.pay_and_print()
    assert view.screen is Screen.TAKE and view.message is not None and view.message.code == "issued", (
        view.message
    )
    factory = session_factory(make_engine(real.db_url))
    with factory() as session:
        states = session.scalars(select(Order.state)).all()
    factory.kw["bind"].dispose()
    assert [str(state) for state in states] == ["charged"]
    assert list(real.config.spool_dir.iterdir()) == []
    # SEC-4 / INC-8: nothing of the person at rest in the kiosk's folders
    kept = "\n".join(
        p.read_bytes().decode("utf-8", "replace")
        for folder in (real.config.state_dir, real.config.spool_dir)
        for p in folder.rglob("*")
        if p.is_file()
    )
    for secret in (real.name, real.address, real.person_id):
        assert secret not in kept
    s.take_papers()
    s.take_card()
    assert s.state().screen is Screen.IDLE


def test_real_center_wrong_pin_never_reaches_the_center_PIN_1(real: RealKiosk) -> None:
    s = real.service
    s.start()
    s.place_card(0)
    view = s.submit_pin("9999")
    assert view.message is not None and view.message.code == "pin_wrong" and view.message.tries_left == 2
    factory = session_factory(make_engine(real.db_url))
    with factory() as session:
        assert session.scalars(select(AuthChallenge.challenge)).all() == []  # no session was even opened
    factory.kw["bind"].dispose()
    assert s.submit_pin("1234").screen is Screen.MUNICIPALITY


def test_real_center_headless_session_writes_the_bound_pdf(real: RealKiosk, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from kofu.documents.binding import bound_to
    from kofu.kiosk.headless import HeadlessRequest, run_session

    card = Path(json.loads((real.config.home / "demo-cards.json").read_text())[0]["card"])
    out = tmp_path / "out.pdf"
    http = real.service.center.http
    assert isinstance(http, TestClient)
    result = run_session(
        real.config,
        HeadlessRequest(card=card, pin="1234", municipality=OHIRA, kind="juminhyo", out=out),
        center_http=http,
    )
    assert result.ok and result.code == "issued" and result.fee == 200, result
    assert out.read_bytes().startswith(b"%PDF") and bound_to(out.read_bytes()) is not None
    refused = run_session(
        real.config,
        HeadlessRequest(card=card, pin="1234", municipality=OHIRA, kind="koseki", out=tmp_path / "no.pdf"),
        center_http=http,
    )
    assert not refused.ok and refused.code != "issued" and refused.message_ja
    assert not (tmp_path / "no.pdf").exists()


def test_real_center_headless_three_copies_are_three_papers_of_one_document_FEE_1(
    real: RealKiosk, tmp_path: Path
) -> None:
    """FEE-1: `kofu kiosk session --copies 3` charges 600円 and writes three files of the one sealed
    document (one number); the month's statement bills 3 copies of 1 document."""
    from fastapi.testclient import TestClient

    from kofu.center import settlement
    from kofu.kiosk.headless import HeadlessRequest, run_session
    from kofu.rules.calendar import to_jst

    card = Path(json.loads((real.config.home / "demo-cards.json").read_text())[0]["card"])
    out = tmp_path / "out.pdf"
    http = real.service.center.http
    assert isinstance(http, TestClient)
    request = HeadlessRequest(card=card, pin="1234", municipality=OHIRA, kind="juminhyo", out=out, copies=3)
    result = run_session(real.config, request, center_http=http)
    assert result.ok and result.fee == 600, result
    papers = sorted(tmp_path.glob("out*.pdf"))
    assert [p.name for p in papers] == ["out-2.pdf", "out-3.pdf", "out.pdf"]
    assert result.papers == (out, tmp_path / "out-2.pdf", tmp_path / "out-3.pdf")
    assert len({p.read_bytes() for p in papers}) == 1  # the same document, number and seal
    factory = session_factory(make_engine(real.db_url))
    statement = settlement.settle(factory, to_jst(datetime.now(UTC)).strftime("%Y-%m"))
    factory.kw["bind"].dispose()
    assert (statement.documents, statement.copies, statement.yen) == (1, 3, 600), statement
    assert statement.reconciled
