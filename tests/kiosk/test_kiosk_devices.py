"""The kiosk's devices: printers refuse unbound documents (INC-8), cash escrow (NRF-1), the store's wipe."""

from __future__ import annotations

import hashlib
import stat
import uuid
from pathlib import Path

import pytest
from pydantic import BaseModel

from doc_support import bound_headers
from kofu.documents import samples
from kofu.documents.issue import render_and_seal
from kofu.documents.keys import sealing_keys
from kofu.kiosk.devices.cash import CashError, SimulatedCashDevice
from kofu.kiosk.devices.printer import (
    Binding,
    CupsPrinter,
    FilePrinter,
    Printed,
    PrintFailed,
    SpoolPrinter,
)
from kofu.kiosk.store import KioskStore
from kofu.rules.decision import Refused
from kofu.rules.reasons import Reason
from kofu.rules.rulebook import load_rulebook
from kofu.verify.key import verifier_key

REQUESTER = b"the requester's certificate (DER)"


@pytest.fixture(scope="module")
def bound_pdf(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, str]:
    """A real sealed document bound to one order and requester."""
    rulebook = load_rulebook("ohira")
    order_id = str(uuid.uuid4())
    content = samples.inkan(rulebook, order_id=order_id, requester=REQUESTER)
    home = tmp_path_factory.mktemp("dockeys")
    keys = sealing_keys(home, rulebook.code, rulebook.name)
    return render_and_seal(content, keys, verifier_key(home).public), order_id


def _binding(order_id: str, requester: bytes = REQUESTER) -> Binding:
    return Binding(order_id, hashlib.sha256(requester).hexdigest())


def _headers(order_id: str, requester: bytes = REQUESTER) -> dict[str, str]:
    return bound_headers(order_id, hashlib.sha256(requester).hexdigest())


@pytest.mark.parametrize(
    ("order", "requester", "header", "reason"),
    [
        ("other", REQUESTER, "same", Reason.DOCUMENT_NOT_BOUND),  # another order's document
        ("same", b"someone else", "same", Reason.DOCUMENT_NOT_BOUND),  # another person's session
        ("same", REQUESTER, "other", Reason.DOCUMENT_NOT_BOUND),  # headers of another order
    ],
)
def test_spool_printer_refuses_unbound_documents_INC_8(
    tmp_path: Path, bound_pdf: tuple[bytes, str], order: str, requester: bytes, header: str, reason: Reason
) -> None:
    pdf, order_id = bound_pdf
    expected = order_id if order == "same" else str(uuid.uuid4())  # the session's order
    headers = _headers(expected if header == "same" else str(uuid.uuid4()))
    printer = SpoolPrinter(tmp_path / "spool")
    result = printer.print_document(pdf, headers, _binding(expected, requester))
    assert result == Refused(reason)
    assert printer.pending() == []


@pytest.mark.parametrize("dropped", ["X-Kofu-Requester-Digest", "X-Kofu-Document-Number", "X-Kofu-Pages"])
def test_a_document_whose_headers_miss_part_of_its_binding_is_not_printed_INC_8(
    tmp_path: Path, bound_pdf: tuple[bytes, str], dropped: str
) -> None:
    """Issue 23: the binding headers are read whole, by one reader (`RenderedHeaders.from_http`)."""
    pdf, order_id = bound_pdf
    headers = {k: v for k, v in _headers(order_id).items() if k != dropped}
    printer = SpoolPrinter(tmp_path / "spool")
    assert printer.print_document(pdf, headers, _binding(order_id)) == Refused(Reason.DOCUMENT_NOT_BOUND)
    assert printer.pending() == []


def test_a_document_whose_headers_name_another_requester_is_not_printed_INC_8(
    tmp_path: Path, bound_pdf: tuple[bytes, str]
) -> None:
    pdf, order_id = bound_pdf
    printer = SpoolPrinter(tmp_path / "spool")
    result = printer.print_document(pdf, _headers(order_id, b"someone else"), _binding(order_id))
    assert result == Refused(Reason.DOCUMENT_NOT_BOUND) and printer.pending() == []


def test_spool_printer_refuses_a_file_that_is_no_document(tmp_path: Path) -> None:
    printer = SpoolPrinter(tmp_path / "spool")
    order_id = str(uuid.uuid4())
    result = printer.print_document(b"%PDF-1.7 not really", _headers(order_id), _binding(order_id))
    assert isinstance(result, Refused) and printer.pending() == []


