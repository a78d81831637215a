"""Issue 26 (6): `--help` shows no type beside a flag (a flag takes no value), and every other option
keeps its type."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from kofu.cli import app

runner = CliRunner()


@pytest.mark.parametrize(
    ("command", "flags", "typed"),
    [
        ([], ["--version", "--help"], "--config"),
        (["center", "terminal", "add"], ["--certificate", "--no-certificate"], "--chain"),
        (["serve"], ["--tls", "--no-tls", "--access-log"], "--workers"),
        (["demo"], ["--setup-only"], "--port"),
        (["municipal", "approve"], ["--refuse"], "--db"),
    ],
)
def test_help_shows_no_bool_beside_a_flag(command: list[str], flags: list[str], typed: str) -> None:
    result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    assert "<bool>" not in result.output
    assert all(flag in result.output for flag in flags)
    line = next(line for line in result.output.splitlines() if typed in line)
    assert "<" in line  # <str>, <int>, <path>: an option with a value still says its type
