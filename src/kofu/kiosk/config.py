"""What one kiosk terminal needs to know: its id, the center, its devices, and its timeouts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from kofu.settings import Settings

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
        """From `settings.extra["kiosk"]` (a TOML table); unknown keys are an error, said plainly."""
        raw: dict[str, Any] = dict(settings.extra.get("kiosk", {}))
        known = {f for f in cls.__dataclass_fields__ if f != "home"}
        unknown = set(raw) - known
        if unknown:
            raise ValueError(f"unknown [kiosk] settings: {sorted(unknown)}")
        for key in ("client_cert", "client_key", "ca_cert", "cupsd_conf"):
            if raw.get(key):
                raw[key] = Path(raw[key])
        for key in ("allowed_hosts", "allowed_clients"):
            if key in raw:
                if not isinstance(raw[key], list) or not all(isinstance(v, str) for v in raw[key]):
                    raise ValueError(f"[kiosk] {key} must be a list of strings")
                raw[key] = tuple(raw[key])
        return cls(home=settings.home.resolve(), **raw)
