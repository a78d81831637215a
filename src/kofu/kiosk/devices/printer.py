"""The printer: prints only documents bound to the current session (INC-1, 2, 3, 7, 8).

Both printers check the binding before anything is written or sent: the document's own order ID and
requester certificate digest (inside the PDF, signed; `kofu.documents.binding.check_binding`) and the
whole binding its headers carry (`RenderedHeaders`) must match the kiosk session's order and the
certificate read from its card.
Every printer takes the copies paid and prints the one document that many times (one order, one number,
one entry in the verification register: each copy is the same sealed paper); `Printed.copies` says how
many came out, `PrintFailed.copies` how many before it stopped.
`SpoolPrinter` writes one file per order into `$KOFU_HOME/spool/<terminal>/`, sealed with a key of that
print held only in memory, and deletes it (and drops the key) once the print is confirmed or voided; a
new `SpoolPrinter` (a kiosk starting) sweeps what an earlier process left: nothing of a certificate stays
readable at rest (SEC-4), even after a power loss. `CupsPrinter` refuses a CUPS server that keeps the
files of printed jobs (`kofu.kiosk.devices.cupsconf`).
"""

from __future__ import annotations

import hmac
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import astuple, dataclass
from pathlib import Path
from typing import Protocol

from pydantic import ValidationError

from kofu.documents.binding import check_binding
from kofu.kiosk.devices.cupsconf import CUPSD_CONF, job_files_problem
from kofu.kiosk.sealing import SessionKey
from kofu.private import private_dir, shred, write_private
from kofu.rules.copies import COPIES_CEILING, check_copies_within
from kofu.rules.decision import Refused
from kofu.rules.reasons import Reason
from kofu.wire.orders import RenderedHeaders


@dataclass(frozen=True)
class Binding:
    """What the current session expects a document to be bound to."""

    order_id: str
    requester_cert_digest: str  # SHA-256 of the card's user-authentication certificate, hex


@dataclass(frozen=True)
class Printed:
    order_id: str
    pages: int
    copies: int = 1  # copies of the document that came out


@dataclass(frozen=True)
class PrintFailed:
    """The device could not print (paper out, queue down); the order is voided and cash returned."""

    detail: str
    copies: int = 0  # copies that came out before the device stopped (paper to take, no charge)


PrintResult = Printed | Refused | PrintFailed


class Printer(Protocol):
    def print_document(
        self, pdf: bytes, headers: Mapping[str, str], binding: Binding, copies: int = 1
    ) -> PrintResult:
        """Print `copies` copies of the bound document, or refuse it before anything is printed."""
        ...

    def confirm(self, order_id: str) -> None:
        """The print is confirmed (charged): drop whatever of it the printer side still holds."""
        ...

    def discard(self, order_id: str) -> None:
        """The order was voided: drop whatever of it the printer side still holds."""
        ...


def check_document(pdf: bytes, headers: Mapping[str, str], binding: Binding) -> Refused | None:
    """None when the document belongs to this session; Refused(document_not_bound or unreadable) if not.

    Its headers must carry a whole binding (`RenderedHeaders`) naming this session's order and
    requester, and the PDF itself must be bound to both."""
    try:
        bound = RenderedHeaders.from_http(headers)
    except ValidationError:
        return Refused(Reason.DOCUMENT_NOT_BOUND)
    said = (str(bound.order_id), bound.requester_cert_digest)
    if not hmac.compare_digest("\n".join(said).encode(), "\n".join(astuple(binding)).encode()):
        return Refused(Reason.DOCUMENT_NOT_BOUND)
    decision = check_binding(pdf, binding.order_id, binding.requester_cert_digest)
    return decision if isinstance(decision, Refused) else None


def _pages(headers: Mapping[str, str]) -> int:
    """The pages of a document `check_document` accepted."""
    return RenderedHeaders.from_http(headers).pages


def _bad_copies(copies: int) -> Refused | None:
    """A device is asked for at least one copy and never more than any order may take (FEE-1)."""
    return None if check_copies_within(copies, COPIES_CEILING) is None else Refused(Reason.BAD_REQUEST)


