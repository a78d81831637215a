"""COSE_Sign1 (RFC 9052) and Base45 (RFC 9285) against their published test vectors."""

from __future__ import annotations

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given
from hypothesis import strategies as st

from kofu.documents.base45 import Base45Error, b45decode, b45encode
from kofu.documents.cose import Sign1, key_id, parse_sign1, sig_structure, sign1, verify_sign1

# RFC 9052 Appendix C.2.1 (from RFC 8152): ES256 with key "11", payload "This is the content."
RFC_X = "bac5b11cad8f99f9c72b05cf4b9e26d244dc189f745228255a219a86d6a09eff"
RFC_Y = "20138bf82dc1b6d562be0fa54ab7804a3a64b6d72ccfed6b6fb6ed28bbfc117e"
RFC_PROTECTED = bytes.fromhex("a10126")
RFC_TBS = "846a5369676e61747572653143a101264054546869732069732074686520636f6e74656e742e"
RFC_SIGNATURE = (
    "8eb33e4ca31d1c465ab05aac34cc6b23d58fef5c083106c4d25a91aef0b0117e"
    "2af9a291aa32e14ab834dc56ed2a223444547e01f11d3b0916e5a4c345cacb36"
)


def rfc_key() -> ec.EllipticCurvePublicKey:
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), bytes.fromhex("04" + RFC_X + RFC_Y))


def test_sig_structure_matches_rfc9052_vector() -> None:
    assert sig_structure(RFC_PROTECTED, b"This is the content.").hex() == RFC_TBS


def test_rfc9052_signature_verifies_and_a_changed_payload_does_not() -> None:
    msg = Sign1(RFC_PROTECTED, {4: b"11"}, b"This is the content.", bytes.fromhex(RFC_SIGNATURE))
    assert verify_sign1(msg, rfc_key())
    assert not verify_sign1(Sign1(RFC_PROTECTED, {}, b"This is the content!", msg.signature), rfc_key())


def test_sign1_round_trip_is_tagged_and_carries_the_kid() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    kid = key_id(key.public_key())
    data = sign1(b"payload", key, kid)
    assert cbor2.loads(data).tag == 18
    msg = parse_sign1(data)
    assert msg.kid == kid and msg.alg == -7 and len(msg.signature) == 64
    assert verify_sign1(msg, key.public_key())
    other = ec.generate_private_key(ec.SECP256R1())
    assert not verify_sign1(msg, other.public_key())


@pytest.mark.parametrize(
    ("raw", "text"),
    [(b"AB", "BB8"), (b"Hello!!", "%69 VD92EX0"), (b"base-45", "UJCLQE7W581"), (b"ietf!", "QED8WEX0")],
)
def test_base45_rfc9285_vectors(raw: bytes, text: str) -> None:
    assert b45encode(raw) == text
    assert b45decode(text) == raw


@given(st.binary(max_size=300))
def test_base45_round_trip(data: bytes) -> None:
    assert b45decode(b45encode(data)) == data


@pytest.mark.parametrize("bad", ["GGW", "ZZZZ", "A", "a12"])
def test_base45_rejects_bad_text(bad: str) -> None:
    with pytest.raises(Base45Error):
        b45decode(bad)
