"""Biometric unlock of a phone credential (ELG-5): a sensor behind an interface, simulated here.

A phone's card file holds a template; the kiosk's VERIFY of the PIN EF with `BIO` makes the phone
capture a sample and match it. A failed match counts as a wrong PIN.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from kofu.card.phone import PhoneReader

__all__ = ["BiometricSensor", "PhoneReader", "SimulatedSensor", "enroll", "template_matches"]


class BiometricSensor(Protocol):
    """A fingerprint or face sensor on the phone."""

    def capture(self) -> bytes: ...


class SimulatedSensor:
    """A sensor that always reads the same sample (the person it is pointed at)."""

    def __init__(self, sample: bytes) -> None:
        self.sample = sample
        self.captures = 0

    def capture(self) -> bytes:
        self.captures += 1
        return self.sample


def enroll(sample: bytes) -> bytes:
    """The template stored on the phone for an enrolled sample."""
    return hashlib.sha256(b"kofu-simulated-biometric\x00" + sample).digest()


def template_matches(template: bytes, sample: bytes) -> bool:
    """Simulated matcher: the sample must be the enrolled one."""
    return hmac.compare_digest(enroll(sample), template)


def __getattr__(name: str) -> object:
    if name == "PhoneReader":  # lives in kofu.card.phone; imported lazily to avoid a cycle
        from kofu.card.phone import PhoneReader

        return PhoneReader
    raise AttributeError(name)
