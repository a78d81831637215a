"""Card test fixtures end the `kofu card serve` processes they start, even when the card never appears."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import card_pcsc_kit
import pytest
from card_pcsc_kit import Served

from kofu.procstat import children, stats


def _free_port() -> int:
    with socket.socket() as probe:  # nothing listens there afterwards: the bridge keeps retrying
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serving(card: Path) -> list[int]:
    """Live child processes of this test serving `card`."""
    found = []
    for pid in children(os.getpid()):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"serve" in cmdline and str(card).encode() in cmdline and pid in stats([pid]):
            found.append(pid)
    return found


def _vpcd_timeout(predicate: object, seconds: float, what: str) -> None:
    raise AssertionError(f"timed out after {seconds}s waiting for {what}")


def test_a_served_card_whose_reader_never_shows_it_leaves_no_process(
    card_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(card_pcsc_kit, "wait_for", _vpcd_timeout)
    server = Served(card_path, _free_port(), "Virtual PCD 99 99")
    try:
        with pytest.raises(AssertionError, match="timed out"):
            server.start()
        assert _serving(card_path) == []
    finally:
        for pid in _serving(card_path):  # today's code leaves it: do not leave it to the next test
            os.kill(pid, 9)
