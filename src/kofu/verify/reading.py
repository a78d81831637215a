"""What an uploaded file carries, read before any key is consulted: the hostile part of verification.

`read_file` parses a PDF (its signature against the document CAs, its information dictionary) or an
image (its 2D codes). The box (`kofu.verify.sandbox`) runs it in a child, which hands the reading back as
JSON; `Reading.from_json` takes nothing but the fields and types `to_json` writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kofu.rules.reasons import Reason
from kofu.verify.pdf import check_pdf, looks_like_pdf
from kofu.verify.scan import ImageUnreadableError, is_image, read_codes

# What the box's zygote imports once, so that a job costs a fork and not these imports.
PARSERS = (
    "kofu.verify.reading",
    "kofu.documents.loopsafe",
    "cryptography.hazmat.backends.openssl",
    "pyhanko.pdf_utils.reader",
    "pyhanko.sign.validation",
    "pyhanko_certvalidator",
    "PIL.Image",
    "PIL.PngImagePlugin",
    "PIL.JpegImagePlugin",
    "zxingcpp",
)
SOURCES = ("pdf", "image", "")


@dataclass(frozen=True)
class Reading:
    """A PDF's own check and the codes it carries, or the codes of an image."""

    source: str  # "pdf", "image", or "" for neither
    failure: Reason | None = None  # unreadable, unsupported, or what the PDF's own check found
    unknown_key: bool = False  # a PDF signed under a CA the service does not trust
    codes: tuple[str, ...] = ()  # a PDF's signed code and encrypted-copy parts, or an image's codes
    order_id: str = ""  # a PDF's binding to its order and requester
    requester: str = ""
    fine: bool = False  # an image fine enough that a back's codes would have been read

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "failure": None if self.failure is None else self.failure.value,
            "unknown_key": self.unknown_key,
            "codes": list(self.codes),
            "order_id": self.order_id,
            "requester": self.requester,
            "fine": self.fine,
        }

    @classmethod
    def from_json(cls, raw: object) -> Reading:
        """The reading `to_json` wrote; ValueError for anything else."""
        if not isinstance(raw, dict) or set(raw) != set(_FIELDS):
            raise ValueError("not a reading")
        source, failure, unknown_key, codes = raw["source"], raw["failure"], raw["unknown_key"], raw["codes"]
        order_id, requester, fine = raw["order_id"], raw["requester"], raw["fine"]
        if (
            source not in SOURCES
            or not (failure is None or isinstance(failure, str))
            or not isinstance(unknown_key, bool)
            or not isinstance(fine, bool)
            or not isinstance(codes, list)
            or not all(isinstance(t, str) for t in [*codes, order_id, requester])
        ):
            raise ValueError("not a reading")
        reason = None if failure is None else Reason(failure)
        return cls(source, reason, unknown_key, tuple(codes), order_id, requester, fine)


_FIELDS = tuple(Reading.__dataclass_fields__)


def read_file(data: bytes, ca_certs: Sequence[bytes]) -> Reading:
    """Parse an uploaded file; of what the service trusts it needs only the CAs' certificates (DER)."""
    if is_image(data):
        try:
            scan = read_codes(data)
            return Reading("image", codes=scan.texts, fine=scan.fine)
        except ImageUnreadableError:
            return Reading("image", Reason.UNREADABLE)
    if not looks_like_pdf(data):
        return Reading("", Reason.UNSUPPORTED)
    check = check_pdf(data, ca_certs)
    codes = () if check.failure is not None else (check.signed, *check.sealed)
    return Reading("pdf", check.failure, check.unknown_key, codes, check.order_id, check.requester)


def read_file_json(data: bytes, ca_certs: Sequence[bytes]) -> dict[str, Any]:
    """`read_file` as the box runs it: its answer is JSON."""
    return read_file(data, ca_certs).to_json()