class SpoolPrinter:
    """A spool folder as the printer: `<order_id>.pdf`, sealed, owner-only, deleted on confirm or discard."""

    def __init__(self, folder: Path) -> None:
        self.folder = private_dir(folder)
        self._keys: dict[str, SessionKey] = {}  # order ID → the key of its spooled print
        self.sweep()

    def print_document(
        self, pdf: bytes, headers: Mapping[str, str], binding: Binding, copies: int = 1
    ) -> PrintResult:
        refused = check_document(pdf, headers, binding) or _bad_copies(copies)
        if refused is not None:
            return refused
        key = self._keys.setdefault(binding.order_id, SessionKey())
        key.begin()
        write_private(self._path(binding.order_id), key.seal(pdf, binding.order_id))
        return Printed(binding.order_id, _pages(headers), copies)  # one spooled job of `copies` copies

    def read(self, order_id: str) -> bytes | None:
        """The spooled document as the printer prints it (None once confirmed, discarded or swept)."""
        key = self._keys.get(order_id)
        try:
            blob = self._path(order_id).read_bytes()
        except FileNotFoundError:
            return None
        return None if key is None else key.open(blob, order_id)

    def confirm(self, order_id: str) -> None:
        self._drop(order_id)

    def discard(self, order_id: str) -> None:
        self._drop(order_id)

    def pending(self) -> list[Path]:
        return sorted(self.folder.glob("*.pdf"))

    def sweep(self) -> None:
        """Shred every file of the folder: an earlier process's prints, whose keys died with it."""
        for path in sorted(self.folder.iterdir()):
            if path.is_file() and path.stem not in self._keys:
                shred(path)

    def _drop(self, order_id: str) -> None:
        key = self._keys.pop(order_id, None)
        if key is not None:
            key.drop()
        shred(self._path(order_id))

    def _path(self, order_id: str) -> Path:
        if not order_id or not all(ch.isalnum() or ch == "-" for ch in order_id):
            raise ValueError("bad order id")
        return self.folder / f"{order_id}.pdf"


class CupsPrinter:
    """A CUPS queue via `lp -d QUEUE`; the document goes on stdin, never to a file of ours.

    CUPS itself must not keep it: a server whose `cupsd.conf` does not say `PreserveJobFiles No` is
    refused (`check`), at the kiosk's start and before every print.
    """

    def __init__(self, queue: str, command: Sequence[str] = ("lp",), cupsd_conf: Path = CUPSD_CONF) -> None:
        self.queue = queue
        self.command = tuple(command)
        self.cupsd_conf = cupsd_conf

    def check(self) -> str | None:
        """None when CUPS deletes printed jobs' files; else the sentence saying how to make it."""
        return job_files_problem(self.cupsd_conf)

    def print_document(
        self, pdf: bytes, headers: Mapping[str, str], binding: Binding, copies: int = 1
    ) -> PrintResult:
        refused = check_document(pdf, headers, binding) or _bad_copies(copies)
        if refused is not None:
            return refused
        problem = self.check()
        if problem is not None:
            return PrintFailed(problem)
        args = [*self.command, "-d", self.queue, "-n", str(copies), "-t", f"kofu-{binding.order_id}", "-"]
        try:
            done = subprocess.run(args, input=pdf, capture_output=True, timeout=60, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return PrintFailed(f"lp could not run: {exc.__class__.__name__}")
        if done.returncode != 0:
            return PrintFailed(f"lp exited with {done.returncode}")
        return Printed(binding.order_id, _pages(headers), copies)

    def confirm(self, order_id: str) -> None:
        """CUPS removes a finished job's file itself (PreserveJobFiles No); we hold nothing."""

    def discard(self, order_id: str) -> None:
        """Nothing held here; a job already handed to CUPS is the store staff's to cancel."""


class FilePrinter:
    """The headless kiosk's printer: the bound document goes to the file the operator named, and each
    further copy beside it (`out.pdf`, `out-2.pdf`, `out-3.pdf`…)."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self._written: list[Path] = []

    def copy_paths(self, copies: int) -> list[Path]:
        """Where copies 1..`copies` go."""
        return [self.out, *(self.out.with_stem(f"{self.out.stem}-{n}") for n in range(2, copies + 1))]

    def print_document(
        self, pdf: bytes, headers: Mapping[str, str], binding: Binding, copies: int = 1
    ) -> PrintResult:
        refused = check_document(pdf, headers, binding) or _bad_copies(copies)
        if refused is not None:
            return refused
        self.out.parent.mkdir(parents=True, exist_ok=True)
        for path in self.copy_paths(copies):
            path.write_bytes(pdf)
            self._written.append(path)
        return Printed(binding.order_id, _pages(headers), copies)

    def confirm(self, order_id: str) -> None:
        """The operator keeps the files: they are the paper."""
        self._written.clear()

    def discard(self, order_id: str) -> None:
        for path in self._written or [self.out]:
            path.unlink(missing_ok=True)
        self._written.clear()
