"""Verification of sealed PDFs and of scans of their backs (SEC-4, SEC-6).

Verdicts: genuine (with the decrypted original), altered, unknown, expired, revoked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from doc_support import run, write
from kofu.documents.content import Content
from kofu.documents.info import SIGNED_KEY
from kofu.documents.info_read import info_entries
from kofu.documents.keys import sealing_keys
from kofu.documents.published import PublishedKeys
from kofu.rules.reasons import Reason
from kofu.rules.rulebook import Rulebook
from kofu.verify.core import verify_bytes, verify_codes
from kofu.verify.key import VerifierKey
from kofu.verify.register import Register, entry_for, migrate_verify
from kofu.verify.trust import Trust
from kofu.verify.verdict import Status

KINDS = ["juminhyo_whole", "inkan", "kazei", "koseki_whole_large", "fuhyo"]


@pytest.fixture(scope="module")
def register(tmp_path_factory: pytest.TempPathFactory, contents: dict[str, Content]) -> Iterator[Register]:
    url = f"sqlite:///{tmp_path_factory.mktemp('verify') / 'verify.db'}"
    migrate_verify(url)
    reg = Register(url)
    for item in contents.values():
        reg.record(entry_for(item))
    yield reg
    reg.close()


@pytest.fixture(scope="session")
def trust(published: PublishedKeys, verifier: VerifierKey) -> Trust:
    return Trust.of(published, verifier=verifier)


def today(item: Content) -> dt.date:
    return item.header.issued_on


@pytest.mark.parametrize("name", KINDS)
def test_a_sealed_pdf_is_genuine_and_carries_its_original(
    name: str,
    rendered: Callable[[str], bytes],
    contents: dict[str, Content],
    trust: Trust,
    register: Register,
) -> None:
    result = verify_bytes(rendered(name), trust=trust, register=register, today=today(contents[name]))
    assert result.status is Status.GENUINE, result.reasons
    assert result.content == contents[name]
    assert result.source == "pdf"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(position=st.floats(0, 1, exclude_max=True), delta=st.integers(1, 255))
def test_changing_any_one_byte_makes_the_pdf_altered_sec6(
    position: float,
    delta: int,
    rendered: Callable[[str], bytes],
    contents: dict[str, Content],
    trust: Trust,
    register: Register,
) -> None:
    """Altered, also when the change breaks the file's structure (a genuine PDF always parses)."""
    data = bytearray(rendered("juminhyo_whole"))
    i = int(position * len(data))
    data[i] = (data[i] + delta) % 256
    result = verify_bytes(
        bytes(data), trust=trust, register=register, today=today(contents["juminhyo_whole"])
    )
    assert result.status is Status.ALTERED, (i, result)


@pytest.mark.parametrize("where", ["start", "header", "middle", "signature", "end"])
def test_one_byte_at_chosen_places_makes_the_pdf_altered(
    where: str,
    rendered: Callable[[str], bytes],
    contents: dict[str, Content],
    trust: Trust,
    register: Register,
) -> None:
    data = bytearray(rendered("kazei"))
    i = {
        "start": 0,
        "header": 5,
        "middle": len(data) // 2,
        "signature": data.index(b"/Contents <") + 40,
        "end": len(data) - 3,
    }[where]
    data[i] ^= 0x01
    result = verify_bytes(bytes(data), trust=trust, register=register, today=today(contents["kazei"]))
    assert result.status is Status.ALTERED


def test_a_changed_ca_certificate_in_the_signatures_bag_makes_the_pdf_altered_sec6(
    rendered: Callable[[str], bytes], contents: dict[str, Content], trust: Trust, register: Register
) -> None:
    """The CMS carries a copy of the CA's certificate outside what it signs; a byte changed inside that
    copy (a hex digit of /Contents) is altered too, not genuine."""
    import io

    from pyhanko.pdf_utils.reader import PdfFileReader

    data = bytearray(rendered("juminhyo_whole"))
    (signature,) = PdfFileReader(io.BytesIO(bytes(data))).embedded_signatures
    assert signature.other_embedded_certs, "kofu's seal carries its CA certificate"
    ca_hex = signature.other_embedded_certs[0].dump().hex().upper().encode()
    start = data.upper().index(ca_hex)
    i = start + len(ca_hex) // 2  # inside the certificate's body, where DER still parses
    data[i] = ord("0") if data[i] != ord("0") else ord("1")
    result = verify_bytes(
        bytes(data), trust=trust, register=register, today=today(contents["juminhyo_whole"])
    )
    assert result.status is Status.ALTERED, result


def test_the_seal_is_a_certification_that_allows_no_changes(rendered: Callable[[str], bytes]) -> None:
    import io

    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import MDPPerm

    (signature,) = PdfFileReader(io.BytesIO(rendered("juminhyo_whole"))).embedded_signatures
    assert signature.docmdp_level is MDPPerm.NO_CHANGES
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES


def test_bytes_appended_after_the_seal_make_it_altered(
    rendered: Callable[[str], bytes], contents: dict[str, Content], trust: Trust, register: Register
) -> None:
    data = rendered("inkan") + b"\n% appended\n"
    result = verify_bytes(data, trust=trust, register=register, today=today(contents["inkan"]))
    assert result.status is Status.ALTERED


