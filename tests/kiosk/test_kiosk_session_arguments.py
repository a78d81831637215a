"""Issue 26 (6): `kofu kiosk session` checks what it is given before it reads a card or asks the center;
each wrong argument is its own line naming the option, exit code 2. The center here is unreachable, so
an argument that got through would end `center_unreachable`, and a card that was read would show it."""

from __future__ import annotations

from pathlib import Path

import pytest
from kiosk_doubles import OWN
from typer.testing import CliRunner

from kofu.card.client import JpkiClient
from kofu.card.inprocess import InProcessReader
from kofu.jpki.testbed import Testbed, TestCard
from kofu.kiosk.cli import app
from kofu.settings import Settings

UNREACHABLE = "http://127.0.0.1:9"


@pytest.fixture
def card(jpki_testbed: Testbed) -> TestCard:
    return jpki_testbed.issue(OWN)


@pytest.fixture
def phone(jpki_testbed: Testbed) -> TestCard:
    return jpki_testbed.issue(OWN, credential="phone")


def _session(home: Path, card: Path, *extra: str, kind: str = "juminhyo") -> tuple[int, str]:
    args = ["session", "--center", UNREACHABLE, "--card", str(card), "--municipality", "044245"]
    args += ["--kind", kind, "--out", str(home / "x.pdf"), *extra]
    result = CliRunner().invoke(app, args, obj=Settings(home=home))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def _untouched(card: TestCard) -> bool:
    with InProcessReader(card.path) as reader:
        return JpkiClient(reader).pin_tries_left() == 3


CARD_CASES = [
    ((), "juminhyo", "--pin is needed"),
    (("--pin", "12a4"), "juminhyo", "--pin must be 4 digits"),
    (("--pin", "1234"), "jumin", "--kind 'jumin' is not a certificate kind"),
    (("--pin", "1234"), "koseki", "--option is needed for koseki: whole or individual"),
    (("--pin", "1234", "--option", "all"), "koseki", "--option 'all' for koseki is whole or individual"),
    (("--pin", "1234", "--biometric-sample", "face:x"), "juminhyo", "a card has no biometrics"),
]


@pytest.mark.parametrize(("extra", "kind", "said"), CARD_CASES, ids=[c[2] for c in CARD_CASES])
def test_a_wrong_argument_is_said_before_the_card_or_the_center(
    kofu_home: Path, card: TestCard, extra: tuple[str, ...], kind: str, said: str
) -> None:
    code, out = _session(kofu_home, card.path, *extra, kind=kind)
    assert code == 2 and f"error [bad_request]: {said}" in out, out
    assert "center_unreachable" not in out and _untouched(card)


def test_a_phone_needs_its_pin_or_a_sample(kofu_home: Path, phone: TestCard) -> None:
    code, out = _session(kofu_home, phone.path)
    assert code == 2 and "a phone needs --pin or --biometric-sample" in out, out


def test_the_sample_as_demo_cards_list_it_is_read_by_the_phone(kofu_home: Path, phone: TestCard) -> None:
    assert phone.biometric_sample is not None
    code, out = _session(kofu_home, phone.path, "--biometric-sample", phone.biometric_sample.decode())
    assert code == 1 and '"code": "center_unreachable"' in out, out
    sample = kofu_home / "sample.bin"
    sample.write_bytes(phone.biometric_sample)
    code, out = _session(kofu_home, phone.path, "--biometric-sample", f"@{sample}")
    assert code == 1 and '"code": "center_unreachable"' in out, out
    code, out = _session(kofu_home, phone.path, "--biometric-sample", f"@{kofu_home / 'none'}")
    assert code == 2 and "error [bad_request]: --biometric-sample: cannot read" in out, out


def test_a_card_file_that_cannot_be_read_is_said(kofu_home: Path) -> None:
    code, out = _session(kofu_home, kofu_home / "no.card", "--pin", "1234")
    assert code == 2 and "error [bad_request]: --card: cannot read card file" in out, out
    bad = kofu_home / "bad.card"
    bad.write_text("{}")
    bad.chmod(0o600)
    code, out = _session(kofu_home, bad, "--pin", "1234")
    assert code == 2 and "error [bad_request]: --card:" in out, out


def test_a_wrong_municipality_code_is_said(kofu_home: Path, card: TestCard) -> None:
    args = ["session", "--center", UNREACHABLE, "--card", str(card.path), "--municipality", "44245"]
    args += ["--kind", "juminhyo", "--out", str(kofu_home / "x.pdf"), "--pin", "1234"]
    result = CliRunner().invoke(app, args, obj=Settings(home=kofu_home))
    assert result.exit_code == 2 and "error [bad_request]: --municipality '44245'" in result.output
