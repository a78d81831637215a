"""Issue 26 (6): every command reads the databases where `kofu demo` writes them, and a command that
only reads never creates one: on a missing database it says so, exit code 2."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kofu.center.app.config import build_config_from_settings as center_config
from kofu.center.registers import add_terminal
from kofu.center.schema import migrate_center
from kofu.cli import app
from kofu.db import make_engine, session_factory, transaction
from kofu.demo.world import DemoPaths
from kofu.municipal.config import build_config_from_settings as municipal_config
from kofu.registry.schema import migrate_registry
from kofu.settings import Settings

runner = CliRunner()


@pytest.fixture
def home(kofu_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The home with no KOFU_DATABASE_URL: each party's database where the demo puts it."""
    monkeypatch.delenv("KOFU_DATABASE_URL", raising=False)
    monkeypatch.delenv("KOFU_CONFIG", raising=False)
    (kofu_home / "db").mkdir()
    return kofu_home


def test_the_demo_writes_where_the_commands_and_servers_read(home: Path) -> None:
    from kofu.layout import Layout

    demo, layout, settings = DemoPaths(home), Layout(home), Settings(home=home)
    assert demo.center == layout.center == center_config(settings).db_url
    assert demo.jpki == layout.jpki
    for rulebook in ("ohira", "kitayama"):
        assert demo.registry(rulebook) == layout.registry(rulebook)
    assert municipal_config(settings).registry_url == layout.registry("ohira")
    assert center_config(settings).verify_db_url == layout.register == settings.db_url
    one = Settings(home=home, database_url="sqlite:///one.db")  # KOFU_DATABASE_URL: one for all
    assert {Layout.of(one).center, Layout.of(one).jpki, Layout.of(one).registry("ohira")} == {
        "sqlite:///one.db"
    }


def test_center_commands_read_the_demo_center(home: Path) -> None:
    url = DemoPaths(home).center  # the file `kofu demo` makes
    migrate_center(url)
    engine = make_engine(url)
    with transaction(session_factory(engine)) as session:
        add_terminal(
            session,
            terminal_id="demo-0001",
            chain="demo_mart",
            store_code="S1",
            store_name="店",
            now=datetime.now(UTC),
        )
    engine.dispose()
    listed = runner.invoke(app, ["center", "terminal", "list"])
    assert listed.exit_code == 0 and "demo-0001" in listed.output, listed.output
    settled = runner.invoke(app, ["center", "settle", "--month", "2026-04"])
    assert settled.exit_code == 0, settled.output
    assert not (home / "kofu.db").exists()


def test_municipal_commands_read_the_demo_registry(home: Path) -> None:
    migrate_registry(DemoPaths(home).registry("ohira"))
    listed = runner.invoke(app, ["municipal", "registrations"])
    assert listed.exit_code == 0 and "0 pending" in listed.output, listed.output
    stops = runner.invoke(app, ["municipal", "stops"])
    assert stops.exit_code == 0 and "0 live" in stops.output, stops.output
    assert not (home / "kofu.db").exists()


READ_ONLY = [
    ["center", "settle", "--month", "2026-04"],
    ["center", "terminal", "list"],
    ["center", "maintenance", "list"],
    ["municipal", "registrations"],
    ["municipal", "stops"],
    ["municipal", "approve", "044245-0000021"],
    ["municipal", "stop", "044245-0000021", "--staff", "S1"],
    ["audit", "verify"],
    ["audit", "show"],
    ["village", "find", "adult_resident"],
]


@pytest.mark.parametrize("command", READ_ONLY, ids=" ".join)
def test_a_missing_database_is_said_and_none_is_made(home: Path, command: list[str]) -> None:
    result = runner.invoke(app, command)
    assert result.exit_code == 2, result.output
    assert "unreadable: no database at" in result.output
    assert sorted(home.rglob("*.db")) == [] and not (home / "artifacts").exists()


def test_outside_a_project_nothing_is_made_in_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("KOFU_HOME", "KOFU_DATABASE_URL", "KOFU_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["center", "settle", "--month", "2026-04"])
    assert result.exit_code == 2 and "no database" in result.output, result.output
    assert list(tmp_path.iterdir()) == []


def test_verify_without_a_register_says_so(home: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "x.pdf"
    pdf.write_bytes(b"%PDF-1.7\n")
    result = runner.invoke(app, ["verify", str(pdf)])
    assert result.exit_code == 2 and "no database at" in result.output, result.output
    assert not (home / "kofu.db").exists()


@pytest.mark.parametrize(
    "command", [["village", "find", "adult_resident"], ["municipal", "stops"]], ids=" ".join
)
def test_commands_read_the_registry_of_the_municipal_servers_rulebook(
    home: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    """A home whose municipal server serves Kitayama: `kofu village` works on Kitayama's registry too."""
    config = home / "kofu.toml"
    config.write_text('[municipal]\nrulebook = "kitayama"\n', encoding="utf-8")
    monkeypatch.setenv("KOFU_CONFIG", str(config))
    result = runner.invoke(app, command)
    assert result.exit_code == 2 and "registry-kitayama.db" in result.output, result.output
