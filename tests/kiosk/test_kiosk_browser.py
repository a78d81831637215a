"""The kiosk page in Debian's Chromium (Playwright, no browser download), against the kiosk app on uvicorn.

Walks idle → card → PIN (a wrong one first) → municipality → kind → details → fee → cash → print → take
card and certificates → idle, switching to English on the way, and saves a screenshot of each screen
into `$KOFU_ARTIFACTS/kiosk/` (or the test's tmp folder).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from kiosk_doubles import MUNI, TERMINAL, FakeCenterApi, write_demo_cards
from playwright.sync_api import Page, expect, sync_playwright

from kofu.chaos.stack import free_port
from kofu.documents import samples
from kofu.jpki.testbed import Testbed
from kofu.kiosk.app import build_service, create_app
from kofu.kiosk.config import KioskConfig
from kofu.rules.reasons import Reason

expect.set_options(timeout=15_000)  # the CI machine is shared: give each screen change some room

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def _serve(
    config: KioskConfig, center: FakeCenterApi | None = None, port: int | None = None
) -> Iterator[str]:
    """The kiosk app (center: the test double) on uvicorn in a thread on a (free) port; stopped after."""
    center = center or FakeCenterApi(home=config.home)
    http = httpx.Client(base_url="http://center.test", transport=center.transport())
    app = create_app(config, service=build_service(config, center_http=http))
    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        http.close()


@pytest.fixture
def kiosk_url(kofu_home: Path, jpki_testbed: Testbed) -> Iterator[str]:
    """The kiosk app with a demo tray of one card."""
    card = jpki_testbed.issue("044245-0000001")
    write_demo_cards(kofu_home, [card], ["1234"])
    with _serve(KioskConfig(home=kofu_home, terminal_id=TERMINAL, session_timeout_s=120)) as url:
        yield url


@pytest.fixture
def page() -> Iterator[Page]:
    """A page of Debian's Chromium (launched by path: no browser download).

    Per test, not per session: Playwright's sync API keeps an event loop running in the main thread
    while it is open, which would break later tests in the same worker that use asyncio.run.
    """
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": 1400, "height": 1000})
        finally:
            browser.close()


def _artifacts(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("KOFU_ARTIFACTS", tmp_path)) / "kiosk"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_kiosk_page_full_flow_SEC_2_SEC_3_PIN_1(page: Page, kiosk_url: str, tmp_path: Path) -> None:
    shots = _artifacts(tmp_path)
    seen_text: list[str] = []
    violations: list[str] = []  # the page's CSP (T9) must not block anything it does
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)

    def screen(name: str, timeout: float = 5000) -> None:
        expect(page.locator("#screen")).to_have_attribute("data-screen", name, timeout=timeout)
        seen_text.append(page.inner_text("body"))
        page.screenshot(path=str(shots / f"{len(seen_text):02d}-{name}.png"))

    page.goto(kiosk_url)
    screen("idle")
    expect(page.get_by_test_id("start")).to_have_text("証明書交付")
    page.get_by_test_id("lang").click()  # English switch on the idle screen
    expect(page.get_by_test_id("start")).to_have_text("Get a certificate")
    page.get_by_test_id("lang").click()
    expect(page.get_by_test_id("start")).to_have_text("証明書交付")
    page.get_by_test_id("start").click()
    screen("card")
    page.get_by_test_id("place-0").click()
    screen("pin")

    for key in "0000":  # PIN-1: a wrong PIN shows the tries left
        page.get_by_test_id(f"key-{key}").click()
    expect(page.get_by_test_id("dots")).to_have_text("●●●●")
    page.get_by_test_id("key-ok").click()
    expect(page.locator("#message")).to_contain_text("暗証番号が違います")
    expect(page.get_by_test_id("tries")).to_contain_text("2回")
    seen_text.append(page.inner_text("body"))
    page.screenshot(path=str(shots / "03b-pin-wrong.png"))
    for key in "1234":
        page.get_by_test_id(f"key-{key}").click()
    page.get_by_test_id("key-ok").click()
    screen("municipality")
    page.get_by_test_id(f"muni-{MUNI}").click()
    screen("kind")
    expect(page.get_by_test_id("kind-koseki")).to_contain_text("本籍がない")  # a refused kind says why
    page.get_by_test_id("lang").click()  # and in English from here on
    expect(page.get_by_test_id("kind-juminhyo")).to_contain_text("Residence record")
    expect(page.get_by_test_id("kind-koseki")).to_contain_text("family register is not in this")
    page.get_by_test_id("kind-juminhyo").click()
    screen("details")
    page.get_by_test_id("member-1").click()
    page.get_by_test_id("copies-plus").click()
    expect(page.get_by_test_id("copies")).to_have_text("2")
    page.get_by_test_id("details-next").click()
    screen("fee")
    expect(page.get_by_test_id("fee")).to_have_text("¥400")
    page.get_by_test_id("fee-ok").click()
    screen("cash")
    expect(page.get_by_test_id("pay")).to_be_disabled()
    page.get_by_test_id("insert-1000").click()
    expect(page.get_by_test_id("inserted")).to_contain_text("¥1,000")
    page.get_by_test_id("pay").click()
    screen("take", timeout=60000)  # rendering and sealing the document takes a moment

    # SEC-3: alarms while the card and the certificates are left; the screen does not go idle
    expect(page.get_by_test_id("alarm-card")).to_be_visible()
    expect(page.get_by_test_id("alarm-papers")).to_be_visible()
    expect(page.get_by_test_id("paid-out")).to_contain_text("¥600")  # change given
    deadline = time.monotonic() + 15  # it repeats (polled: the page's CSP forbids wait_for_function's eval)
    while page.evaluate("window.kofuAlarms") < 2:
        assert time.monotonic() < deadline, "the alarm does not repeat"
        page.wait_for_timeout(200)
    page.get_by_test_id("take-papers").click()
    expect(page.get_by_test_id("alarm-papers")).to_have_count(0)
    page.wait_for_timeout(2000)
    expect(page.locator("#screen")).to_have_attribute("data-screen", "take")
    expect(page.get_by_test_id("alarm-card")).to_be_visible()
    page.get_by_test_id("take-card").click()
    screen("idle")
    expect(page.get_by_test_id("start")).to_have_text("証明書交付")  # the next person starts in Japanese

    # SEC-2: no certificate content on screen beyond the chosen members' names
    for text in seen_text:
        assert samples.ADDRESS not in text and "平林" not in text and "大衡字" not in text
    assert violations == []


def test_kiosk_page_under_its_csp_follows_a_restart_of_the_kiosk_T9(
    page: Page, kofu_home: Path, jpki_testbed: Testbed
) -> None:
    """T9: the page runs under its Content-Security-Policy without a violation; when the kiosk restarts
    (a new page token: the old page's calls are refused), the page loads itself again and carries on."""
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    write_demo_cards(kofu_home, [jpki_testbed.issue("044245-0000001")], ["1234"])
    config = KioskConfig(home=kofu_home, terminal_id=TERMINAL)
    port = free_port()
    with _serve(config, port=port) as url:
        page.goto(url)
        page.get_by_test_id("start").click()
        expect(page.locator("#screen")).to_have_attribute("data-screen", "card")
        first = page.locator('meta[name="kofu-page-token"]').get_attribute("content")
    with _serve(config, port=port):
        # the session of the previous process is ended; the old page is refused, then reloads itself
        expect(page.locator("#screen")).to_have_attribute("data-screen", "idle", timeout=20_000)
        expect(page.locator('meta[name="kofu-page-token"]')).not_to_have_attribute("content", first or "")
        page.get_by_test_id("start").click()
        expect(page.locator("#screen")).to_have_attribute("data-screen", "card")
        page.get_by_test_id("cancel").click()
        expect(page.locator("#screen")).to_have_attribute("data-screen", "idle")
    assert violations == []


def test_kiosk_page_walk_away_timeout_INC_8(page: Page, kofu_home: Path, jpki_testbed: Testbed) -> None:
    card = jpki_testbed.issue("044245-0000001")
    write_demo_cards(kofu_home, [card], ["1234"])
    config = KioskConfig(home=kofu_home, terminal_id=TERMINAL, session_timeout_s=3)
    with _serve(config) as url:
        page.goto(url)
        page.get_by_test_id("start").click()
        page.get_by_test_id("place-0").click()
        for key in "1234":
            page.get_by_test_id(f"key-{key}").click()
        page.get_by_test_id("key-ok").click()
        expect(page.locator("#screen")).to_have_attribute("data-screen", "municipality")
        # the person walks away: the session ends, the card is called for, then idle once taken
        expect(page.locator("#screen")).to_have_attribute("data-screen", "take", timeout=10000)
        expect(page.locator("#message")).to_contain_text("操作がなかった")
        expect(page.get_by_test_id("muni-" + MUNI)).to_have_count(0)
        page.get_by_test_id("take-card").click()
        expect(page.locator("#screen")).to_have_attribute("data-screen", "idle")
        assert not (config.state_dir / "session.json").exists()


def test_kiosk_page_phone_user_chooses_pin_or_biometrics_ELG_5(
    page: Page, kofu_home: Path, jpki_testbed: Testbed, tmp_path: Path
) -> None:
    """ELG-5: the PIN screen offers a phone user both the biometric button and the keypad; the PIN works,
    and the kiosk calls for the phone, not a card, when the person leaves it."""
    phone = jpki_testbed.issue("044245-0000001", credential="phone")
    write_demo_cards(kofu_home, [phone], ["1234"])
    with _serve(KioskConfig(home=kofu_home, terminal_id=TERMINAL)) as url:
        page.goto(url)
        page.get_by_test_id("start").click()
        page.get_by_test_id("place-0").click()
        expect(page.get_by_test_id("biometric")).to_be_visible()
        expect(page.get_by_test_id("phone-pin")).to_contain_text("スマホ")
        expect(page.locator("#screen")).not_to_contain_text("カード")
        page.screenshot(path=str(_artifacts(tmp_path) / "22-phone-pin-or-biometrics.png"))
        for key in "1234":
            page.get_by_test_id(f"key-{key}").click()
        page.get_by_test_id("key-ok").click()
        expect(page.locator("#screen")).to_have_attribute("data-screen", "municipality")
        page.get_by_test_id("cancel").click()
        expect(page.get_by_test_id("alarm-card")).to_have_text("スマートフォンをお取りください")


def test_kiosk_page_registration_card_filed_phone_refused_REG_1_ELG_6(
    page: Page, kofu_home: Path, jpki_testbed: Testbed, tmp_path: Path
) -> None:
    card = jpki_testbed.issue("044245-0000001")
    phone = jpki_testbed.issue("044245-0000001", credential="phone")
    write_demo_cards(kofu_home, [card, phone], ["1234", ""])
    with _serve(KioskConfig(home=kofu_home, terminal_id=TERMINAL)) as url:
        page.goto(url)
        page.get_by_test_id("start").click()
        page.get_by_test_id("place-1").click()  # the phone: here its sensor instead of its PIN
        page.get_by_test_id("biometric").click()
        page.get_by_test_id(f"muni-{MUNI}").click()
        page.get_by_test_id("registration").click()
        expect(page.locator("#message")).to_contain_text("スマホ用電子証明書では利用登録申請はできません")
        page.screenshot(path=str(_artifacts(tmp_path) / "21-registration-phone-refused.png"))
        page.get_by_test_id("cancel").click()
        expect(page.locator("#screen")).to_have_attribute("data-screen", "take")
        page.get_by_test_id("take-card").click()
        expect(page.locator("#screen")).to_have_attribute("data-screen", "idle")
        page.get_by_test_id("start").click()
        page.get_by_test_id("place-0").click()
        for key in "1234":
            page.get_by_test_id(f"key-{key}").click()
        page.get_by_test_id("key-ok").click()
        page.get_by_test_id(f"muni-{MUNI}").click()
        page.get_by_test_id("registration").click()
        expect(page.locator("#screen")).to_have_attribute("data-screen", "register")
        for key in "ABC123":
            page.get_by_test_id(f"alpha-{key}").click()
        expect(page.get_by_test_id("dots")).to_have_text("●" * 6)
        page.screenshot(path=str(_artifacts(tmp_path) / "22-registration-password.png"))
        page.get_by_test_id("password-ok").click()
        expect(page.locator("#screen")).to_have_attribute("data-screen", "registered")
        expect(page.locator("#message")).to_contain_text("利用登録申請を受け付けました")
        page.get_by_test_id("finish").click()
        expect(page.locator("#screen")).to_have_attribute("data-screen", "take")
        page.get_by_test_id("take-card").click()
        expect(page.locator("#screen")).to_have_attribute("data-screen", "idle")


def test_kiosk_page_pin_lock_tells_where_to_reset_PIN_1_PIN_2(
    page: Page, kiosk_url: str, tmp_path: Path
) -> None:
    page.goto(kiosk_url)
    page.get_by_test_id("start").click()
    page.get_by_test_id("place-0").click()
    for tries_left in (2, 1):
        for key in "9999":
            page.get_by_test_id(f"key-{key}").click()
        page.get_by_test_id("key-ok").click()
        expect(page.get_by_test_id("tries")).to_contain_text(f"{tries_left}回")
    for key in "9999":
        page.get_by_test_id(f"key-{key}").click()
    page.get_by_test_id("key-ok").click()  # the third wrong PIN locks the card
    expect(page.locator("#screen")).to_have_attribute("data-screen", "take")
    expect(page.locator("#message")).to_contain_text("ロックされています")
    expect(page.locator("#message")).to_contain_text("市区町村の窓口")
    page.get_by_test_id("lang").click()
    expect(page.locator("#message")).to_contain_text("identity document")
    page.screenshot(path=str(_artifacts(tmp_path) / "20-pin-blocked.png"))
    page.get_by_test_id("take-card").click()
    expect(page.locator("#screen")).to_have_attribute("data-screen", "idle")


def test_kiosk_page_says_why_the_latest_tax_year_is_missing_LAG_2(
    page: Page, kofu_home: Path, jpki_testbed: Testbed
) -> None:
    """LAG-2: the menu's note is a sentence under the year choice, in the person's language."""
    card = jpki_testbed.issue("044245-0000001")
    write_demo_cards(kofu_home, [card], ["1234"])
    config = KioskConfig(home=kofu_home, terminal_id=TERMINAL)
    with _serve(config, FakeCenterApi(home=kofu_home, tax_pending=True)) as url:
        page.goto(url)
        page.get_by_test_id("start").click()
        page.get_by_test_id("place-0").click()
        for key in "1234":
            page.get_by_test_id(f"key-{key}").click()
        page.get_by_test_id("key-ok").click()
        page.get_by_test_id("muni-" + MUNI).click()
        page.get_by_test_id("kind-kazei").click()
        expect(page.locator("#screen")).to_have_attribute("data-screen", "details")
        expect(page.get_by_test_id("fy-2025")).to_have_count(0)
        expect(page.get_by_test_id("fy-2024")).to_have_count(1)
        expect(page.get_by_test_id("menu-note")).to_have_text(Reason.TAX_YEAR_PENDING.ja)
        page.locator("#lang").click()
        expect(page.get_by_test_id("menu-note")).to_have_text(Reason.TAX_YEAR_PENDING.en)
