"""The public /verify page and `POST /api/verify` (SEC-4, SEC-6): verdicts on real sealed documents.

Genuine (with the decrypted original), altered, unknown, expired, revoked; limits (413), wrong content
types (415), never a 500, and nothing of an upload kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from doc_support import run
from kofu.documents.content import Content
from kofu.documents.keys import sealing_keys
from kofu.documents.published import PublishedKeys, published_dir, write_keyset
from kofu.rules.rulebook import Rulebook
from kofu.verify.key import VerifierKey, verifier_key
from kofu.verify.register import Register, entry_for, migrate_verify
from kofu.verify.trust import Trust
from kofu.verify.web import create_app

NAME = "juminhyo_whole"


@pytest.fixture
def register_url(tmp_path: Path, contents: dict[str, Content]) -> Iterator[str]:
    """A verification register with every test document recorded."""
    url = f"sqlite:///{tmp_path / 'verify.db'}"
    migrate_verify(url)
    reg = Register(url)
    for item in contents.values():
        reg.record(entry_for(item))
    reg.close()
    yield url


def _client(
    trust: Trust, register_url: str | None, day: dt.date, max_bytes: int = 10 * 1024 * 1024
) -> TestClient:
    app = create_app(trust=trust, register_url=register_url, today=lambda: day, max_bytes=max_bytes)
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def trust(published: PublishedKeys, verifier: VerifierKey) -> Trust:
    return Trust.of(published, verifier=verifier)


@pytest.fixture
def client(trust: Trust, register_url: str, contents: dict[str, Content]) -> TestClient:
    return _client(trust, register_url, contents[NAME].header.issued_on)


def _post(client: TestClient, data: bytes, media: str = "application/pdf", path: str = "/api/verify") -> Any:
    return client.post(path, files={"file": ("doc", data, media)})


def test_verify_web_genuine_pdf_shows_the_original_sec6(
    client: TestClient, rendered: Callable[[str], bytes], contents: dict[str, Content]
) -> None:
    """SEC-6: a sealed PDF is genuine; the page shows the decrypted original for comparison."""
    answer = _post(client, rendered(NAME))
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "genuine" and body["reasons"] == []
    assert body["document"]["unique_number"] == contents[NAME].header.unique_number
    assert "content" in body
    page = _post(client, rendered(NAME), path="/verify")
    assert page.status_code == 200
    assert 'data-status="genuine"' in page.text and "見本の証明書です" in page.text  # a demo document
    assert contents[NAME].header.unique_number in page.text
    assert 'id="content"' in page.text


def test_verify_web_raw_body_upload_is_accepted(client: TestClient, rendered: Callable[[str], bytes]) -> None:
    """The API also takes the PDF as the raw body with its content type."""
    answer = client.post("/api/verify", content=rendered(NAME), headers={"content-type": "application/pdf"})
    assert answer.status_code == 200 and answer.json()["status"] == "genuine"


def test_verify_web_photo_of_the_back_is_genuine_sec6(
    client: TestClient, rendered: Callable[[str], bytes], tmp_path: Path
) -> None:
    """SEC-6: a 200 dpi scan of the back (PNG) verifies genuine and carries the content."""
    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes(rendered(NAME))
    run("pdftoppm", "-r", "200", "-png", "-f", "2", "-l", "2", str(pdf), str(tmp_path / "back"))
    (png,) = tmp_path.glob("back*.png")
    body = _post(client, png.read_bytes(), "image/png").json()
    assert body["status"] == "genuine" and body["source"] == "image" and "content" in body


def test_verify_web_altered_pdf_sec6(client: TestClient, rendered: Callable[[str], bytes]) -> None:
    """SEC-6: one byte changed inside the signed range makes the document altered (never genuine)."""
    data = bytearray(rendered(NAME))
    i = data.index(b"/Contents") - 200  # inside the first page's objects, covered by the seal
    data[i] = (data[i] + 1) % 256
    answer = _post(client, bytes(data))
    assert answer.status_code == 200
    assert answer.json()["status"] in {"altered", "unknown"}
    assert answer.json()["status"] != "genuine"


def test_verify_web_unknown_key_and_unregistered_document(
    tmp_path: Path,
    rendered: Callable[[str], bytes],
    contents: dict[str, Content],
    register_url: str,
    rulebook: object,
) -> None:
    """A document sealed by keys the page does not trust, or not in the register, is unknown."""
    other = sealing_keys(tmp_path / "other", "044245", "大衡村").published
    strange = _client(Trust.of(other), register_url, contents[NAME].header.issued_on)
    body = _post(strange, rendered(NAME)).json()
    assert body["status"] == "unknown"
    assert body["reasons"][0]["code"] == "key_unknown" and body["reasons"][0]["ja"]


def test_verify_web_document_missing_from_register_is_unknown(
    trust: Trust, rendered: Callable[[str], bytes], contents: dict[str, Content], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    empty = _client(trust, url, contents[NAME].header.issued_on)
    body = _post(empty, rendered(NAME)).json()
    assert (body["status"], body["reasons"][0]["code"]) == ("unknown", "document_unknown")


def test_verify_web_expired_and_revoked(
    trust: Trust,
    register_url: str,
    rendered: Callable[[str], bytes],
    contents: dict[str, Content],
    rulebook: Rulebook,
) -> None:
    """Past the verification period: expired; revoked in the register: revoked; both with sentences."""
    issued = contents[NAME].header.issued_on
    late = _client(trust, register_url, rulebook.verification.until(issued) + dt.timedelta(days=1))
    body = _post(late, rendered(NAME)).json()
    assert (body["status"], body["reasons"][0]["code"]) == ("expired", "document_expired")
    assert "content" not in body

    reg = Register(register_url)
    reg.revoke(contents[NAME].header.unique_number)
    reg.close()
    client = _client(trust, register_url, issued)
    page = _post(client, rendered(NAME), path="/verify")
    assert 'data-status="revoked"' in page.text and "この証明書は無効とされています。" in page.text
    assert "This document has been revoked." in _post(client, rendered(NAME), path="/verify?lang=en").text


def test_verify_web_upload_too_large_is_413(
    trust: Trust, register_url: str, contents: dict[str, Content]
) -> None:
    client = _client(trust, register_url, contents[NAME].header.issued_on, max_bytes=1000)
    big = b"%PDF-1.7\n" + b"0" * 5000
    for path in ("/api/verify", "/verify"):
        answer = _post(client, big, path=path)
        assert answer.status_code == 413
    assert _post(client, big).json()["reason"] == "upload_too_large"
    raw = client.post("/api/verify", content=big, headers={"content-type": "application/pdf"})
    assert raw.status_code == 413


@pytest.mark.parametrize("media", ["text/plain", "application/zip", "image/gif"])
def test_verify_web_wrong_content_type_is_415(client: TestClient, media: str) -> None:
    answer = _post(client, b"hello", media)
    assert answer.status_code == 415
    assert answer.json()["reason"] == "unsupported" and answer.json()["message_ja"]
    raw = client.post("/api/verify", content=b"hello", headers={"content-type": media})
    assert raw.status_code == 415


@pytest.mark.parametrize(
    ("data", "media"),
    [
        (b"", "application/pdf"),
        (b"%PDF-1.7\n garbage", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n broken", "image/png"),
        (b"\xff\xd8\xff broken", "image/jpeg"),
        (b"not a pdf at all", "application/pdf"),
    ],
)
def test_verify_web_garbage_is_never_a_500(client: TestClient, data: bytes, media: str) -> None:
    answer = _post(client, data, media)
    assert answer.status_code in {200, 400}
    if answer.status_code == 200:
        assert answer.json()["status"] in {"unknown", "altered"}


def test_verify_web_form_without_file_is_400(client: TestClient) -> None:
    answer = client.post("/api/verify", files={"other": (None, "x")})
    assert (answer.status_code, answer.json()["reason"]) == (400, "bad_request")
    broken = client.post(
        "/api/verify", content=b"--x\r\nnonsense", headers={"content-type": "multipart/form-data; boundary=x"}
    )
    assert broken.status_code == 400


def test_verify_web_keeps_nothing_of_the_upload_sec4(
    client: TestClient, rendered: Callable[[str], bytes], register_url: str, tmp_path: Path
) -> None:
    """SEC-4: verifying writes no file and changes no byte of the register (nothing of it is kept)."""

    def snapshot() -> dict[Path, bytes]:
        return {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and p.suffix == ".db"}

    before = snapshot()
    names_before = {p for p in tmp_path.rglob("*") if not p.name.endswith(("-wal", "-shm"))}
    assert _post(client, rendered(NAME)).json()["status"] == "genuine"
    assert _post(client, rendered(NAME), path="/verify").status_code == 200
    assert snapshot() == before
    assert {p for p in tmp_path.rglob("*") if not p.name.endswith(("-wal", "-shm"))} == names_before


def test_verify_web_form_page_and_openapi(client: TestClient) -> None:
    page = client.get("/verify")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text
    assert client.get("/").status_code == 200  # redirected to the form
    assert client.get("/openapi.json").status_code == 404  # published only with `docs = true`
    schema = client.app.openapi()  # type: ignore[attr-defined]
    documented = schema["paths"]["/api/verify"]["post"]["responses"]
    assert {"413", "415"} <= set(documented)


def test_verify_web_large_upload_never_touches_the_disk_sec4(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SEC-4: a 3 MB upload stays in memory (no spooled temporary file), and gets a verdict."""
    import tempfile

    from starlette import formparsers

    rolled: list[bool] = []

    class Watched(tempfile.SpooledTemporaryFile):
        def rollover(self) -> None:
            rolled.append(True)
            super().rollover()

    monkeypatch.setattr(formparsers, "SpooledTemporaryFile", Watched)
    answer = _post(client, b"%PDF-1.7\n" + b"0" * (3 * 1024 * 1024))
    assert answer.status_code == 200 and answer.json()["status"] != "genuine"
    assert rolled == []


