"""The session's edges at the kiosk page: the PIN lock (PIN-1, PIN-2) and the walk-away timeout (INC-8)."""

from __future__ import annotations

import shutil
from pathlib import Path

from e2e_content import snapshot
from e2e_deployment import OHIRA, Deployment
from e2e_kiosk import serve_kiosk
from e2e_page import KioskPage
from playwright.sync_api import Page, expect

from kofu.card.client import JpkiClient
from kofu.card.inprocess import InProcessReader
from kofu.kiosk.devices.cardslot import DemoCard
from kofu.kiosk.messages import KioskEvent
from kofu.rules.reasons import Reason


def test_e2e_pin_locks_at_third_wrong_pin_and_says_where_to_reset_PIN_1_PIN_2(
    page: Page, deployment: Deployment, tmp_path: Path, shots: Path
) -> None:
    """Three wrong PINs: tries 2, 1, then the card locks itself and the page says where to reset it.

    The card is a copy of the resident's demo card (the worker's other tests keep using the original).
    """
    resident = deployment.card("resident")
    copy = tmp_path / "resident-copy.card"
    shutil.copyfile(resident["card"], copy)
    copy.chmod(0o600)  # a card file must be owner-only
    tray = [DemoCard(card=str(copy), pin="1234", person=resident["person"], label=str(resident["label"]))]
    with serve_kiosk(deployment, tray=tray) as kiosk:
        kp = KioskPage(page, kiosk.url, shots)
        kp.start_with(0)
        kp.expect_screen("pin")
        for tries_left in (2, 1):
            kp.enter_pin("9999")
            kp.expect_message(Reason.PIN_WRONG.ja)
            expect(page.get_by_test_id("tries")).to_contain_text(f"{tries_left}回")
            kp.expect_screen("pin")
            if tries_left == 2:
                kp.shot("03b-pin-wrong")
        kp.enter_pin("9999")
        kp.expect_screen("take")
        kp.expect_message(Reason.PIN_BLOCKED.ja, KioskEvent.PIN_RESET_HELP.ja)
        expect(page.locator("#message")).to_contain_text("市区町村の窓口")
        expect(page.get_by_test_id("alarm-card")).to_be_visible()
        kp.shot("15-pin-locked")
        kp.tap("lang")
        kp.expect_message(Reason.PIN_BLOCKED.en, "identity document")
        kp.shot("15-pin-locked-en")
        kp.tap("take-card")
        kp.expect_screen("idle")
        expect(page.get_by_test_id("start")).to_have_text("証明書交付")  # the next person starts in Japanese

        # the lock is in the card itself: the right PIN no longer opens it
        with InProcessReader(copy) as reader:
            client = JpkiClient(reader)
            assert client.pin_tries_left() == 0
            assert not client.verify_pin("1234").ok

        # and placed again, it is refused before any PIN is asked (PIN-2)
        kp.start_with(0)
        kp.expect_screen("take")
        kp.expect_message(Reason.PIN_BLOCKED.ja)
        kp.tap("take-card")
        kp.expect_screen("idle")


def test_e2e_walk_away_times_out_and_wipes_the_session_INC_8_SEC_3(
    page: Page, deployment: Deployment, shots: Path
) -> None:
    """A person leaves on the details screen (household names shown): the kiosk ends the session, calls
    for the card, and once it is taken the next person finds nothing of the last one."""
    card = deployment.card("resident")
    person = snapshot(deployment.paths.registry("ohira"), card["person"]).person
    with serve_kiosk(deployment, session_timeout_s=8) as kiosk:
        kp = KioskPage(page, kiosk.url, shots)
        kp.sign_in(deployment.card_index("resident"))
        kp.choose(OHIRA, "juminhyo")
        expect(page.get_by_test_id("member-0")).to_contain_text(person.given_name)
        assert (kiosk.config.state_dir / "session.json").exists()
        # nobody touches the screen: the page's own polling must not keep the session alive
        kp.expect_screen("take", timeout=30_000)
        kp.expect_message(KioskEvent.TIMEOUT.ja)
        expect(page.get_by_test_id("member-0")).to_have_count(0)
        expect(page.get_by_test_id("alarm-card")).to_be_visible()
        kp.shot("16-timeout")
        assert not (kiosk.config.state_dir / "session.json").exists()
        page.wait_for_timeout(2000)
        kp.expect_screen("take")  # SEC-3: not idle while the card is left
        kp.tap("take-card")
        kp.expect_screen("idle")
        kp.tap("start")
        kp.expect_screen("card")
        body = kp.body()
        assert person.given_name not in body and person.family_name not in body
        kp.tap("cancel")
        kp.expect_screen("idle")
