"""Checking a sealed PDF: the PAdES certification signature and the codes it carries.

A PDF whose signature does not validate, does not cover the whole file, or cannot even be parsed after
a change is *altered*: a genuine kofu PDF always parses and always validates. A file with nothing of a
kofu seal in it (no signature dictionary, none of kofu's entries) is *unreadable*: there is nothing to
call altered.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kofu.documents.info import NUMBER_KEY, ORDER_KEY, REQUESTER_KEY, SEALED_KEY, SIGNED_KEY
from kofu.documents.info_read import info_entries
from kofu.rules.reasons import Reason


def looks_like_pdf(data: bytes) -> bool:
    """A PDF, or what is left of one after a change (a header or a signature dictionary)."""
    return b"%PDF-" in data[:1024] or b"/ByteRange" in data


# What a kofu seal leaves in a file: one changed byte cannot erase all of them.
SEAL_TRACES = (
    b"/ByteRange",
    *(f"/{key}".encode() for key in (SIGNED_KEY, SEALED_KEY, ORDER_KEY, NUMBER_KEY)),
)


def carries_seal_traces(data: bytes) -> bool:
    """Whether anything of a kofu seal is in the file: a signature's byte range or kofu's own entries."""
    return any(trace in data for trace in SEAL_TRACES)


@dataclass(frozen=True)
class PdfCheck:
    """The outcome of the PDF-level checks: a failure reason, or the codes and binding it carries."""

    failure: Reason | None
    unknown_key: bool = False
    signed: str = ""
    sealed: tuple[str, ...] = ()
    order_id: str = ""
    requester: str = ""


_HEX_STRING = re.compile(rb"<[0-9a-fA-F]*>")


def _reserved_space_untouched(data: bytes, byte_range: Sequence[int]) -> bool:
    """Whether the gap the signature's byte ranges leave holds exactly its CMS, as hex, and then zeros.

    The gap is outside the signed bytes, so a change there (a padding digit, or a character a hex
    parser skips) would otherwise go unseen."""
    if len(byte_range) != 4:
        return False
    gap = data[byte_range[1] : byte_range[2]]
    if not _HEX_STRING.fullmatch(gap) or len(gap) % 2:
        return False
    contents = bytes.fromhex(gap[1:-1].decode("ascii"))
    if len(contents) < 2 or contents[0] != 0x30:
        return False
    first = contents[1]
    if first < 0x80:
        length, start = first, 2
    else:
        count = first & 0x7F
        if count == 0 or count > 4 or len(contents) < 2 + count:
            return False  # indefinite or absurd: not what kofu writes
        length, start = int.from_bytes(contents[2 : 2 + count], "big"), 2 + count
    end = start + length
    return end <= len(contents) and not any(contents[end:])


def _only_path_certificates(signature: Any, status: Any) -> bool:
    """Whether every certificate the CMS carries is one of the validated path (signer, CAs, anchor).

    The certificate bag is not under the signature, so a changed copy of a CA certificate there would
    otherwise go unseen: any byte of the file changed must read as altered (SEC-6)."""
    path = status.validation_path
    if path is None:
        return False
    known = {cert.dump() for cert in path.iter_certs(include_root=True)}
    carried = [signature.signer_cert, *signature.other_embedded_certs]
    return all(cert.dump() in known for cert in carried)


def check_pdf(data: bytes, ca_certs: Sequence[bytes]) -> PdfCheck:
    """Validate the certification signature against the document CAs (DER) and read the codes."""
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    from kofu.documents.loopsafe import call_outside_loop

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
        if not signatures and not carries_seal_traces(data):
            return PdfCheck(Reason.UNREADABLE)
        if len(signatures) != 1:
            return PdfCheck(Reason.SIGNATURE_MISMATCH)
        roots = [asn1_x509.Certificate.load(der) for der in ca_certs]
        context = ValidationContext(trust_roots=roots, allow_fetching=False)
        status = call_outside_loop(validate_pdf_signature, signatures[0], context)
    except Exception:  # a change that breaks the file's structure, or no PDF at all behind the header
        return PdfCheck(Reason.CONTENT_ALTERED if carries_seal_traces(data) else Reason.UNREADABLE)
    if not (status.intact and status.valid):
        return PdfCheck(Reason.SIGNATURE_MISMATCH)
    byte_range = [int(n) for n in signatures[0].sig_object["/ByteRange"]]
    if status.coverage is not SignatureCoverageLevel.ENTIRE_FILE or not _reserved_space_untouched(
        data, byte_range
    ):
        return PdfCheck(Reason.CONTENT_ALTERED)
    if not status.trusted:
        return PdfCheck(Reason.KEY_UNKNOWN, unknown_key=True)
    if not _only_path_certificates(signatures[0], status):
        return PdfCheck(Reason.CONTENT_ALTERED)
    try:
        entries = info_entries(data)
    except Exception:
        return PdfCheck(Reason.CONTENT_ALTERED)
    if SIGNED_KEY not in entries:
        return PdfCheck(Reason.UNSUPPORTED)
    return PdfCheck(
        None,
        signed=entries[SIGNED_KEY],
        sealed=tuple(p for p in entries.get(SEALED_KEY, "").split(";") if p),
        order_id=entries.get(ORDER_KEY, ""),
        requester=entries.get(REQUESTER_KEY, ""),
    )
