"""What `kofu kiosk session` is given, checked before a card is read or the center is asked.

A wrong argument found later would cost the operator a PIN try, an authentication or a paid and voided
order, and be told by the step it broke (`step_unavailable`, `pin_wrong`); here each is one sentence
naming its option.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kofu.rules import ids
from kofu.rules.kinds import Kind
from kofu.rules.menu import OPTION_INDIVIDUAL, OPTION_WHOLE
from kofu.rules.pin import is_valid_pin

# A family-register certificate is 全部事項 or 個人事項, never neither (the menu requires one of them)
_REQUIRED_OPTIONS = {Kind.KOSEKI: (OPTION_WHOLE, OPTION_INDIVIDUAL)}


class WrongArgument(ValueError):
    """One argument the session cannot run with, said as the operator should read it."""


@dataclass(frozen=True)
class SessionArguments:
    """The arguments that decide whether a session can start at all."""

    card: Path
    municipality: str
    kind: str
    option: str | None
    pin: str | None
    biometric_sample: str | None  # the text demo-cards.json lists, or @FILE


def biometric_bytes(sample: str | None) -> bytes | None:
    """What the phone's sensor reads: the text as given, or the bytes of the file after `@`."""
    if sample is None:
        return None
    if not sample.startswith("@"):
        return sample.encode()
    try:
        return Path(sample[1:]).read_bytes()
    except OSError as exc:
        raise WrongArgument(f"--biometric-sample: cannot read {sample[1:]} ({exc.strerror})") from None


def check(arguments: SessionArguments) -> bytes | None:
    """Raise WrongArgument for the first argument a session cannot run with; the sensor's sample."""
    from kofu.card.cardfile import CardFileError, read_card_file

    if not ids.MUNICIPALITY_CODE.fits(arguments.municipality):
        raise WrongArgument(
            f"--municipality {arguments.municipality!r} is not {ids.MUNICIPALITY_CODE.description}"
        )
    kinds = ", ".join(Kind)
    if arguments.kind not in set(Kind):
        raise WrongArgument(f"--kind {arguments.kind!r} is not a certificate kind ({kinds})")
    required = _REQUIRED_OPTIONS.get(Kind(arguments.kind))
    if required and arguments.option is None:
        raise WrongArgument(f"--option is needed for {arguments.kind}: {' or '.join(required)}")
    if required and arguments.option not in required:
        raise WrongArgument(f"--option {arguments.option!r} for {arguments.kind} is {' or '.join(required)}")
    if arguments.pin is not None and not is_valid_pin(arguments.pin):
        raise WrongArgument("--pin must be 4 digits")  # never echoed: it is the resident's secret
    sample = biometric_bytes(arguments.biometric_sample)
    try:
        credential = read_card_file(arguments.card).kind
    except CardFileError as exc:
        raise WrongArgument(f"--card: {exc}") from None
    if credential == "phone":
        if arguments.pin is None and sample is None:
            raise WrongArgument(
                "a phone needs --pin or --biometric-sample (the sample demo-cards.json lists)"
            )
    elif sample is not None:
        raise WrongArgument("a card has no biometrics: give its --pin, not --biometric-sample")
    elif arguments.pin is None:
        raise WrongArgument("--pin is needed: a card unlocks only with its 4-digit PIN")
    return sample
