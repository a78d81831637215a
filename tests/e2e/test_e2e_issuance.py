"""Each of the five kinds issued through the kiosk page against the real deployment (issue 5, browser part).

For every order the test reads the spool file the kiosk printed (before the kiosk deletes it on
confirmation) and judges it with poppler: the seal is valid over the whole document (`pdfsig`), the
requester and the chosen persons are on it and nobody else of their household or register
(`pdftotext` against the registry). Afterwards no file under the home, and nothing the servers logged,
holds the requester's printed name or address (SEC-4). Screenshots of every screen go to artifacts/kiosk/.
"""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import httpx
import pytest
from e2e_content import (
    Named,
    assert_names,
    files_holding,
    household,
    needles,
    pdf_text,
    register,
    seal_is_valid,
    searched_files,
    snapshot,
)
from e2e_deployment import OHIRA, Deployment
from e2e_kiosk import Kiosk, Spooled, serve_kiosk
from e2e_page import KioskPage
from playwright.sync_api import Page, expect

from kofu.registry.records import PersonSnapshot
from kofu.rules.kinds import Kind
from kofu.rules.rulebook import load_rulebook

OHIRA_BOOK = load_rulebook("ohira")


def _choice(kiosk: Kiosk) -> dict[str, object]:
    """The kiosk's current choice (persons by id), as the page's own API reports it."""
    view = httpx.get(f"{kiosk.url}api/state", headers=kiosk.headers, timeout=30).json()
    choice: dict[str, object] = view["choice"]
    return choice


def _printed(kiosk: Kiosk, before: int) -> Spooled:
    """The one document printed since `before`; its spool file is gone now that the print is confirmed."""
    assert len(kiosk.printer.spooled) == before + 1, "exactly one document is printed per order"
    spooled = kiosk.printer.spooled[-1]
    assert not spooled.path.exists(), "the spool file is deleted once the print is confirmed (SEC-4)"
    assert list(kiosk.config.spool_dir.iterdir()) == []
    return spooled


def _judge(
    spooled: Spooled,
    tmp_path: Path,
    chosen: list[Named],
    others: list[Named],
    address: str | None,
) -> str:
    """The printed document is sealed, names the chosen persons and nobody else; its text."""
    seal_is_valid(spooled.pdf, tmp_path)
    text = pdf_text(spooled.pdf, tmp_path)
    assert_names(text, chosen, others)
    if address is not None:
        assert address in re.sub(r"\s+", "", text), "the requester's address is printed"
    pages = re.findall(r"(\d+) / (\d+)", text)
    total = int(pages[0][1])
    assert {(str(i), str(total)) for i in range(1, total + 1)} <= set(pages), "each page says n / N (PAG-1)"
    return text


def _named(snap: PersonSnapshot) -> Named:
    return Named(snap.person.family_name, snap.person.given_name)


def _assert_nothing_kept(deployment: Deployment, snaps: list[PersonSnapshot], logged: str) -> None:
    """SEC-4: no file under the home (databases and WAL files, spool, kiosk state, logs) and no log line
    holds the printed name or address of any requester; only the sources of record do."""
    assert "session ended" in logged, "the servers' log lines were captured"
    searched = searched_files(deployment.home)
    assert {"db/center.db", "db/center.db-wal", "db/municipal-ohira.db"} <= set(searched)
    assert any(f.startswith("kiosk/") for f in searched)  # the spool folder is empty (see _printed)
    for snap in snaps:
        texts = needles(snap)
        assert files_holding(deployment.home, texts) == {}
        for label, text in texts.items():
            assert text not in logged, f"a log line holds the requester's {label}"


