"""Honest verdicts (issue 24, item 2): genuine only once the content was decrypted and compared.

A valid seal whose encrypted copy could not be read is seal-only, not genuine; bytes that carry nothing of
a kofu seal are unreadable, not altered; a scan too coarse to read says so and asks for 300 dpi; every
verdict has a Japanese and an English sentence.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from doc_support import run, write
from kofu.documents.claims import SEALED_PREFIX
from kofu.documents.content import Content
from kofu.documents.info import SEALED_KEY, SIGNED_KEY
from kofu.documents.info_read import info_entries
from kofu.documents.published import PublishedKeys
from kofu.rules.reasons import Reason
from kofu.verify.core import verify_bytes, verify_codes
from kofu.verify.key import VerifierKey
from kofu.verify.trust import Trust
from kofu.verify.verdict import Status


@pytest.fixture(scope="module")
def trust(published: PublishedKeys, verifier: VerifierKey) -> Trust:
    return Trust.of(published, verifier=verifier)


def _back(tmp_path: Path, pdf: bytes, dpi: int, fmt: str = "png") -> bytes:
    path = write(tmp_path, "doc.pdf", pdf)
    done = run("pdftoppm", "-r", str(dpi), f"-{fmt}", "-f", "2", "-l", "2", str(path), str(tmp_path / "b"))
    assert done.returncode == 0
    (image,) = tmp_path.glob("b*.*g")
    return image.read_bytes()


def _cover(image: bytes, covered: Callable[[str], bool]) -> bytes:
    """The image with every code whose text `covered` selects painted over in white (a sticker, a stain)."""
    import zxingcpp
    from PIL import Image, ImageDraw

    picture = Image.open(io.BytesIO(image)).convert("L")
    found = zxingcpp.read_barcodes(picture, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode))
    pen = ImageDraw.Draw(picture)
    hidden = 0
    for code in found:
        if covered(code.text):
            p = code.position
            corners = [p.top_left, p.top_right, p.bottom_right, p.bottom_left]
            xs, ys = [c.x for c in corners], [c.y for c in corners]
            pen.rectangle((min(xs) - 4, min(ys) - 4, max(xs) + 4, max(ys) + 4), fill=255)
            hidden += 1
    assert hidden, "the back carries the codes to cover"
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return out.getvalue()


def test_a_back_with_its_encrypted_copy_covered_is_seal_only_not_genuine(
    tmp_path: Path, rendered: Callable[[str], bytes], contents: dict[str, Content], trust: Trust
) -> None:
    """A forged front with a genuine back must not pass: the seal alone vouches for no printed item."""
    back = _cover(_back(tmp_path, rendered("kazei"), 200), lambda t: t.startswith(SEALED_PREFIX))
    result = verify_bytes(back, trust=trust, today=contents["kazei"].header.issued_on)
    assert result.status is Status.SEAL_ONLY, result
    assert result.reasons == (Reason.CONTENT_UNREADABLE,)
    assert result.content is None and result.claims is not None
    assert not result.genuine


def test_one_of_two_content_parts_missing_is_seal_only_not_altered(
    rendered: Callable[[str], bytes], contents: dict[str, Content], trust: Trust
) -> None:
    """A covered part is unread, not changed: nothing says the paper was altered."""
    entries = info_entries(rendered("inkan"))
    parts = entries[SEALED_KEY].split(";")
    assert len(parts) == 2, "the inkan sample carries two parts"
    day = contents["inkan"].header.issued_on
    for kept in parts:
        result = verify_codes(
            [entries[SIGNED_KEY], kept], trust=trust, register=None, today=day, source="image"
        )
        assert result.status is Status.SEAL_ONLY and result.reasons == (Reason.CONTENT_UNREADABLE,)
    alone = verify_codes([entries[SIGNED_KEY]], trust=trust, register=None, today=day, source="image")
    assert alone.status is Status.SEAL_ONLY


def test_a_pdf_without_its_encrypted_copy_stays_altered(
    rendered: Callable[[str], bytes], contents: dict[str, Content], trust: Trust
) -> None:
    """A kofu PDF always carries its copy: a valid seal without it in a PDF is a made-up file."""
    from kofu.verify.core import judge
    from kofu.verify.reading import Reading

    entries = info_entries(rendered("kazei"))
    header = contents["kazei"].header
    reading = Reading(
        "pdf", codes=(entries[SIGNED_KEY],), order_id=header.order_id, requester=header.requester_cert_digest
    )
    assert judge(reading, trust=trust, today=header.issued_on).status is Status.ALTERED


def test_random_bytes_behind_a_pdf_header_are_unreadable_not_altered(trust: Trust) -> None:
    for tail in (os.urandom(4000), b"\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", b""):
        result = verify_bytes(b"%PDF-1.7\n" + tail, trust=trust)
        assert result.status is Status.UNKNOWN and result.reasons == (Reason.UNREADABLE,), result


def test_a_real_pdf_without_a_kofu_seal_is_unreadable(tmp_path: Path, trust: Trust) -> None:
    """A PDF that parses but carries no signature and none of kofu's entries: nothing of a seal found."""
    from reportlab.pdfgen.canvas import Canvas

    buf = io.BytesIO()
    canvas = Canvas(buf)
    canvas.drawString(100, 700, "not a certificate")
    canvas.showPage()
    canvas.save()
    result = verify_bytes(buf.getvalue(), trust=trust)
    assert result.status is Status.UNKNOWN and result.reasons == (Reason.UNREADABLE,), result