def test_spool_printer_one_owner_only_file_deleted_on_confirm_SEC_4(
    tmp_path: Path, bound_pdf: tuple[bytes, str]
) -> None:
    pdf, order_id = bound_pdf
    printer = SpoolPrinter(tmp_path / "spool")
    result = printer.print_document(pdf, _headers(order_id), _binding(order_id))
    assert result == Printed(order_id, 1)
    [path] = printer.pending()
    assert path.name == f"{order_id}.pdf" and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert b"%PDF" not in path.read_bytes()  # sealed with the print's key, in memory only (T10)
    assert printer.read(order_id) == pdf  # what the printer prints
    printer.confirm(order_id)
    assert printer.pending() == [] and printer.read(order_id) is None


def test_cups_printer_sends_bound_documents_to_lp_and_refuses_others_INC_8(
    tmp_path: Path, bound_pdf: tuple[bytes, str]
) -> None:
    pdf, order_id = bound_pdf
    received = tmp_path / "received.pdf"
    lp = tmp_path / "lp"
    lp.write_text(f'#!/bin/sh\necho "$@" > {tmp_path}/args\ncat > {received}\n')
    lp.chmod(0o755)
    conf = tmp_path / "cupsd.conf"
    conf.write_text("PreserveJobFiles No\n")  # CUPS deletes printed jobs' files (T10)
    printer = CupsPrinter("kiosk-queue", command=(str(lp),), cupsd_conf=conf)
    refused = printer.print_document(pdf, _headers(order_id), _binding(str(uuid.uuid4())))
    assert refused == Refused(Reason.DOCUMENT_NOT_BOUND) and not received.exists()  # lp never ran
    assert printer.print_document(pdf, _headers(order_id), _binding(order_id)) == Printed(order_id, 1)
    assert received.read_bytes() == pdf
    assert "-d kiosk-queue" in (tmp_path / "args").read_text()
    failing = CupsPrinter("q", command=("false",), cupsd_conf=conf)
    assert isinstance(failing.print_document(pdf, _headers(order_id), _binding(order_id)), PrintFailed)


def test_every_printer_prints_the_copies_it_is_given_FEE_1(
    tmp_path: Path, bound_pdf: tuple[bytes, str]
) -> None:
    """FEE-1: the copies paid reach the device: the spool prints a job of three, lp gets `-n 3`, the
    headless printer writes three files of the one document (same number, same seal)."""
    pdf, order_id = bound_pdf
    headers = _headers(order_id)
    spool = SpoolPrinter(tmp_path / "spool")
    assert spool.print_document(pdf, headers, _binding(order_id), copies=3) == Printed(order_id, 1, 3)
    lp = tmp_path / "lp"
    lp.write_text(f'#!/bin/sh\necho "$@" > {tmp_path}/args\ncat > /dev/null\n')
    lp.chmod(0o755)
    conf = tmp_path / "cupsd.conf"
    conf.write_text("PreserveJobFiles No\n")
    cups = CupsPrinter("kiosk-queue", command=(str(lp),), cupsd_conf=conf)
    assert cups.print_document(pdf, headers, _binding(order_id), copies=3) == Printed(order_id, 1, 3)
    assert " -n 3 " in f" {(tmp_path / 'args').read_text().strip()} "
    out = tmp_path / "paper" / "juminhyo.pdf"
    files = FilePrinter(out)
    assert files.print_document(pdf, headers, _binding(order_id), copies=3) == Printed(order_id, 1, 3)
    names = sorted(p.name for p in out.parent.iterdir())
    assert names == ["juminhyo-2.pdf", "juminhyo-3.pdf", "juminhyo.pdf"]
    assert all(p.read_bytes() == pdf for p in out.parent.iterdir())
    files.discard(order_id)  # voided: no copy of it stays
    assert list(out.parent.iterdir()) == []


def test_cash_escrow_keep_and_return_NRF_1(tmp_path: Path) -> None:
    cash = SimulatedCashDevice(KioskStore(tmp_path / "k"))
    with pytest.raises(CashError):
        cash.insert(3)
    cash.insert(500)
    cash.insert(100)
    assert cash.escrow(450) == 150 and cash.held() == 450 and cash.inserted() == 0
    assert cash.return_all() == 450  # voided: the fee comes back
    cash.insert(1000)
    cash.escrow(200)
    assert cash.keep() == 200 and cash.held() == 0  # confirmed: kept, once
    assert cash.keep() == 0
    with pytest.raises(CashError):
        cash.escrow(10)


class _Secret(BaseModel):
    text: str


def test_store_wipe_leaves_nothing_INC_8(tmp_path: Path) -> None:
    store = KioskStore(tmp_path / "k")
    with store.locked():
        store.begin_session()
        store.write("session", _Secret(text="大衡　太郎"))
        assert store.read("session", _Secret) == _Secret(text="大衡　太郎")
        store.end_session()
    assert store.read("session", _Secret) is None
    assert not any(
        "大衡" in p.read_text("utf-8", "replace") for p in (tmp_path / "k").iterdir() if p.is_file()
    )
    assert store.names() == []
