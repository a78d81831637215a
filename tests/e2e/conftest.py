"""End-to-end fixtures: the demo world served by every real party (once per xdist worker), a browser per test.

Nothing here is a test double: the center, the municipal servers, the JPKI OCSP responder and the kiosk
are the project's apps on uvicorn, the cards are the demo's virtual cards, the browser is Debian's Chromium.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_deployment import Deployment, serve_deployment
from playwright.sync_api import Page, expect, sync_playwright

expect.set_options(timeout=20_000)  # the machine is shared: give each screen change some room

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
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """The demo world (villages, JPKI, 13 demo cards) and its parties, built once per worker."""
    with serve_deployment(tmp_path_factory.mktemp("e2e") / "home") as served:
        yield served


@pytest.fixture
def clock(deployment: Deployment) -> Iterator[None]:
    """Put the municipal servers back at office hours after a test that moves their clock."""
    yield
    deployment.clock.office_hours()


@pytest.fixture
def page() -> Iterator[Page]:
    """A page of Debian's Chromium (by path: no browser download), one browser per test.

    Playwright's sync API keeps an event loop in the main thread while it is open, which would break
    later tests of the same worker that use asyncio.run.
    """
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": 1400, "height": 1000})
        finally:
            browser.close()


@pytest.fixture(scope="session")
def shots() -> Path:
    """`artifacts/kiosk/` at the project root (or under `$KOFU_ARTIFACTS`): the kiosk screenshots."""
    folder = Path(os.environ.get("KOFU_ARTIFACTS", ROOT / "artifacts")) / "kiosk"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
