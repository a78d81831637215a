"""What the card signs to answer the center's challenge: written by the kiosk, checked by the center."""

from __future__ import annotations


def challenge_message(challenge: bytes, session_id: str, terminal_id: str) -> bytes:
    """What the card signs (after SHA-256 and DigestInfo): challenge ‖ session_id ‖ terminal_id (UTF-8)."""
    return challenge + session_id.encode("utf-8") + terminal_id.encode("utf-8")
