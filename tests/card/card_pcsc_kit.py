"""PC/SC test helpers: pcscd + vsmartcard vpcd readers, and `kofu card serve` processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

VPCD_SLOTS = {35963: "Virtual PCD 00 00", 35964: "Virtual PCD 00 01"}
VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
TOOLS = ("pcscd", "opensc-tool", "pkcs15-tool", "pkcs11-tool", "openssl")


def reader_has_card(name: str) -> bool:
    from smartcard.Exceptions import CardConnectionException, NoCardException
    from smartcard.System import readers

    for reader in readers():
        if str(reader) == name:
            connection = reader.createConnection()
            try:
                connection.connect()
            except (NoCardException, CardConnectionException):
                return False
            connection.disconnect()
            return True
    return False


def wait_for(predicate: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {seconds}s waiting for {what}")


def card_serve(args: list[str], **popen: Any) -> subprocess.Popen[bytes]:
    """`kofu card serve ARGS` in a process group of its own, which `end_group` ends whole."""
    command = [sys.executable, "-m", "kofu.card.cli", "serve", *args]
    return subprocess.Popen(command, start_new_session=True, **popen)


def end_group(process: subprocess.Popen[bytes], grace_s: float = 10) -> None:
    """End `process` and everything in its process group: SIGTERM, then SIGKILL after `grace_s`."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(grace_s)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def pcsc_readers() -> list[str]:
    from smartcard.System import readers

    try:
        return [str(r) for r in readers()]
    except Exception:  # pyscard raises EstablishContextException and friends when pcscd is down
        return []


class Served:
    """A `kofu card serve` process putting a card file into a vpcd reader."""

    def __init__(self, card: Path, port: int, reader: str) -> None:
        self.card, self.port, self.reader = card, port, reader
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = card.with_name(card.name + ".serve.log")

    def start(self) -> None:
        """Serve the card; if it never shows in the reader (a vpcd timeout), end the process and raise."""
        with self.log_path.open("ab") as log:  # the child keeps its own descriptor
            self.process = card_serve(
                [str(self.card), "--vpcd", f"127.0.0.1:{self.port}"], stdout=log, stderr=subprocess.STDOUT
            )
        try:
            wait_for(lambda: reader_has_card(self.reader), 20, f"the card in {self.reader}")
        except BaseException:
            self._end()
            raise

    def stop(self) -> None:
        if self.process is None:
            return
        self._end()
        wait_for(lambda: not reader_has_card(self.reader), 20, f"{self.reader} to be empty")

    def _end(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            end_group(process)