def test_verify_web_learns_keys_of_a_municipality_that_joined_later(
    tmp_path: Path, contents: dict[str, Content], rulebook: Any
) -> None:
    """Built from a home without key sets; a set given to it afterwards is trusted at the next upload."""
    from kofu.documents.issue import render_and_seal

    home = tmp_path / "home"
    home.mkdir()
    item = contents[NAME]
    app = create_app(home=home, today=lambda: item.header.issued_on)
    client = TestClient(app, raise_server_exceptions=False)
    keys = sealing_keys(tmp_path / "municipal", rulebook.code, rulebook.name)
    pdf = render_and_seal(item, keys, verifier_key(home).public)
    assert _post(client, pdf).json()["reasons"][0]["code"] == "key_unknown"
    write_keyset(published_dir(home) / f"{rulebook.code}.json", [keys.published])
    body = _post(client, pdf).json()
    assert body["status"] == "genuine", body["reasons"]


def test_verify_web_a_back_cropped_to_its_seal_is_seal_only_in_both_languages(
    client: TestClient, rendered: Callable[[str], bytes], tmp_path: Path
) -> None:
    """The page never says genuine from the seal alone: it says what was and was not checked."""
    import io

    import zxingcpp
    from PIL import Image

    (tmp_path / "doc.pdf").write_bytes(rendered(NAME))
    run("pdftoppm", "-r", "200", "-png", "-f", "2", "-l", "2", str(tmp_path / "doc.pdf"), str(tmp_path / "b"))
    (scan,) = tmp_path.glob("b*.png")
    back = Image.open(scan).convert("L")
    (seal,) = [c for c in zxingcpp.read_barcodes(back) if c.text.startswith("KF1:")]
    low, high = seal.position.top_left, seal.position.bottom_right
    out = io.BytesIO()
    back.crop((low.x - 30, low.y - 30, high.x + 30, high.y + 30)).save(out, format="PNG")
    body = _post(client, out.getvalue(), "image/png").json()
    assert body["status"] == "seal_only" and [r["code"] for r in body["reasons"]] == ["content_unreadable"]
    assert "content" not in body
    page = _post(client, out.getvalue(), "image/png", path="/verify")
    assert 'data-status="seal_only"' in page.text
    assert "電子公印は有効ですが、内容を読み取れませんでした" in page.text
    english = _post(client, out.getvalue(), "image/png", path="/verify?lang=en")
    assert "compare the paper with the issuing office" in english.text
    assert "真正な証明書です" not in page.text


