"""T12 (issue 22): strict parsers.

The otherName UTF8String of a signing certificate is read by a strict DER decoder (cryptography's), never
by hand: truncated, indefinite-length, non-minimal, constructed, trailing-byte and non-UTF-8 values are
refused. A COSE_Sign1 is read as RFC 9052 says: one CBOR item and nothing after it, no label twice in a
map nor in both buckets, `crit` only protected and naming only labels kofu understands.
"""

from __future__ import annotations

import cbor2
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from kofu.documents.cose import ES256, CoseError, key_id, parse_sign1, sig_structure, sign1, verify_sign1
from kofu.jpki.certificates import utf8_string, utf8_string_value

MALFORMED_UTF8_STRINGS = {
    "truncated (length 5, 3 bytes)": b"\x0c\x05abc",
    "truncated long-form length": b"\x0c\x82\x01",
    "indefinite length": b"\x0c\x80abc\x00\x00",
    "trailing bytes": b"\x0c\x03abcX",
    "non-minimal length (BER, not DER)": b"\x0c\x81\x03abc",
    "constructed UTF8String": b"\x2c\x05\x0c\x03abc",
    "another string type (OCTET STRING)": b"\x04\x03abc",
    "not UTF-8": b"\x0c\x02\xff\xfe",
    "empty": b"",
    "tag only": b"\x0c",
}


@pytest.mark.parametrize("der", MALFORMED_UTF8_STRINGS.values(), ids=MALFORMED_UTF8_STRINGS.keys())
def test_T12_malformed_der_utf8_strings_are_refused(der: bytes) -> None:
    with pytest.raises(ValueError):
        utf8_string_value(der)


@pytest.mark.parametrize("text", ["", "大衡 太郎", "宮城県黒川郡大衡村大衡字平林62番地" * 20, "x" * 70_000])
def test_well_formed_utf8_strings_round_trip(text: str) -> None:
    """Short, long-form and multi-byte lengths: what the JPKI writes, the reader reads back."""
    assert utf8_string_value(utf8_string(text)) == text


# COSE_Sign1 (RFC 9052 §3, §4.2): every case below carries a valid ES256 signature over its protected
# header and payload, so only the parser's strictness can refuse it.

COSE_KEY = ec.generate_private_key(ec.SECP256R1())
KID = key_id(COSE_KEY.public_key())
PAYLOAD = cbor2.dumps({"n": "044245-20240401-000001-7"})


def _bstr(data: bytes) -> bytes:
    return cbor2.dumps(data)


def _signature(protected: bytes, payload: bytes = PAYLOAD) -> bytes:
    r, s = decode_dss_signature(COSE_KEY.sign(sig_structure(protected, payload), ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def message(protected: bytes, unprotected: bytes = b"\xa0", *, tagged: bool = True) -> bytes:
    """A COSE_Sign1 assembled byte by byte (so maps may repeat keys), signed over `protected`."""
    body = b"\x84" + _bstr(protected) + unprotected + _bstr(PAYLOAD) + _bstr(_signature(protected))
    return (b"\xd2" + body) if tagged else body


ALG = b"\x01\x26"  # 1: -7 (ES256)
KID_ENTRY = b"\x04" + _bstr(KID)  # 4: kid


def _map(*entries: bytes) -> bytes:
    return bytes([0xA0 + len(entries)]) + b"".join(entries)


PROTECTED = _map(ALG, KID_ENTRY)

MALFORMED_COSE = {
    "trailing byte after the message": message(PROTECTED) + b"\x00",
    "a second CBOR item after the message": message(PROTECTED) + cbor2.dumps(1),
    "trailing byte inside the protected header": message(PROTECTED + b"\x00"),
    "alg repeated in the protected header": message(_map(ALG, KID_ENTRY, b"\x01\x38\x22")),
    "kid repeated in the unprotected header": message(_map(ALG), _map(KID_ENTRY, b"\x04" + _bstr(b"other"))),
    "kid in both buckets": message(PROTECTED, _map(b"\x04" + _bstr(b"other"))),
    "alg in both buckets": message(PROTECTED, _map(ALG)),
    "alg only in the unprotected bucket": message(_map(KID_ENTRY), _map(ALG)),
    "crit names a label kofu does not understand": message(
        _map(ALG, KID_ENTRY, b"\x02\x81\x18\x63", b"\x18\x63\x01")
    ),
    "crit names a text label kofu does not understand": message(
        _map(ALG, KID_ENTRY, b"\x02\x81\x63exp", b"\x63exp\x01")
    ),
    "crit in the unprotected bucket": message(PROTECTED, _map(b"\x02\x81\x01")),
    "crit empty": message(_map(ALG, KID_ENTRY, b"\x02\x80")),
    "crit not an array": message(_map(ALG, KID_ENTRY, b"\x02\x01")),
    "crit names a label absent from the protected bucket": message(
        _map(ALG, b"\x02\x81\x04"), _map(KID_ENTRY)
    ),
    "kid not a byte string": message(_map(ALG, b"\x04\x62ab")),
    "alg neither integer nor text": message(_map(b"\x01" + _bstr(b"ES256"), KID_ENTRY)),
    "a label that is neither integer nor text": message(_map(ALG, KID_ENTRY, _bstr(b"x") + b"\x01")),
    "a tagged value in a header": message(_map(ALG, b"\x04\xd8\x63" + _bstr(KID))),
    "indefinite-length array": b"\xd2\x9f"
    + _bstr(PROTECTED)
    + b"\xa0"
    + _bstr(PAYLOAD)
    + _bstr(_signature(PROTECTED))
    + b"\xff",
    "indefinite-length protected map": message(b"\xbf" + ALG + KID_ENTRY + b"\xff"),
    "detached payload (nil)": b"\xd2\x84"
    + _bstr(PROTECTED)
    + b"\xa0\xf6"
    + _bstr(_signature(PROTECTED, b"")),
    "another tag (COSE_Sign, 98)": b"\xd8\x62" + message(PROTECTED, tagged=False),
}


@pytest.mark.parametrize("data", MALFORMED_COSE.values(), ids=MALFORMED_COSE.keys())
def test_T12_cose_messages_rfc9052_forbids_are_refused(data: bytes) -> None:
    with pytest.raises(CoseError):
        parse_sign1(data)


def test_cose_messages_rfc9052_allows_are_read() -> None:
    """kofu's own messages; untagged; kid unprotected; a crit naming a label kofu understands; an
    unknown label that is not critical (ignored, as RFC 9052 §3 allows)."""
    allowed = {
        "kofu's own": sign1(PAYLOAD, COSE_KEY, KID),
        "as built here": message(PROTECTED),
        "untagged": message(PROTECTED, tagged=False),
        "kid unprotected": message(_map(ALG), _map(KID_ENTRY)),
        "crit names kid": message(_map(ALG, KID_ENTRY, b"\x02\x81\x04")),
        "an unknown, non-critical label": message(
            _map(ALG, KID_ENTRY, b"\x18\x63\x01"), _map(b"\x18\x64\x02")
        ),
    }
    for name, data in allowed.items():
        msg = parse_sign1(data)
        assert msg.kid == KID and msg.alg == ES256 and verify_sign1(msg, COSE_KEY.public_key()), name
