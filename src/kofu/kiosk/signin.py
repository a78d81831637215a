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

from kofu.card.client import JpkiClient
from kofu.kiosk.center_client import CenterClient, Failure, Unreachable
from kofu.wire.challenge import challenge_message
from kofu.wire.common import ErrorBody
from kofu.wire.sessions import SessionOpened


@dataclass(frozen=True)
class SignedIn:
    """A center session the card signed in to."""

    client: CenterClient
    session_id: str
    digest: str  # SHA-256 (hex) of the card's authentication certificate: the document binds to it


def sign_in(http: httpx.Client, terminal: str, card: Path, pin: str) -> SignedIn | Failure:
    """Open a session at `terminal` and answer its challenge with `card`; else the center's answer."""
    client = CenterClient(http, terminal)
    opened = client.open_session()
    if not isinstance(opened, SessionOpened):
        return opened
    sid = opened.session_id
    from kofu.card.inprocess import InProcessReader  # the simulator: not loaded with the kiosk's modules

    with InProcessReader(card) as reader:
        jpki = JpkiClient(reader)
        cert = jpki.read_auth_certificate()
        message = challenge_message(base64.b64decode(opened.challenge_b64), sid, terminal)
        signature = jpki.authenticate(message, pin)
    signed = client.authenticate(sid, base64.b64encode(cert).decode(), base64.b64encode(signature).decode())
    if isinstance(signed, ErrorBody | Unreachable):
        return signed
    return SignedIn(client, sid, hashlib.sha256(cert).hexdigest())
