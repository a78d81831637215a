"""`kofu jpki staff-add` and `kofu jpki reset-pin` (PIN-2 at the office, from the command line)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kofu.card.client import JpkiClient
from kofu.card.inprocess import InProcessReader
from kofu.cli import app

HOLDER = ["--name", "大衡 花子", "--birth-date", "1985-07-07", "--sex", "female", "--address", "大衡村"]


def test_PIN_2_reset_pin_command(kofu_home: Path, ca_keys: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """PIN-2: staff with the role reset a blocked PIN from the CLI; others are refused with a reason."""
    shutil.copytree(ca_keys, kofu_home / "keys" / "jpki")
    monkeypatch.setenv("KOFU_DATABASE_URL", f"sqlite:///{kofu_home / 'kofu.db'}")
    run = CliRunner()
    card = kofu_home / "card.json"
    person = "044245-0000041"
    result = run.invoke(app, ["jpki", "issue-card", "--person", person, "--out", str(card), *HOLDER])
    assert result.exit_code == 0, result.output
    with InProcessReader(card) as reader:
        client = JpkiClient(reader)
        for _ in range(3):
            client.verify_pin("0000")
        assert client.pin_tries_left() == 0
    for staff, role in (("s-1", "pin_reset"), ("s-2", "records")):
        assert run.invoke(app, ["jpki", "staff-add", staff, "--name", "職員", "--role", role]).exit_code == 0
    base = ["jpki", "reset-pin", "--person", person, "--document", "passport", "--card", str(card)]

    refused = run.invoke(app, [*base, "--staff", "s-2", "--new-secret", "4321"])
    assert refused.exit_code != 0
    assert "staff_not_authorised" in refused.output
    bad = run.invoke(app, [*base, "--staff", "s-1", "--new-secret", "43210"])
    assert bad.exit_code != 0 and "bad_request" in bad.output
    assert "Traceback" not in refused.output + bad.output

    done = run.invoke(app, [*base, "--staff", "s-1", "--new-secret", "4321"])
    assert done.exit_code == 0, done.output
    with InProcessReader(card) as reader:
        assert JpkiClient(reader).verify_pin("4321").ok
