"""The kiosk terminal of an end-to-end test: the real kiosk app, its real spool printer, watched.

`WatchedSpoolPrinter` is the kiosk's own `SpoolPrinter`; after the kiosk has checked the binding and
written the (sealed) spool file, it reads that very file back as the printer prints it, before the kiosk
confirms the print and the file is deleted. It can also hold the print for a moment, so the page's
"printing" screen can be photographed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from e2e_deployment import Deployment, Servers, bound_socket, url_of

from kofu.demo.world import TERMINAL_ID
from kofu.kiosk.app import build_service, create_app
from kofu.kiosk.config import KioskConfig
from kofu.kiosk.devices.cardslot import DemoCard, DemoTray
from kofu.kiosk.devices.printer import Binding, Printed, PrintResult, SpoolPrinter
from kofu.kiosk.store import KioskStore


@dataclass(frozen=True)
class Spooled:
    """One printed order: the spool file's path and the bytes it held when the kiosk printed it."""

    order_id: str
    path: Path
    pdf: bytes
    copies: int = 1  # the copies the printer was told to print


class WatchedSpoolPrinter(SpoolPrinter):
    """The kiosk's spool printer, keeping a copy of each spooled file as it was printed."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.spooled: list[Spooled] = []
        self.printing = threading.Event()
        self.hold: threading.Event | None = None

    def print_document(
        self, pdf: bytes, headers: Mapping[str, str], binding: Binding, copies: int = 1
    ) -> PrintResult:
        result = super().print_document(pdf, headers, binding, copies=copies)
        if isinstance(result, Printed):
            path = self._path(binding.order_id)
            printed = self.read(binding.order_id)
            assert printed is not None, "the spool file reads back with the print's key"
            self.spooled.append(Spooled(binding.order_id, path, printed, result.copies))
        self.printing.set()
        if self.hold is not None:
            self.hold.wait(timeout=20)
        return result


@dataclass(frozen=True)
class Kiosk:
    """A running kiosk terminal: its page URL, config and printer, and the page's token (T9)."""

    url: str
    config: KioskConfig
    printer: WatchedSpoolPrinter
    token: str

    @property
    def headers(self) -> dict[str, str]:
        """What the kiosk's own page sends with each API call."""
        return {"X-Kofu-Page-Token": self.token}


@contextmanager
def serve_kiosk(
    deployment: Deployment, *, session_timeout_s: float = 120.0, tray: list[DemoCard] | None = None
) -> Iterator[Kiosk]:
    """The demo terminal's kiosk app against the deployment's center, on its own socket; stopped after.

    Its card tray holds the demo cards of `demo-cards.json`, or the cards of `tray` when given.

    On the way out the terminal is brought back to idle (session ended, card and papers taken), so a
    failed test leaves nothing for the next one.
    """
    config = KioskConfig(
        home=deployment.home,
        terminal_id=TERMINAL_ID,
        center_url=deployment.center_url,
        session_timeout_s=session_timeout_s,
    )
    printer = WatchedSpoolPrinter(config.spool_dir)
    slot = None if tray is None else DemoTray(KioskStore(config.state_dir), tray, config.home)
    app = create_app(config, service=build_service(config, printer=printer, slot=slot))
    sock = bound_socket()
    servers = Servers()
    servers.start("kiosk", app, sock)
    url = url_of(sock)
    try:
        yield Kiosk(f"{url}/", config, printer, app.state.page_token)
    finally:
        printer.hold = None
        try:
            headers = {"X-Kofu-Page-Token": app.state.page_token}
            with httpx.Client(base_url=url, timeout=30, headers=headers) as http:
                for path in ("/api/finish", "/api/tray/take", "/api/papers/take"):
                    http.post(path, json={})
        finally:
            servers.stop()
