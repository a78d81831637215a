"""`kofu jpki` commands: clear errors for bad input, never a traceback."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from cryptography import x509
from typer.testing import CliRunner

from kofu.card.cardfile import read_card_file
from kofu.cli import app

HOLDER = ["--name", "大衡 花子", "--birth-date", "1985-07-07", "--sex", "2", "--address", "大衡村"]
P = "044245-0000021"


@pytest.fixture
def run(kofu_home: Path, ca_keys: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    shutil.copytree(ca_keys, kofu_home / "keys" / "jpki")
    monkeypatch.setenv("KOFU_DATABASE_URL", f"sqlite:///{kofu_home / 'kofu.db'}")
    return CliRunner()


def test_init_issue_revoke_event_crl(run: CliRunner, kofu_home: Path) -> None:
    result = run.invoke(app, ["jpki", "init"])
    assert result.exit_code == 0, result.output
    assert "kept existing" in result.output
    card_path = kofu_home / "card.json"
    result = run.invoke(
        app, ["jpki", "issue-card", "--person", P, "--out", str(card_path), "--pin", "4321", *HOLDER]
    )
    assert result.exit_code == 0, result.output
    card = read_card_file(card_path)
    serials = re.search(r"auth serial (\d+)  sign serial (\d+)", result.output)
    assert serials is not None
    assert (card.auth_serial, card.sign_serial) == (int(serials[1]), int(serials[2]))

    result = run.invoke(app, ["jpki", "event", "--person", "044245-0000021", "--event", "address_changed"])
    assert result.exit_code == 0, result.output
    assert f"revoked 1 certificate(s): {card.sign_serial}" in result.output
    result = run.invoke(app, ["jpki", "revoke", hex(card.auth_serial), "--reason", "key_compromise"])
    assert result.exit_code == 0, result.output
    assert f"revoked {card.auth_serial}" in result.output
    result = run.invoke(app, ["jpki", "revoke", str(card.auth_serial), "--reason", "key_compromise"])
    assert "already revoked" in result.output

    crl_path = kofu_home / "sign.crl"
    result = run.invoke(app, ["jpki", "crl", "--ca", "sign", "--out", str(crl_path)])
    assert result.exit_code == 0, result.output
    crl = x509.load_der_x509_crl(crl_path.read_bytes())
    assert crl.get_revoked_certificate_by_serial_number(card.sign_serial) is not None

    phone_path = kofu_home / "phone.json"
    result = run.invoke(
        app, ["jpki", "issue-card", "--person", P, "--out", str(phone_path), "--phone", *HOLDER]
    )
    assert result.exit_code == 0, result.output
    assert read_card_file(phone_path).kind == "phone"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["issue-card", "--person", "P", "--out", "x.json", "--pin", "12a4", *HOLDER], "4 digits"),
        (["issue-card", "--person", "P", "--out", "x.json", "--sign-password", "short", *HOLDER], "6-16"),
        (["issue-card", "--person", "P", "--out", "x.json", "--name", "A"], "give all of"),
        (["issue-card", "--person", "P", "--out", "x.json", *HOLDER[:2], "--birth-date", "1985-13-01",
          *HOLDER[4:]], "YYYY-MM-DD"),
        (["issue-card", "--person", "044245-9999999", "--out", "x.json"], "registry"),
        (["issue-card", "--person", "P", "--out", "x.json", "--handed-over", "2026-13-01", *HOLDER],
         "handed-over must be YYYY-MM-DD"),
        (["issue-card", "--person", "P", "--out", "x.json", "--handed-over", "2020-01-01", *HOLDER],
         "cannot be before today"),  # DAY-1: handed over on or after the day its certificates are made
        (["revoke", "123", "--reason", "bored"], "unknown reason"),
        (["revoke", "123", "--reason", "key_compromise"], "no certificate with serial 123"),
        (["event", "--person", "P", "--event", "moved_to_mars"], "unknown event"),
        (["crl", "--ca", "root", "--out", "x.crl"], "auth or sign"),
    ],
)  # fmt: skip
def test_bad_input_is_a_clear_error(run: CliRunner, args: list[str], message: str) -> None:
    result = run.invoke(app, ["jpki", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_issue_without_authorities_says_run_init(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOFU_HOME", str(tmp_path / "empty"))
    result = CliRunner().invoke(app, ["jpki", "issue-card", "--person", "P", "--out", "x.json", *HOLDER])
    assert result.exit_code != 0
    assert "kofu jpki init" in result.output