@pytest.mark.parametrize("name", KINDS)
def test_a_200dpi_scan_of_the_back_decodes_with_zbar_and_verifies_genuine(
    name: str,
    tmp_path: Path,
    rendered: Callable[[str], bytes],
    contents: dict[str, Content],
    trust: Trust,
    register: Register,
) -> None:
    pdf = write(tmp_path, "doc.pdf", rendered(name))
    assert (
        run(
            "pdftoppm", "-r", "200", "-png", "-f", "2", "-l", "2", str(pdf), str(tmp_path / "back")
        ).returncode
        == 0
    )
    (png,) = tmp_path.glob("back*.png")
    zbar = [t for t in run("zbarimg", "-q", "--raw", str(png)).stdout.decode().split("\n") if t]
    assert info_entries(rendered(name))[SIGNED_KEY] in zbar  # an independent decoder reads the signed code
    by_zbar = verify_codes(zbar, trust=trust, register=register, today=today(contents[name]), source="image")
    assert by_zbar.status is Status.GENUINE and by_zbar.content == contents[name]
    result = verify_bytes(png.read_bytes(), trust=trust, register=register, today=today(contents[name]))
    assert result.status is Status.GENUINE, result.reasons
    assert result.source == "image"
    assert result.content == contents[name]  # the receiver can compare it with the front


def test_a_jpeg_photo_of_the_back_verifies(
    tmp_path: Path, rendered: Callable[[str], bytes], contents: dict[str, Content], trust: Trust
) -> None:
    from PIL import Image, ImageFilter

    pdf = write(tmp_path, "doc.pdf", rendered("fuhyo"))
    run("pdftoppm", "-r", "200", "-png", "-f", "2", "-l", "2", str(pdf), str(tmp_path / "back"))
    (png,) = tmp_path.glob("back*.png")
    photo = (
        Image.open(png)
        .convert("L")
        .rotate(2, expand=True, fillcolor=255)
        .filter(ImageFilter.GaussianBlur(0.6))
    )
    photo.save(tmp_path / "photo.jpg", quality=85)
    result = verify_bytes((tmp_path / "photo.jpg").read_bytes(), trust=trust, today=today(contents["fuhyo"]))
    assert result.status is Status.GENUINE
    assert result.content == contents["fuhyo"]


def test_past_the_verification_period_is_expired(
    rendered: Callable[[str], bytes],
    contents: dict[str, Content],
    trust: Trust,
    register: Register,
    rulebook: Rulebook,
) -> None:
    issued = today(contents["kazei"])
    late = rulebook.verification.until(issued) + dt.timedelta(days=1)
    on_time = rulebook.verification.until(issued)
    assert verify_bytes(rendered("kazei"), trust=trust, register=register, today=on_time).genuine
    result = verify_bytes(rendered("kazei"), trust=trust, register=register, today=late)
    assert result.status is Status.EXPIRED and result.reasons == (Reason.DOCUMENT_EXPIRED,)


def test_a_revoked_document_is_revoked(
    tmp_path: Path, rendered: Callable[[str], bytes], contents: dict[str, Content], trust: Trust
) -> None:
    url = f"sqlite:///{tmp_path / 'v.db'}"
    migrate_verify(url)
    reg = Register(url)
    try:
        item = contents["fuhyo"]
        assert reg.record(entry_for(item))
        assert not reg.record(entry_for(item))  # numbers are unique
        assert verify_bytes(rendered("fuhyo"), trust=trust, register=reg, today=today(item)).genuine
        assert reg.revoke(item.header.unique_number)
        result = verify_bytes(rendered("fuhyo"), trust=trust, register=reg, today=today(item))
        assert result.status is Status.REVOKED and result.reasons == (Reason.DOCUMENT_REVOKED,)
    finally:
        reg.close()


def test_a_document_missing_from_the_register_is_unknown(
    tmp_path: Path, rendered: Callable[[str], bytes], contents: dict[str, Content], trust: Trust
) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    migrate_verify(url)
    reg = Register(url)
    try:
        result = verify_bytes(rendered("inkan"), trust=trust, register=reg, today=today(contents["inkan"]))
    finally:
        reg.close()
    assert result.status is Status.UNKNOWN and result.reasons == (Reason.DOCUMENT_UNKNOWN,)


def test_keys_of_another_municipality_are_unknown(
    tmp_path: Path, rendered: Callable[[str], bytes], contents: dict[str, Content]
) -> None:
    stranger = Trust.of(sealing_keys(tmp_path, "044245", "大衡村").published)  # same code, other keys
    result = verify_bytes(rendered("inkan"), trust=stranger, today=today(contents["inkan"]))
    assert result.status is Status.UNKNOWN and result.reasons == (Reason.KEY_UNKNOWN,)


def test_garbage_is_unsupported_and_a_blank_image_unreadable() -> None:
    import io

    from PIL import Image

    empty = Trust.of()
    assert verify_bytes(b"hello world", trust=empty).reasons == (Reason.UNSUPPORTED,)
    buf = io.BytesIO()
    Image.new("L", (200, 200), 255).save(buf, format="PNG")
    assert verify_bytes(buf.getvalue(), trust=empty).reasons == (Reason.UNREADABLE, Reason.RESCAN_300_DPI)
    assert verify_bytes(b"\x89PNG\r\n\x1a\nbroken", trust=empty).reasons == (Reason.UNREADABLE,)


def test_the_register_keeps_no_content_sec4(db_url: str, contents: dict[str, Content]) -> None:
    from sqlalchemy import inspect

    migrate_verify(db_url)
    reg = Register(db_url)
    try:
        columns = {c["name"] for c in inspect(reg.engine).get_columns("verify_documents")}
        assert columns == {
            "unique_number",
            "municipality_code",
            "kind",
            "issued_on",
            "content_digest",
            "revoked",
            "revoked_at",
        }
        item = contents["juminhyo_whole"]
        assert reg.record(entry_for(item))
        entry = reg.lookup(item.header.unique_number)
        assert entry is not None and entry.kind == "juminhyo" and not entry.revoked
        assert reg.lookup("nothing") is None and not reg.revoke("nothing")
        assert "alembic_version_verify" in inspect(reg.engine).get_table_names()
    finally:
        reg.close()
