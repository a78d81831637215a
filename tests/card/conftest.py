"""Fixtures for the card tests (material comes from card_testkit)."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from card_pcsc_kit import TOOLS, VPCD_DRIVER, VPCD_SLOTS, Served, pcsc_readers, wait_for
from card_testkit import FACE, MANAGEMENT_KEY, PIN, SIGN_PASSWORD, MakeCard, Material, make_material

from kofu.card.biometric import enroll
from kofu.card.cardfile import CardKind, new_card_file, write_card_file


@pytest.fixture(scope="session")
def material() -> Material:
    """Two test CAs and one card's end-entity certificates (RSA-2048, SHA-256), made once per session."""
    return make_material()


@pytest.fixture
def make_card(tmp_path: Path, material: Material) -> MakeCard:
    """Write a fresh card file (full counters) and return its path."""
    counter = iter(range(1000))

    def make(kind: CardKind = "card", name: str | None = None) -> Path:
        path = tmp_path / (name or f"card-{next(counter)}.json")
        card = new_card_file(
            kind=kind,
            auth=material.auth,
            sign=material.sign,
            pin=PIN,
            sign_password=SIGN_PASSWORD,
            management_key=MANAGEMENT_KEY,
            biometric_template=enroll(FACE) if kind == "phone" else None,
        )
        write_card_file(path, card)
        return path

    return make


@pytest.fixture
def card_path(make_card: MakeCard) -> Path:
    return make_card()


@pytest.fixture(scope="session")
def pcscd() -> None:
    """pcscd with the vpcd driver; started here (as root) if not running; skips only if not installed."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing or not VPCD_DRIVER.exists():
        pytest.skip(f"PC/SC test stack not installed (missing: {missing or [str(VPCD_DRIVER)]})")
    if not any(name in pcsc_readers() for name in VPCD_SLOTS.values()):
        subprocess.run(["pcscd"], check=False)
        wait_for(lambda: all(n in pcsc_readers() for n in VPCD_SLOTS.values()), 15, "pcscd's vpcd readers")


@pytest.fixture
def vpcd_slot(pcscd: None) -> Iterator[tuple[int, str]]:
    """A vpcd port and its reader name, held exclusively (file lock) while a test serves a card into it."""
    handles = []
    try:
        for port in VPCD_SLOTS:
            fd = os.open(f"/tmp/kofu-vpcd-{port}.lock", os.O_RDWR | os.O_CREAT, 0o666)
            handles.append(fd)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue
            yield port, VPCD_SLOTS[port]
            return
        fcntl.flock(handles[0], fcntl.LOCK_EX)  # both busy: queue for the first
        port = next(iter(VPCD_SLOTS))
        yield port, VPCD_SLOTS[port]
    finally:
        for fd in handles:
            os.close(fd)  # closing releases the lock


@pytest.fixture
def served(card_path: Path, vpcd_slot: tuple[int, str]) -> Iterator[Served]:
    """The test card, served into a vpcd reader for the test's duration."""
    server = Served(card_path, *vpcd_slot)
    try:
        server.start()
        yield server
    finally:
        server.stop()