def _page(client: TestClient, data: bytes, media: str = "application/pdf", **headers: str) -> str:
    """The HTML verdict page for an upload (`?lang=` in `path` or Accept-Language in `headers`)."""
    path = headers.pop("path", "/verify")
    answer = client.post(path, files={"file": ("doc", data, media)}, headers=headers)
    assert answer.status_code == 200
    return answer.text


def _scan(tmp_path: Path, pdf: bytes, page: int, dpi: int) -> bytes:
    """One page of a PDF as a PNG photo (page 1 is the front, page 2 the back)."""
    (tmp_path / "doc.pdf").write_bytes(pdf)
    run(
        "pdftoppm",
        "-r",
        str(dpi),
        "-png",
        "-f",
        str(page),
        "-l",
        str(page),
        str(tmp_path / "doc.pdf"),
        str(tmp_path / "p"),
    )
    (image,) = tmp_path.glob("p*.png")
    return image.read_bytes()


def test_issue26_genuine_page_shows_no_internal_identifier(
    client: TestClient, rendered: Callable[[str], bytes], contents: dict[str, Content]
) -> None:
    """Issue 26 item 5: the certificate as a person reads it: printed labels, 和暦, no ids or booleans."""
    from kofu.documents import codec
    from kofu.rules.wareki import to_wareki

    name = "juminhyo_production"  # a municipality in production: no 見本
    content = contents[name]
    header = content.header
    html = _page(client, rendered(name))
    assert 'data-tone="genuine"' in html and "真正な証明書です" in html
    for printed in (
        "証明書の種類",
        "住民票の写し",
        "証明書番号",
        header.unique_number,
        "発行日",
        "発行者",
        header.municipality_name,
        "ページ数",
        to_wareki(header.issued_on),
        "髙橋　花子",
        "昭和55年12月24日",
        "世帯全員",
    ):
        assert printed in html, printed
    hidden = (
        header.order_id,
        header.requester_cert_digest,
        codec.digest(content).hex(),
        "order_id",
        "requester_cert_digest",
        "whole_household",
        "True",
        "False",
        header.issued_on.isoformat(),
        "1980-12-24",
    )
    for internal in hidden:
        assert internal not in html, internal
    assert "<dl>" in html and "<table" not in html


