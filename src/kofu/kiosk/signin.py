"""Signing in to the center by its API directly, with a card file.

For kiosks that speak the protocol themselves (the chaos storm's faulty kiosks, the incident tests)
rather than through `KioskService`.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path

import httpx
from cryptography import x509

from kofu.card.client import JpkiClient
from kofu.kiosk.center_client import CenterClient, Failure, Unreachable
from kofu.rules.pin import unlock_methods
from kofu.wire.challenge import challenge_message
from kofu.wire.common import ErrorBody
from kofu.wire.credentials import credential_kind
from kofu.wire.sessions import SessionOpened


@dataclass(frozen=True)
class SignedIn:
    """A center session the card signed in to."""

    client: CenterClient
    session_id: str
    digest: str  # SHA-256 (hex) of the card's authentication certificate: the document binds to it


def sign_in(
    http: httpx.Client, terminal: str, card: Path, pin: str | None, *, biometric_sample: bytes | None = None
) -> SignedIn | Failure:
    """Open a session at `terminal` and answer its challenge with `card`; else the center's answer.

    `pin` None: a phone unlocked by its (simulated) sensor reading `biometric_sample` instead (ELG-5);
    a card has no such way in (ValueError, before any try of its PIN is spent).
    """
    # the simulator: not loaded with the kiosk's modules
    from kofu.card.biometric import SimulatedSensor
    from kofu.card.inprocess import InProcessReader
    from kofu.card.phone import PhoneReader

    sensor = SimulatedSensor(biometric_sample or b"")
    with InProcessReader(card) if pin is not None else PhoneReader(card, sensor) as reader:
        jpki = JpkiClient(reader)
        cert = jpki.read_auth_certificate()
        credential = credential_kind(x509.load_der_x509_certificate(cert))
        if pin is None and "biometric" not in unlock_methods(credential):
            raise ValueError(f"a {credential} has no biometric unlock (ELG-5): give its PIN")
        client = CenterClient(http, terminal)
        opened = client.open_session()
        if not isinstance(opened, SessionOpened):
            return opened
        sid = opened.session_id
        message = challenge_message(base64.b64decode(opened.challenge_b64), sid, terminal)
        signature = jpki.authenticate(message, pin)
    signed = client.authenticate(sid, base64.b64encode(cert).decode(), base64.b64encode(signature).decode())
    if isinstance(signed, ErrorBody | Unreachable):
        return signed
    return SignedIn(client, sid, hashlib.sha256(cert).hexdigest())
