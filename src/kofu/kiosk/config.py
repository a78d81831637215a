"""What one kiosk terminal needs to know: its id, the center, its devices, and its timeouts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

from kofu.settings import FilePath, Names, Positive, Settings, Table

PrinterKind = Literal["spool", "cups"]


@dataclass(frozen=True)
class KioskConfig:
    """A terminal's configuration (section `[kiosk]` of the settings file, or built by the demo).

    `reader` None means the demo card tray (cards from `$KOFU_HOME/demo-cards.json` on an in-process
    reader); any other value is a PC/SC reader name ("" = the first reader with a card).
    The page answers only under `allowed_hosts` (the Host header's name, any port) and only to peers in
    `allowed_clients` (networks): loopback unless told, as the page is the kiosk's own screen.
    """

    home: Path
    terminal_id: str = "demo-0001"
    center_url: str = "http://127.0.0.1:8001"
    client_cert: Path | None = None  # mutual TLS: this terminal's certificate (PEM)
    client_key: Path | None = None
    ca_cert: Path | None = None  # the network CA that signed the center's certificate
    reader: str | None = None
    printer: PrinterKind = "spool"
    cups_queue: str = "kofu"
    cupsd_conf: Path = Path("/etc/cups/cupsd.conf")  # must say `PreserveJobFiles No` (printer = "cups")
    allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost", "::1")
    allowed_clients: tuple[str, ...] = ("127.0.0.0/8", "::1/128")
    session_timeout_s: float = 120.0  # a person who walks away is timed out (INC-8)
    reap_interval_s: float = 1.0  # how often the app times out a session nobody polls any more
    center_timeout_s: float = 30.0
    docs: bool = False  # serve the page API's docs (`/docs`, `/redoc`, `/openapi.json`)

    @property
    def state_dir(self) -> Path:
        """`$KOFU_HOME/kiosk/<terminal>`: the terminal's session and device state, nothing else."""
        return self.home / "kiosk" / self.terminal_id

    @property
    def spool_dir(self) -> Path:
        return self.home / "spool" / self.terminal_id

    @property
    def demo_cards_file(self) -> Path:
        return self.home / "demo-cards.json"

    @classmethod
    def from_settings(cls, settings: Settings) -> KioskConfig:
        """From the settings' `[kiosk]` table (a wrong key or value: SettingsError)."""
        return KioskTable.read(settings.kiosk).into(cls, home=settings.home.resolve())


class KioskTable(Table):
    """The `[kiosk]` table (`KOFU_KIOSK__<KEY>`): each key as in `KioskConfig`."""

    table: ClassVar[str] = "kiosk"
    terminal_id: str = KioskConfig.terminal_id
    center_url: str = KioskConfig.center_url
    client_cert: FilePath | None = None
    client_key: FilePath | None = None
    ca_cert: FilePath | None = None
    reader: str | None = None
    printer: PrinterKind = KioskConfig.printer
    cups_queue: str = KioskConfig.cups_queue
    cupsd_conf: FilePath = KioskConfig.cupsd_conf
    allowed_hosts: Names = KioskConfig.allowed_hosts
    allowed_clients: Names = KioskConfig.allowed_clients
    session_timeout_s: Positive = KioskConfig.session_timeout_s
    reap_interval_s: Positive = KioskConfig.reap_interval_s
    center_timeout_s: Positive = KioskConfig.center_timeout_s
    docs: bool = KioskConfig.docs
