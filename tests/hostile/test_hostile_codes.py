"""Hostile codes on a certificate's back and hostile card files (issue 6 §3): refused, never a traceback.

A forged back can carry any COSE_Sign1; `kofu verify` and the verification page read it from a photo.
A card file is read by the kiosk's demo tray and the `kofu card` tools.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import cbor2
import pytest

from kofu.card.cardfile import CardFileError, parse_card_file
from kofu.documents.claims import signed_text
from kofu.documents.cose import COSE_SIGN1_TAG, CoseError, parse_sign1
from kofu.rules.reasons import Reason
from kofu.verify.core import verify_codes
from kofu.verify.trust import Trust
from kofu.verify.verdict import Status


def _cose(protected: bytes) -> bytes:
    return cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, b"payload", bytes(64)]))


HOSTILE_PROTECTED = {
    "not_cbor": b"\xff",
    "truncated": b"\xa1\x01",
    "array": cbor2.dumps([1, 2]),
    "integer": cbor2.dumps(7),
    "text": cbor2.dumps("'; DROP TABLE register; --"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_PROTECTED))
def test_a_cose_with_a_hostile_protected_header_is_refused_when_parsed(case: str) -> None:
    with pytest.raises(CoseError):
        parse_sign1(_cose(HOSTILE_PROTECTED[case]))


@pytest.mark.parametrize("case", sorted(HOSTILE_PROTECTED))
def test_verify_reads_a_forged_back_as_unreadable(case: str, tmp_path: Path) -> None:
    """The verdict on a back whose signed code is hostile: unknown / unreadable, no exception."""
    text = signed_text(_cose(HOSTILE_PROTECTED[case]))
    result = verify_codes(
        [text], trust=Trust.from_home(tmp_path), register=None, today=dt.date(2026, 11, 26), source="photo"
    )
    assert result.status is Status.UNKNOWN and Reason.UNREADABLE in result.reasons


@pytest.mark.parametrize(
    "raw",
    [b"[" * 100_000 + b"]" * 100_000, b"\xff\xfe", b"null", b'{"format": 1e999999}', b"{" * 5000],
    ids=["deep", "not_utf8", "null", "huge_number", "open_braces"],
)
def test_a_hostile_card_file_is_a_card_file_error(raw: bytes) -> None:
    """A damaged or crafted card file raises CardFileError (the kiosk shows card_unreadable), nothing else."""
    with pytest.raises(CardFileError):
        parse_card_file(raw, Path("hostile.json"))


def test_a_deeply_nested_demo_cards_file_leaves_the_tray_empty(tmp_path: Path) -> None:
    from kofu.kiosk.devices.cardslot import load_demo_cards

    path = tmp_path / "demo-cards.json"
    path.write_bytes(b"[" * 100_000 + b"]" * 100_000)
    assert load_demo_cards(path) == []
