"""Kiosk test fixtures: real virtual cards from the JPKI testbed, and the center test double."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from kiosk_doubles import OWN, TERMINAL, FakeCenterApi, FakeClock, Kiosk, write_demo_cards

from kofu.jpki.testbed import Testbed, open_testbed
from kofu.kiosk.app import build_service
from kofu.kiosk.config import KioskConfig


@pytest.fixture(scope="session")
def jpki_testbed(tmp_path_factory: pytest.TempPathFactory) -> Testbed:
    """Authorities and a jpki database shared by this worker's kiosk tests (cards are per test)."""
    folder = tmp_path_factory.mktemp("kiosk-jpki")
    return open_testbed(folder, f"sqlite:///{folder / 'jpki.db'}")


@pytest.fixture
def kiosk(kofu_home: Path, jpki_testbed: Testbed) -> Iterator[Kiosk]:
    """A demo-tray kiosk with two cards (card 0: PIN 1234, card 1: a phone) against the center double."""
    card = jpki_testbed.issue(OWN)
    phone = jpki_testbed.issue(OWN, credential="phone")
    write_demo_cards(kofu_home, [card, phone], ["1234", "----"])
    config = KioskConfig(home=kofu_home, terminal_id=TERMINAL, session_timeout_s=60)
    center = FakeCenterApi(home=kofu_home)
    clock = FakeClock()
    http = httpx.Client(base_url="http://center.test", transport=center.transport())
    service = build_service(config, center_http=http, clock=clock)
    yield Kiosk(service, config, center, clock, [card, phone])
    http.close()
