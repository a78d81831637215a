"""Shared by the documents and verify tests: content of every kind and option, and command-line tools."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from kofu.documents import samples
from kofu.documents.content import Content
from kofu.documents.issue import render_and_seal
from kofu.documents.keys import SealingKeys, sealing_keys
from kofu.documents.published import PublishedKeys
from kofu.rules.rulebook import Rulebook, load_rulebook
from kofu.verify.key import VerifierKey, verifier_key

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

# The household's public codes exist in the test's data but must never reach the paper (CRT-1).
PERSON_CODES = {
    "髙橋　一郎": ("18452736091", "420817365924"),  # 住民票コード, 個人番号
    "髙橋　花子": ("27361840592", "531928476035"),
    "髙橋　﨑太": ("36270958413", "642039587146"),
}


def variants(book: Rulebook) -> dict[str, Content]:
    """Every kind with each kiosk option, as content built in the test."""
    plain = replace(book, demo=False)
    made: dict[str, Content] = {
        "juminhyo_whole": samples.juminhyo(book),
        "juminhyo_chosen_honseki": samples.juminhyo(
            book, members=(1,), with_householder=False, with_honseki=True
        ),
        "juminhyo_two_no_householder": samples.juminhyo(book, members=(0, 2), with_householder=False),
        "inkan": samples.inkan(book),
        "kazei": samples.kazei(book),
        "kazei_exempt": samples.kazei(book, exempt=True, fiscal_year=2024),
        "koseki_whole_large": samples.koseki(book, children=13),
        "koseki_individual": samples.koseki(book, whole=False),
        "fuhyo": samples.fuhyo(book),
        "fuhyo_honseki": samples.fuhyo(book, with_honseki=True),
        "juminhyo_production": samples.juminhyo(plain),
    }
    # each document its own unique number, as issued documents have
    return {name: _numbered(item, serial) for serial, (name, item) in enumerate(made.items(), start=1)}


def _numbered(item: Content, serial: int) -> Content:
    from kofu.rules.paging import make_document_number

    h = item.header
    number = make_document_number(h.municipality_code, h.issued_on, serial)
    return replace(item, header=replace(h, unique_number=number, order_id=f"order-{serial}"))


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run a command-line tool (poppler, qpdf, zbar) and return its result."""
    return subprocess.run(list(args), input=stdin, capture_output=True, check=False, timeout=60)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def page_texts(pdf: Path) -> list[str]:
    """pdftotext of each page."""
    pages = int(
        next(
            line.split()[-1]
            for line in run("pdfinfo", str(pdf)).stdout.decode().splitlines()
            if line.startswith("Pages:")
        )
    )
    return [
        run("pdftotext", "-layout", "-f", str(n), "-l", str(n), str(pdf), "-").stdout.decode()
        for n in range(1, pages + 1)
    ]


# Fixtures shared by tests/documents and tests/verify (their conftests import them).
@pytest.fixture(scope="session")
def rulebook() -> Rulebook:
    return load_rulebook("ohira")


@pytest.fixture(scope="session")
def doc_keys(tmp_path_factory: pytest.TempPathFactory, rulebook: Rulebook) -> SealingKeys:
    """The municipality's sealing keys, generated once per test session (per xdist worker)."""
    return sealing_keys(tmp_path_factory.mktemp("dochome"), rulebook.code, rulebook.name)


@pytest.fixture(scope="session")
def verifier(tmp_path_factory: pytest.TempPathFactory) -> VerifierKey:
    """The verification service's key pair (in a home of its own), made once per test session."""
    return verifier_key(tmp_path_factory.mktemp("verifyhome"))


@pytest.fixture(scope="session")
def published(doc_keys: SealingKeys) -> PublishedKeys:
    """What the municipality publishes of its keys: all the verification service trusts."""
    return doc_keys.published


@pytest.fixture(scope="session")
def contents(rulebook: Rulebook) -> dict[str, Content]:
    return variants(rulebook)


@pytest.fixture(scope="session")
def rendered(
    doc_keys: SealingKeys, verifier: VerifierKey, contents: dict[str, Content], rulebook: Rulebook
) -> Callable[[str], bytes]:
    """The sealed PDF of a variant, rendered once per session."""
    cache: dict[str, bytes] = {}

    def get(name: str) -> bytes:
        if name not in cache:
            cache[name] = render_and_seal(
                contents[name], doc_keys, verifier.public, verification=rulebook.verification
            )
        return cache[name]

    return get


def bound_headers(order_id: str, requester_cert_digest: str, pages: int = 1) -> dict[str, str]:
    """The headers a rendered document travels with, binding it to `order_id` and its requester."""
    import hashlib
    import uuid

    from kofu.wire.orders import RenderedHeaders

    return RenderedHeaders(
        order_id=uuid.UUID(order_id),
        requester_cert_digest=requester_cert_digest,
        document_number="044245-20261207-000001-7",
        document_digest=hashlib.sha256(order_id.encode()).hexdigest(),
        pages=pages,
    ).http()
