"""Bridge a virtual card into vsmartcard's vpcd reader (under pcscd), so every PC/SC program sees it.

vpcd waits on a TCP port for the card. Each message is a 2-byte big-endian length and a payload: one
control byte (0 power off, 1 power on, 2 reset, 4 get ATR; only ATR is answered) or a command APDU,
answered by the response APDU with the same framing. If vpcd goes away the bridge reconnects.
"""

from __future__ import annotations

import socket
import threading

from kofu.card.cardfile import CardFileError
from kofu.card.virtual import VirtualCard
from kofu.logs import get_logger

CTRL_POWER_OFF = 0
CTRL_POWER_ON = 1
CTRL_RESET = 2
CTRL_GET_ATR = 4
SW_CARD_FAULT = b"\x6f\x00"  # no precise diagnosis: the card could not complete (and persist) the command

log = get_logger("card.vpcd")


class _Closed(Exception):
    """vpcd closed the connection."""


def parse_address(text: str) -> tuple[str, int]:
    """`host:port` (as given to `--vpcd`)."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"not a host:port address: {text!r}")
    return host, int(port)


class VpcdBridge:
    """Serves one card to vpcd until `stop` is set (SIGTERM, Ctrl-C)."""

    def __init__(
        self, card: VirtualCard, host: str, port: int, *, stop: threading.Event | None = None
    ) -> None:
        self.card = card
        self.host = host
        self.port = port
        self.stop = stop or threading.Event()
        self.connected = threading.Event()

    def run(self, retry_seconds: float = 0.5) -> None:
        """Connect, serve, and reconnect whenever vpcd restarts, until stopped."""
        while not self.stop.is_set():
            try:
                sock = socket.create_connection((self.host, self.port), timeout=2)
            except OSError:
                self.stop.wait(retry_seconds)
                continue
            log.info("vpcd_connected", port=self.port)
            try:
                self._serve(sock)
            except (_Closed, OSError):
                log.info("vpcd_disconnected", port=self.port)
            finally:
                self.connected.clear()
                self.card.power_off()
                sock.close()
            self.stop.wait(retry_seconds)

    def _serve(self, sock: socket.socket) -> None:
        sock.settimeout(0.25)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.connected.set()
        buffer = bytearray()
        while not self.stop.is_set():
            _quick_ack(sock)
            try:
                chunk = sock.recv(4096)
            except TimeoutError:
                continue
            if not chunk:
                raise _Closed
            buffer += chunk
            while len(buffer) >= 2 and len(buffer) >= 2 + int.from_bytes(buffer[:2], "big"):
                size = int.from_bytes(buffer[:2], "big")
                payload = bytes(buffer[2 : 2 + size])
                del buffer[: 2 + size]
                answer = self.handle(payload)
                if answer is not None:
                    sock.sendall(len(answer).to_bytes(2, "big") + answer)

    def handle(self, payload: bytes) -> bytes | None:
        """One vpcd message: a control byte or an APDU; returns what to send back, if anything."""
        if len(payload) == 1:
            code = payload[0]
            if code == CTRL_GET_ATR:
                return self.card.atr
            if code == CTRL_POWER_OFF:
                self.card.power_off()
            elif code in (CTRL_POWER_ON, CTRL_RESET):
                try:
                    self.card.power_on()
                except CardFileError as exc:
                    log.error("card_file_refused", error=str(exc))
            return None
        try:
            return self.card.transmit(payload)
        except (CardFileError, OSError) as exc:
            log.error("card_fault", error=str(exc))
            return SW_CARD_FAULT


def _quick_ack(sock: socket.socket) -> None:
    """ACK at once: vpcd writes the length and the APDU separately, and a delayed ACK costs 40 ms each."""
    quickack = getattr(socket, "TCP_QUICKACK", None)
    if quickack is not None:
        sock.setsockopt(socket.IPPROTO_TCP, quickack, 1)
