"""The back says where and until when a certificate can be verified, both from the rulebook.

The period is signed too (the claims' verifiable_until), so the verifier's expiry follows the rulebook.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from pathlib import Path

from doc_support import page_texts, write
from kofu.documents.claims import SignedClaims, parse_signed
from kofu.documents.content import Content
from kofu.documents.cose import parse_sign1
from kofu.documents.info import SIGNED_KEY
from kofu.documents.info_read import info_entries
from kofu.documents.issue import render_and_seal
from kofu.documents.keys import SealingKeys
from kofu.documents.names import wareki
from kofu.rules.rulebook import Rulebook
from kofu.verify.core import verify_bytes
from kofu.verify.key import VerifierKey
from kofu.verify.trust import Trust
from kofu.verify.verdict import Status


def _claims(pdf: bytes) -> SignedClaims:
    return SignedClaims.from_cbor(parse_sign1(parse_signed(info_entries(pdf)[SIGNED_KEY])).payload)


def _back_text(tmp_path: Path, pdf: bytes) -> str:
    return "".join(page_texts(write(tmp_path, "doc.pdf", pdf))[1].split())


def test_the_back_prints_the_rulebooks_verification_address_and_last_day(
    tmp_path: Path, rendered: Callable[[str], bytes], contents: dict[str, Content], rulebook: Rulebook
) -> None:
    pdf = rendered("kazei")
    issued = contents["kazei"].header.issued_on
    back = _back_text(tmp_path, pdf)
    assert rulebook.verification.url in back
    assert wareki(rulebook.verification.until(issued)) in back
    assert _claims(pdf).verifiable_until == rulebook.verification.until(issued)


def test_a_municipality_with_a_shorter_period_and_its_own_address(
    tmp_path: Path,
    rulebook: Rulebook,
    contents: dict[str, Content],
    doc_keys: SealingKeys,
    verifier: VerifierKey,
) -> None:
    """Another rulebook's choice reaches the paper, the signed claims and the verifier's expiry."""
    own = dataclasses.replace(rulebook.verification, url="https://kakunin.example.jp/kofu/", days=30)
    item = contents["inkan"]
    pdf = render_and_seal(item, doc_keys, verifier.public, verification=own)
    issued = item.header.issued_on
    back = _back_text(tmp_path, pdf)
    assert "https://kakunin.example.jp/kofu/" in back and rulebook.verification.url not in back
    assert wareki(issued + dt.timedelta(days=30)) in back
    assert _claims(pdf).verifiable_until == issued + dt.timedelta(days=30)
    trust = Trust.of(doc_keys.published, verifier=verifier)
    assert verify_bytes(pdf, trust=trust, today=issued + dt.timedelta(days=30)).genuine
    late = verify_bytes(pdf, trust=trust, today=issued + dt.timedelta(days=31))
    assert late.status is Status.EXPIRED
