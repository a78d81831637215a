"""`kofu center` and `kofu net` commands: registers, settlement (FEE-1), clear errors on bad input."""

from __future__ import annotations

from pathlib import Path

import typer
from typer.testing import CliRunner

from kofu.center.cli import app as center_app
from kofu.netpki import authority
from kofu.netpki.cli import app as net_app
from kofu.settings import Settings

runner = CliRunner()


def run(app: typer.Typer, settings: Settings, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), obj=settings)
    return result.exit_code, result.output


def test_center_cli_registers_and_settlement(tmp_path: Path) -> None:
    """STR-1, HRS-5, FEE-1: register a terminal with its certificate, a municipality, maintenance; settle."""
    settings = Settings(home=tmp_path / "home")
    code, out = run(
        center_app,
        settings,
        "terminal",
        "add",
        "T-CLI-0001",
        "--chain",
        "lawson",
        "--store-code",
        "L9",
        "--store-name",
        "店",
    )
    assert code == 0, out
    assert authority.NetPaths.under(settings.home).terminal("T-CLI-0001")[0].exists()
    code, out = run(center_app, settings, "terminal", "list")
    assert code == 0 and "T-CLI-0001" in out and "active" in out
    code, out = run(
        center_app,
        settings,
        "municipality",
        "add",
        "044245",
        "--name-ja",
        "大衡村",
        "--name-en",
        "Ohira",
        "--url",
        "https://127.0.0.1:9001",
    )
    assert code == 0, out
    assert run(center_app, settings, "municipality", "status", "044245", "down")[0] == 0
    assert run(center_app, settings, "municipality", "status", "999999", "down")[0] == 1
    code, out = run(
        center_app,
        settings,
        "maintenance",
        "add",
        "--start",
        "2099-01-01T01:00",
        "--end",
        "2099-01-01T05:00",
        "--ja",
        "保守",
        "--en",
        "maintenance",
    )
    assert code == 0, out
    code, out = run(center_app, settings, "settle", "--month", "2026-04", "--out", str(tmp_path / "out"))
    assert code == 0, out
    assert (tmp_path / "out" / "settlement-2026-04.csv").exists()
    assert (tmp_path / "out" / "settlement-2026-04.png").exists()
    code, out = run(center_app, settings, "terminal", "revoke", "T-CLI-0001")
    assert code == 0 and "CRL" in out
    serial = authority.load_crl(settings.home)
    assert len(list(serial)) == 1
    assert run(center_app, settings, "recover")[0] == 0


def test_center_cli_bad_input_is_a_reason_not_a_traceback(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    for args in (
        ("settle", "--month", "2026-13"),
        ("terminal", "add", "../x", "--chain", "c", "--store-code", "s", "--store-name", "n"),
        (
            "terminal",
            "add",
            "T-1",
            "--chain",
            "c",
            "--store-code",
            "s",
            "--store-name",
            "n",
            "--hours",
            "[1]",
        ),
        ("terminal", "revoke", "T-NOPE"),
        ("municipality", "add", "12", "--name-ja", "x", "--name-en", "x", "--url", "u"),
        ("maintenance", "add", "--start", "nonsense", "--end", "x", "--ja", "x", "--en", "x"),
    ):
        result = runner.invoke(center_app, list(args), obj=settings)
        assert result.exit_code == 1, (args, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit), (args, result.exception)


def test_net_cli(tmp_path: Path) -> None:
    """SEC-5: the network CA from the command line."""
    settings = Settings(home=tmp_path / "home")
    assert run(net_app, settings, "init")[0] == 0
    code, out = run(net_app, settings, "server", "center", "--host", "center.local", "--host", "10.0.0.5")
    assert code == 0, out
    assert run(net_app, settings, "terminal", "T-N-0001")[0] == 0
    assert run(net_app, settings, "terminal", "bad/name")[0] == 1
    assert run(net_app, settings, "revoke", "T-N-0001")[0] == 0
    assert run(net_app, settings, "revoke", "T-N-0002")[0] == 1
    code, out = run(net_app, settings, "crl")
    assert code == 0 and "CRL #2" in out