def test_e2e_page_issues_juminhyo_inkan_kazei_CRT_1_CRT_2_CRT_3_NRF_1_SEC_3_SEC_4(
    page: Page,
    deployment: Deployment,
    tmp_path: Path,
    shots: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """The adult resident's card: a 住民票 of self and one household member in 3 copies (FEE-1: 600円,
    three copies printed of the one document), a seal and an income certificate, each paid in cash with
    change and printed; every screen photographed."""
    card = deployment.card("resident")
    requester = snapshot(deployment.paths.registry("ohira"), card["person"])
    with serve_kiosk(deployment) as kiosk:
        kp = KioskPage(page, kiosk.url, shots)
        kp.shot("01-idle")
        kp.tap("lang")
        expect(page.get_by_test_id("start")).to_have_text("Get a certificate")
        kp.shot("01-idle-en")
        kp.tap("lang")
        expect(page.get_by_test_id("start")).to_have_text("証明書交付")

        # --- 住民票 of self and one household member (CRT-1)
        kp.tap("start")
        kp.expect_screen("card")
        kp.shot("02-card")
        kp.tap(f"place-{deployment.card_index('resident')}")
        kp.expect_screen("pin")
        expect(page.get_by_test_id("tries")).to_contain_text("3回")
        kp.shot("03-pin")
        kp.enter_pin("1234")
        kp.expect_screen("municipality")
        expect(page.get_by_test_id(f"muni-{OHIRA}")).to_contain_text("住所地")
        kp.shot("04-municipality")
        kp.tap(f"muni-{OHIRA}")
        kp.expect_screen("kind")
        kp.shot("05-kind")
        kp.tap("kind-juminhyo")
        kp.expect_screen("details")
        kp.tap("member-1")
        expect(page.get_by_test_id("member-1")).to_have_class(re.compile("selected"))
        kp.tap("copies-plus")
        kp.tap("copies-plus")
        expect(page.get_by_test_id("copies")).to_have_text("3")
        kp.shot("06-details")
        kp.tap("details-next")
        kp.expect_screen("fee")
        fee = OHIRA_BOOK.fee(Kind.JUMINHYO) * 3
        expect(page.get_by_test_id("fee")).to_have_text(f"{fee:,}円")
        kp.shot("07-fee")
        persons = [str(p) for p in _choice(kiosk)["persons"]]  # type: ignore[attr-defined]
        assert persons[0] == card["person"] and len(persons) == 2
        kp.tap("fee-ok")
        kp.expect_screen("cash")
        expect(page.get_by_test_id("pay")).to_be_disabled()
        kp.tap("insert-1000")
        expect(page.get_by_test_id("inserted")).to_contain_text("1,000円")
        kp.shot("08-cash")
        kiosk.printer.hold = hold = threading.Event()
        kp.tap("pay")
        assert kiosk.printer.printing.wait(timeout=60), "the kiosk never reached its printer"
        expect(page.get_by_text("印刷しています")).to_be_visible()
        kp.shot("09-printing")
        hold.set()
        kp.expect_screen("take", timeout=60_000)
        kp.expect_message("証明書を発行しました")
        expect(page.get_by_test_id("paid-out")).to_contain_text(f"{1000 - fee:,}円")  # the change
        expect(page.get_by_test_id("alarm-card")).to_be_visible()
        expect(page.get_by_test_id("alarm-papers")).to_be_visible()
        expect(page.locator("#output")).to_have_text("証明書 × 3")  # every copy paid is paper to take
        kp.shot("10-take-card-and-papers")
        kp.wait_for_alarms(2)  # SEC-3: the alarm repeats

        member = snapshot(deployment.paths.registry("ohira"), persons[1])
        chosen = [_named(requester), _named(member)]
        others = [n for n in household(requester) if n not in chosen]
        assert others, "the household has someone who was not chosen"
        spooled = _printed(kiosk, 0)
        assert spooled.copies == 3, "the printer prints every copy paid (FEE-1)"
        assert requester.person.address is not None
        _judge(spooled, tmp_path, chosen, others, requester.person.address.address)

        # SEC-3: the papers taken, the card still in: the screen stays on the alarm
        kp.tap("take-papers")
        expect(page.get_by_test_id("alarm-papers")).to_have_count(0)
        page.wait_for_timeout(2000)  # longer than the page's polling interval
        kp.expect_screen("take")
        expect(page.get_by_test_id("alarm-card")).to_be_visible()
        kp.tap("take-card")
        kp.expect_screen("idle")

        # --- 印鑑登録証明書 (CRT-2): the card taken first, the papers still there: no idle either
        kp.sign_in(deployment.card_index("resident"))
        kp.choose(OHIRA, "inkan")
        kp.tap("details-next")
        kp.expect_screen("fee")
        kp.pay(OHIRA_BOOK.fee(Kind.INKAN))
        kp.expect_screen("take", timeout=60_000)
        kp.tap("take-card")
        expect(page.get_by_test_id("alarm-card")).to_have_count(0)
        page.wait_for_timeout(2000)
        kp.expect_screen("take")
        expect(page.get_by_test_id("alarm-papers")).to_be_visible()
        kp.shot("11-take-papers")
        kp.tap("take-papers")
        kp.expect_screen("idle")
        _judge(_printed(kiosk, 1), tmp_path, [_named(requester)], others, requester.person.address.address)

        # --- 課税・非課税・所得証明書 (CRT-3): the latest fiscal year offered
        kp.sign_in(deployment.card_index("resident"))
        kp.choose(OHIRA, "kazei")
        years = OHIRA_BOOK.fiscal_years(deployment.clock().date())
        expect(page.get_by_test_id(f"fy-{years[0]}")).to_have_class(re.compile("selected"))
        kp.tap("details-next")
        kp.expect_screen("fee")
        kp.pay(OHIRA_BOOK.fee(Kind.KAZEI))
        kp.expect_screen("take", timeout=60_000)
        kp.take_all()
        text = _judge(_printed(kiosk, 2), tmp_path, [_named(requester)], others, None)
        assert "課税・非課税・所得証明書" in text

    logged = capfd.readouterr()
    _assert_nothing_kept(deployment, [requester, member], logged.out + logged.err)


def test_e2e_page_issues_koseki_fuhyo_ELG_3_CRT_4_CRT_5_PAG_1_SEC_4(
    page: Page,
    deployment: Deployment,
    tmp_path: Path,
    shots: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """A non-resident registered at the 本籍地 gets the whole family register; the resident gets the
    附票 of self only. Both are judged on paper, then nothing of them is left (SEC-4)."""
    card = deployment.card("honseki-registered")
    requester = snapshot(deployment.paths.registry("ohira"), card["person"])
    resident = snapshot(deployment.paths.registry("ohira"), deployment.card("resident")["person"])
    with serve_kiosk(deployment) as kiosk:
        kp = KioskPage(page, kiosk.url, shots)
        # --- 戸籍全部事項証明書 at the 本籍地 (ELG-3, CRT-4)
        kp.sign_in(deployment.card_index("honseki-registered"))
        expect(page.get_by_test_id(f"muni-{OHIRA}")).to_contain_text("本籍地")
        kp.choose(OHIRA, "koseki")
        kp.tap("option-whole")
        expect(page.get_by_test_id("option-whole")).to_have_class(re.compile("selected"))
        kp.tap("details-next")
        kp.expect_screen("fee")
        kp.pay(OHIRA_BOOK.fee(Kind.KOSEKI))
        kp.expect_screen("take", timeout=60_000)
        kp.take_all()
        members = register(requester, removed=True)
        assert len(members) >= 2
        text = _judge(_printed(kiosk, 0), tmp_path, members, household(resident), None)
        assert requester.koseki is not None
        assert re.sub(r"\s+", "", text).count("【名】") == len(members), "the whole register, nobody else"

        # --- 戸籍の附票の写し of self only (CRT-5)
        kp.sign_in(deployment.card_index("resident"))
        kp.choose(OHIRA, "fuhyo")
        kp.tap("details-next")
        kp.expect_screen("fee")
        kp.pay(OHIRA_BOOK.fee(Kind.FUHYO))
        kp.expect_screen("take", timeout=60_000)
        kp.take_all()
        assert resident.koseki is not None
        head = Named(resident.koseki.hittousha_family, resident.koseki.hittousha_given)
        others = [n for n in register(resident) if n not in (_named(resident), head)]
        assert others
        assert resident.person.address is not None
        text = _judge(
            _printed(kiosk, 1), tmp_path, [_named(resident)], others, resident.person.address.address
        )
        assert "戸籍の附票の写し" in text

    time.sleep(0.2)  # let the servers' last log lines out
    logged = capfd.readouterr()
    _assert_nothing_kept(deployment, [requester, resident], logged.out + logged.err)
