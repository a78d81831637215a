"""Settings: defaults, TOML file, KOFU_* variables; the CLI answers."""

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kofu.cli import app
from kofu.settings import load_settings


@pytest.fixture(autouse=True)
def no_kofu_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("KOFU_")]:
        monkeypatch.delenv(name)


def test_defaults_put_everything_under_var() -> None:
    s = load_settings()
    assert s.home == Path("var")
    assert s.db_url.endswith("var/kofu.db")


def test_toml_then_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "kofu.toml"
    cfg.write_text('[kofu]\nhome = "/srv/kofu"\nlog_level = "DEBUG"\ndatabase_url = "sqlite:///x.db"\n')
    monkeypatch.setenv("KOFU_LOG_LEVEL", "WARNING")
    monkeypatch.setenv("KOFU_RULEBOOKS", "ohira")
    s = load_settings(cfg)
    assert s.home == Path("/srv/kofu")
    assert s.log_level == "WARNING"
    assert s.rulebooks == ("ohira",)
    assert s.db_url == "sqlite:///x.db"


def test_top_level_keys_and_tables_beside_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The general keys at the top (or in [kofu]), each party's table beside them; KOFU_CONFIG names it."""
    cfg = tmp_path / "kofu.toml"
    cfg.write_text('home = "/srv/kofu"\nrulebooks = ["kitayama", "ohira"]\n[center]\ntls = true\n')
    monkeypatch.setenv("KOFU_CONFIG", str(cfg))
    monkeypatch.setenv("KOFU_RULEBOOKS", "ohira, ./my.toml")
    s = load_settings()
    assert s.home == Path("/srv/kofu") and s.center == {"tls": True}
    assert s.rulebooks == ("ohira", "./my.toml")
    cfg.write_text('home = "/a"\n[kofu]\nhome = "/b"\n')
    with pytest.raises(ValueError, match="home: given both"):
        load_settings()
    cfg.write_text("home = \n")
    with pytest.raises(ValueError, match="settings file"):
        load_settings()


def test_cli_version_and_python_dash_m() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert "kofu" in result.output
