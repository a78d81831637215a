"""Proving knowledge of the card's other, unlocked secret (PIN-2 self-service).

The card verifies the secret itself and then signs a fresh message with the key that secret unlocks;
the office checks that signature against a certificate of our authority. So the proof comes from the
card, not from what an app claims.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from kofu.card.client import CardError, JpkiClient, Secret, sha256_digest_info
from kofu.rules.decision import Refused
from kofu.rules.reasons import Reason

CONTEXT = b"kofu-pin-reset-proof/1\x00"


@dataclass(frozen=True)
class SecretProof:
    """A signature over CONTEXT ‖ nonce by the key the other secret unlocks, with its certificate."""

    nonce: bytes
    cert_der: bytes
    signature: bytes


def other(which: Secret) -> Secret:
    """The secret that is not being reset."""
    return "sign_password" if which == "pin" else "pin"


def prove_other_secret(client: JpkiClient, which: Secret, other_secret: str) -> SecretProof | Refused:
    """Have the card verify the secret other than `which` and sign a fresh nonce with its key.

    If that other secret is blocked too, only the office can help (RESET_OFFICE_ONLY).
    """
    nonce = os.urandom(16)
    message = CONTEXT + nonce
    try:
        if which == "pin":
            result = client.verify_sign_password(other_secret)
            if not result.ok:
                return Refused(
                    Reason.RESET_OFFICE_ONLY if result.blocked else (result.reason or Reason.PASSWORD_WRONG)
                )
            cert = client.read_sign_certificate(other_secret)
            signature = client.sign_with_signing_key(sha256_digest_info(message))
        else:
            result = client.verify_pin(other_secret)
            if not result.ok:
                return Refused(
                    Reason.RESET_OFFICE_ONLY if result.blocked else (result.reason or Reason.PIN_WRONG)
                )
            cert = client.read_auth_certificate()
            signature = client.sign_auth(sha256_digest_info(message))
    except CardError:
        return Refused(Reason.UNREADABLE)
    return SecretProof(nonce, cert, signature)


def check_proof(
    proof: SecretProof, which: Secret, auth_ca: x509.Certificate, sign_ca: x509.Certificate
) -> int | None:
    """The serial of the certificate that proved the other secret, or None if the proof does not hold."""
    try:
        cert = x509.load_der_x509_certificate(proof.cert_der)
        # The other secret of a PIN reset is the signing password, so the proof comes from the signing CA.
        cert.verify_directly_issued_by(sign_ca if which == "pin" else auth_ca)
        key = cert.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            return None
        key.verify(proof.signature, CONTEXT + proof.nonce, padding.PKCS1v15(), hashes.SHA256())
    except (ValueError, TypeError, InvalidSignature):
        return None
    return cert.serial_number