def test_issue26_a_sample_is_marked_as_one_not_genuine_green(
    client: TestClient, rendered: Callable[[str], bytes]
) -> None:
    """Issue 26 item 5: a 見本 (demo configuration) is shown as a sample without legal force."""
    html = _page(client, rendered(NAME))
    assert 'data-tone="sample"' in html and 'class="verdict sample"' in html
    assert "見本" in html and "法的な効力はありません" in html
    assert "真正な証明書です" not in html and 'class="verdict genuine"' not in html
    english = _page(client, rendered(NAME), path="/verify?lang=en")
    assert "Sample certificate" in english and "no legal force" in english


def test_issue26_a_photo_of_the_front_is_told_to_photograph_the_back(
    client: TestClient, rendered: Callable[[str], bytes], tmp_path: Path
) -> None:
    """Issue 26 item 5: no codes in a photo fine enough to read them: the front, so ask for the back."""
    from kofu.rules.reasons import Reason

    front = _scan(tmp_path, rendered(NAME), page=1, dpi=200)
    body = _post(client, front, "image/png").json()
    assert body["status"] == "unknown"
    assert [r["code"] for r in body["reasons"]] == ["unreadable", "photo_the_back"]
    assert Reason.PHOTO_THE_BACK.ja in _page(client, front, "image/png")
    assert Reason.PHOTO_THE_BACK.en in _page(client, front, "image/png", path="/verify?lang=en")