def test_a_real_pdf_whose_signature_fails_stays_altered(
    rendered: Callable[[str], bytes], contents: dict[str, Content], trust: Trust
) -> None:
    data = bytearray(rendered("kazei"))
    data[len(data) // 3] ^= 0x01
    result = verify_bytes(bytes(data), trust=trust, today=contents["kazei"].header.issued_on)
    assert result.status is Status.ALTERED


@pytest.mark.parametrize(
    ("name", "fmt", "dpi"),
    [("fuhyo", "png", 72), ("inkan", "png", 72), ("kazei", "jpeg", 90), ("kazei", "png", 60)],
)
def test_a_scan_too_coarse_is_unreadable_with_a_300_dpi_hint(
    name: str,
    fmt: str,
    dpi: int,
    tmp_path: Path,
    rendered: Callable[[str], bytes],
    contents: dict[str, Content],
    trust: Trust,
) -> None:
    """Below about 100 dpi some codes or none are read: never "unsupported", always how to scan again."""
    result = verify_bytes(
        _back(tmp_path, rendered(name), dpi, fmt), trust=trust, today=contents[name].header.issued_on
    )
    assert result.status is Status.UNKNOWN
    assert result.reasons == (Reason.UNREADABLE, Reason.RESCAN_300_DPI), result
    assert "300" in Reason.RESCAN_300_DPI.ja and "300" in Reason.RESCAN_300_DPI.en


def test_issue26_codes_of_something_else_in_an_image_are_not_a_certificate(trust: Trust) -> None:
    """Issue 26 item 5: a photo of another QR code is not a certificate: no 300-dpi advice."""
    import datetime as dt

    result = verify_codes(
        ["https://example.com/"], trust=trust, register=None, today=dt.date.today(), source="image"
    )
    assert result.reasons == (Reason.UNREADABLE, Reason.NOT_A_CERTIFICATE)


@pytest.mark.parametrize(
    ("texts", "fine", "hint"),
    [
        ((), True, Reason.PHOTO_THE_BACK),
        ((), False, Reason.RESCAN_300_DPI),
        (("KFC1:1:3:00",), True, Reason.RESCAN_300_DPI),
        (("https://example.com/",), False, Reason.NOT_A_CERTIFICATE),
    ],
)
def test_issue26_an_image_without_the_signed_code_gets_its_hint(
    texts: tuple[str, ...], fine: bool, hint: Reason
) -> None:
    from kofu.verify.core import unread_hint

    assert unread_hint(texts, fine=fine) is hint


@pytest.mark.parametrize("status", list(Status))
def test_every_verdict_has_a_japanese_and_an_english_sentence(status: Status) -> None:
    assert status.ja.strip() and status.en.strip()
    assert status.ja != status.en
    assert any("\u3040" <= ch <= "\u9fff" for ch in status.ja)
    assert status.en.isascii()


def test_verdict_sentences_are_distinct() -> None:
    assert len({s.ja for s in Status}) == len({s.en for s in Status}) == len(Status)


def test_seal_only_sentence_sends_the_receiver_to_the_office() -> None:
    assert "電子公印は有効" in Status.SEAL_ONLY.ja and "読み取れません" in Status.SEAL_ONLY.ja
    assert "seal is valid" in Status.SEAL_ONLY.en and "issuing office" in Status.SEAL_ONLY.en


def test_a_service_without_its_content_key_says_seal_only_not_altered(
    rendered: Callable[[str], bytes], contents: dict[str, Content], published: PublishedKeys
) -> None:
    """A genuine back read by a service that cannot open the copy: nothing compared, nothing changed."""
    entries = info_entries(rendered("fuhyo"))
    codes = [entries[SIGNED_KEY], *entries[SEALED_KEY].split(";")]
    day = contents["fuhyo"].header.issued_on
    keyless = Trust.of(published)  # the municipality's keys, not the verification service's own
    result = verify_codes(codes, trust=keyless, register=None, today=day, source="image")
    assert result.status is Status.SEAL_ONLY and result.reasons == (Reason.CONTENT_UNREADABLE,)
    pdf = verify_bytes(rendered("fuhyo"), trust=keyless, today=day)
    assert pdf.status is Status.SEAL_ONLY and pdf.source == "pdf"
