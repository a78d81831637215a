"""Settings: defaults, TOML file, KOFU_* variables; the CLI answers."""

from pathlib import Path

from typer.testing import CliRunner

from kofu.cli import app
from kofu.settings import load_settings


def test_defaults_put_everything_under_var() -> None:
    s = load_settings(environ={})
    assert s.home == Path("var")
    assert s.db_url.endswith("var/kofu.db")


def test_toml_then_environment_wins(tmp_path: Path) -> None:
    cfg = tmp_path / "kofu.toml"
    cfg.write_text('[kofu]\nhome = "/srv/kofu"\nlog_level = "DEBUG"\ndatabase_url = "sqlite:///x.db"\n')
    s = load_settings(cfg, environ={"KOFU_LOG_LEVEL": "WARNING", "KOFU_RULEBOOKS": "ohira"})
    assert s.home == Path("/srv/kofu")
    assert s.log_level == "WARNING"
    assert s.rulebooks == ("ohira",)
    assert s.db_url == "sqlite:///x.db"


def test_cli_version_and_python_dash_m() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert "kofu" in result.output
