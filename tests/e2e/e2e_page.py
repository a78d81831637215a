"""A person at the kiosk page: taps on the touch screen and on the demo devices, through Playwright."""

from __future__ import annotations

import time
from pathlib import Path

from playwright.sync_api import Page, expect


class KioskPage:
    """The kiosk page of one test; `shot(name)` saves a screenshot when a shots folder is given."""

    def __init__(self, page: Page, url: str, shots: Path | None = None) -> None:
        self.page = page
        self.url = url
        self.shots = shots
        page.goto(url)
        self.expect_screen("idle")

    def tap(self, test_id: str) -> None:
        self.page.get_by_test_id(test_id).click()

    def expect_screen(self, name: str, timeout: float = 20_000) -> None:
        expect(self.page.locator("#screen")).to_have_attribute("data-screen", name, timeout=timeout)

    def message(self) -> str:
        return self.page.locator("#message").inner_text()

    def expect_message(self, *parts: str) -> None:
        for part in parts:
            expect(self.page.locator("#message")).to_contain_text(part)

    def wait_for_alarms(self, count: int, timeout_s: float = 15.0) -> None:
        """Until the take-alarm sounded `count` times (polled: the page's CSP forbids the string eval
        of `wait_for_function`)."""
        deadline = time.monotonic() + timeout_s
        while self.page.evaluate("window.kofuAlarms") < count:
            assert time.monotonic() < deadline, f"the alarm did not sound {count} times"
            self.page.wait_for_timeout(200)

    def shot(self, name: str) -> None:
        if self.shots is not None:
            self.page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True)

    def body(self) -> str:
        return self.page.inner_text("body")

    # --- the flow ---------------------------------------------------------------------------------
    def start_with(self, card: int) -> None:
        """証明書交付, then the demo card on the reader."""
        self.tap("start")
        self.expect_screen("card")
        self.tap(f"place-{card}")

    def enter_pin(self, pin: str) -> None:
        for digit in pin:
            self.tap(f"key-{digit}")
        expect(self.page.get_by_test_id("dots")).to_have_text("●" * len(pin))
        self.tap("key-ok")

    def sign_in(self, card: int, pin: str = "1234") -> None:
        self.start_with(card)
        self.expect_screen("pin")
        self.enter_pin(pin)
        self.expect_screen("municipality")

    def choose(self, municipality: str, kind: str) -> None:
        self.tap(f"muni-{municipality}")
        self.expect_screen("kind")
        self.tap(f"kind-{kind}")
        self.expect_screen("details")

    def pay(self, fee: int, insert: int = 1000) -> None:
        """Accept the fee, insert cash, pay; the printed screen is the take screen."""
        expect(self.page.get_by_test_id("fee")).to_have_text(f"{fee:,}円")
        self.tap("fee-ok")
        self.expect_screen("cash")
        self.tap(f"insert-{insert}")
        expect(self.page.get_by_test_id("pay")).to_be_enabled()
        self.tap("pay")

    def take_all(self) -> None:
        """Take the certificates and the card: the kiosk is idle again (SEC-3)."""
        self.tap("take-papers")
        self.tap("take-card")
        self.expect_screen("idle")