def test_issue26_a_coarse_scan_keeps_the_300_dpi_hint(
    client: TestClient, rendered: Callable[[str], bytes], tmp_path: Path
) -> None:
    """Issue 26 item 5: too coarse a scan of the back is told to scan at 300 dpi, not to turn the paper."""
    from kofu.rules.reasons import Reason

    html = _page(client, _scan(tmp_path, rendered(NAME), page=2, dpi=60), "image/png")
    assert Reason.RESCAN_300_DPI.ja in html and Reason.PHOTO_THE_BACK.ja not in html


def test_issue26_a_pdf_that_is_no_certificate_is_said_to_be_none(client: TestClient) -> None:
    """Issue 26 item 5: a PDF with nothing of a kofu seal: the page says it is not a certificate."""
    import io

    from reportlab.pdfgen.canvas import Canvas

    from kofu.rules.reasons import Reason

    buf = io.BytesIO()
    canvas = Canvas(buf)
    canvas.drawString(100, 700, "an invoice")
    canvas.showPage()
    canvas.save()
    assert Reason.NOT_A_CERTIFICATE.ja in _page(client, buf.getvalue())
    assert _post(client, buf.getvalue()).json()["reasons"] == [
        {"code": "unreadable", "ja": Reason.UNREADABLE.ja, "en": Reason.UNREADABLE.en}
    ]  # the JSON API is unchanged for machines


@pytest.mark.parametrize(
    ("query", "accept", "lang"),
    [
        ("", None, "ja"),
        ("?lang=en", None, "en"),
        ("", "en-US,en;q=0.9", "en"),
        ("", "fr-FR, en;q=0.5, ja;q=0.8", "ja"),
        ("?lang=ja", "en", "ja"),
        ("", "en;q=0, de", "ja"),
    ],
)
def test_issue26_the_page_speaks_japanese_or_english(
    client: TestClient, query: str, accept: str | None, lang: str
) -> None:
    """Issue 26 item 5: Japanese by default; English by ?lang=en or Accept-Language; a link switches."""
    headers = {"accept-language": accept} if accept else {}
    html = client.get(f"/verify{query}", headers=headers).text
    assert f'<html lang="{lang}">' in html
    title, switch = ("Verify a certificate", "日本語") if lang == "en" else ("証明書の確認", "English")
    assert f"<h1>{title}</h1>" in html
    other = "ja" if lang == "en" else "en"
    assert f'href="/verify?lang={other}"' in html and switch in html


def test_issue26_english_verdict_by_accept_language(
    client: TestClient, rendered: Callable[[str], bytes]
) -> None:
    html = _page(client, rendered("juminhyo_production"), **{"accept-language": "en-GB,en;q=0.8"})
    assert '<html lang="en">' in html and "Genuine certificate" in html
    assert "Kind of certificate" in html and "Date of issue" in html and "真正な証明書です" not in html


def test_issue26_the_form_is_labelled_with_one_h1_in_a_main_landmark(client: TestClient) -> None:
    """Issue 26 item 5 (axe-core `label`): the file input has its label; one h1; a main landmark."""
    import re

    html = client.get("/verify").text
    (field,) = re.findall(r"<input[^>]*type=\"file\"[^>]*>", html)
    (ident,) = re.findall(r'id="([^"]+)"', field)
    assert f'<label for="{ident}">' in html
    assert html.count("<h1") == 1 and html.count("<main>") == 1
