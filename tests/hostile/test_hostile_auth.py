"""Hostile authentication answers (issue 6 §3, SEC-1): bad certificates and signatures are refused.

Each is answered with a 4xx carrying a reason code, and writes nothing but the attempt's own record
(auth_events); a genuine answer in a fresh session still succeeds (the control that makes these fail
if the center stopped checking).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from hostile_world import OTHER_TERMINAL, TERMINAL, HostileWorld, b64, is_refusal

from kofu.wire.challenge import challenge_message


def _foreign_cert(subject_from: bytes) -> tuple[bytes, rsa.RSAPrivateKey]:
    """A certificate with the genuine one's subject and serial, self-signed by another CA's key."""
    genuine = x509.load_der_x509_certificate(subject_from)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Not the JPKI")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(genuine.subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(genuine.serial_number)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(Encoding.DER), key


Mutation = Callable[[dict[str, str], bytes, bytes], dict[str, str]]


def _with(**fields: str) -> Mutation:
    return lambda body, _msg, _cert: {**body, **fields}


def _garbage_der(body: dict[str, str], _msg: bytes, _cert: bytes) -> dict[str, str]:
    return {**body, "certificate_b64": b64(b"\x30\x82\x01\x00" + b"\xff" * 256)}


def _truncated(body: dict[str, str], _msg: bytes, cert: bytes) -> dict[str, str]:
    return {**body, "certificate_b64": b64(cert[: len(cert) // 2])}


def _foreign_ca(body: dict[str, str], msg: bytes, cert: bytes) -> dict[str, str]:
    der, key = _foreign_cert(cert)
    signature = key.sign(msg, padding.PKCS1v15(), hashes.SHA256())
    return {**body, "certificate_b64": b64(der), "signature_b64": b64(signature)}


def _other_message(body: dict[str, str], _msg: bytes, _cert: bytes) -> dict[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return {**body, "signature_b64": b64(key.sign(b"other", padding.PKCS1v15(), hashes.SHA256()))}


CASES: dict[str, Mutation] = {
    "garbage_der": _garbage_der,
    "truncated_certificate": _truncated,
    "certificate_from_another_ca": _foreign_ca,
    "empty_certificate": _with(certificate_b64=""),
    "certificate_not_base64": _with(certificate_b64="@@not base64@@"),
    "signature_by_another_key": _other_message,
    "signature_zeros": _with(signature_b64=b64(bytes(256))),
    "signature_short": _with(signature_b64=b64(b"\x01")),
    "signature_empty": _with(signature_b64=""),
    "signature_not_base64": _with(signature_b64="!!!!"),
    "signature_long": _with(signature_b64=b64(b"\x01" * 300)),
    "terminal_sql": _with(terminal_id="'; DROP TABLE orders; --"),
    "terminal_other": _with(terminal_id="T-0002"),
}


def test_sec1_hostile_answers_are_refused_and_write_nothing(world: HostileWorld) -> None:
    """SEC-1: a malformed or foreign certificate or signature is a 4xx with a reason; nothing written."""
    card = world.issue(world.person())
    problems = []
    for case, mutate in sorted(CASES.items()):
        session_id, challenge = world.open(TERMINAL)
        genuine = world.card_answer(card, session_id, challenge, TERMINAL)
        cert = base64.b64decode(genuine["certificate_b64"])
        message = challenge_message(challenge, session_id, TERMINAL)
        before = world.row_counts()
        reply = world.center.post(
            f"/v1/sessions/{session_id}/authenticate", json=mutate(genuine, message, cert)
        )
        after = world.row_counts()
        if not is_refusal(reply) or after != before:
            changed = {t: (before.get(t), n) for t, n in after.items() if before.get(t) != n}
            problems.append((case, reply.status_code, reply.text[:80], changed))
    assert not problems
    # the control: the same card's genuine answer in a fresh session is accepted
    fresh, challenge = world.open(TERMINAL)
    ok = world.center.post(
        f"/v1/sessions/{fresh}/authenticate", json=world.card_answer(card, fresh, challenge, TERMINAL)
    )
    assert ok.status_code == 200, ok.text


def test_str1_another_terminal_cannot_close_or_use_a_session(world: HostileWorld) -> None:
    """STR-1: a session is its terminal's; another terminal's DELETE or answer leaves it working."""
    card = world.issue(world.person())
    session_id, challenge = world.open(TERMINAL)
    answer = world.card_answer(card, session_id, challenge, TERMINAL)
    before = world.row_counts()
    closed = world.center.delete(f"/v1/sessions/{session_id}", params={"terminal_id": OTHER_TERMINAL})
    assert closed.status_code == 204  # idempotent: says nothing about whose session it was
    assert world.row_counts() == before
    stolen = world.center.post(
        f"/v1/sessions/{session_id}/authenticate", json={**answer, "terminal_id": OTHER_TERMINAL}
    )
    assert is_refusal(stolen)
    ok = world.center.post(f"/v1/sessions/{session_id}/authenticate", json=answer)
    assert ok.status_code == 200, ok.text
