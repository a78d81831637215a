"""T11: settings are read strictly, from the file and from the environment, or refused by name.

A TOML string is not a bool, a float is not a whole number, an environment variable says `true`, `false`,
`1` or `0` for a bool; an unknown key, a wrong value or an unknown log level is refused with one line
naming the key and the value (the `kofu` CLI exits 2, never a traceback, never a silent default). Every
party's table is settable from the environment (`KOFU_CENTER__TLS=true`).

T9 (its `/docs` part): no party serves `/docs`, `/redoc` or `/openapi.json` unless its table says
`docs = true`; the demo enables them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from kofu.center.app import build_config_from_settings as center_config
from kofu.cli import app as cli
from kofu.jpki.authority import init_authorities
from kofu.kiosk.config import KioskConfig
from kofu.municipal import build_config_from_settings as municipal_config
from kofu.settings import load_settings
from kofu.verify.key import verifier_key
from kofu.wire.statements import center_key_path, signing_key

DOCS = ("/docs", "/redoc", "/openapi.json")


@pytest.fixture(autouse=True)
def no_kofu_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test says every KOFU_* variable it means."""
    for name in [n for n in os.environ if n.startswith("KOFU_")]:
        monkeypatch.delenv(name)


def settings_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "kofu.toml"
    path.write_text(f'home = "{tmp_path / "home"}"\ndatabase_url = "sqlite:///{tmp_path / "k.db"}"\n{body}')
    return path


def refusal(build: Callable[[], Any]) -> str:
    """The one-line message of the settings error that `build` raises."""
    with pytest.raises(ValueError) as caught:
        build()
    text = str(caught.value)
    assert "\n" not in text, text
    return text


def test_T11_tls_as_a_string_is_refused_not_turned_on(tmp_path: Path) -> None:
    """`[center] tls = "false"` turned TLS on (bool of a non-empty string)."""
    path = settings_file(tmp_path, '[center]\ntls = "false"\n')
    text = refusal(lambda: center_config(load_settings(path)))
    assert "[center] tls" in text and "'false'" in text


def test_T11_migrate_no_is_refused_not_true(tmp_path: Path) -> None:
    """`migrate = "no"` was true, in the center's table and the municipal server's."""
    for table, read in (("center", center_config), ("municipal", municipal_config)):
        path = settings_file(tmp_path, f'[{table}]\nmigrate = "no"\n')
        text = refusal(lambda: read(load_settings(path)))  # noqa: B023 (called at once)
        assert f"[{table}] migrate" in text and "'no'" in text


def test_T11_session_minutes_fraction_is_refused_not_cut(tmp_path: Path) -> None:
    """`session_minutes = 15.9` became 15."""
    path = settings_file(tmp_path, "[center]\nsession_minutes = 15.9\n")
    text = refusal(lambda: center_config(load_settings(path)))
    assert "[center] session_minutes" in text and "15.9" in text


def test_T11_log_json_typo_in_environment_is_refused_not_false(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`KOFU_LOG_JSON=ture` was silently false; only true, false, 1 and 0 are bools."""
    for text in ("ture", "yes", "on", ""):
        monkeypatch.setenv("KOFU_LOG_JSON", text)
        said = refusal(load_settings)
        assert "log_json" in said and f"'{text}'" in said and "KOFU_LOG_JSON" in said
    for text, value in (("true", True), ("1", True), ("false", False), ("0", False)):
        monkeypatch.setenv("KOFU_LOG_JSON", text)
        assert load_settings().log_json is value


def test_T11_unknown_log_level_is_refused_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`KOFU_LOG_LEVEL=verbose` crashed with a KeyError when logging was set up."""
    monkeypatch.setenv("KOFU_LOG_LEVEL", "verbose")
    said = refusal(load_settings)
    assert "log_level" in said and "'verbose'" in said
    monkeypatch.setenv("KOFU_LOG_LEVEL", "warning")
    assert load_settings().log_level == "WARNING"
    monkeypatch.delenv("KOFU_LOG_LEVEL")
    said = refusal(lambda: load_settings(settings_file(tmp_path, 'log_level = "loud"\n')))
    assert "log_level" in said and "'loud'" in said


def test_T11_kofu_says_one_line_and_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI answers a wrong setting with one line and exit code 2, not a traceback."""
    monkeypatch.setenv("KOFU_LOG_LEVEL", "verbose")
    result = CliRunner().invoke(cli, ["village", "--help"])
    assert result.exit_code == 2, result.output
    assert result.output.strip().count("\n") == 0 and "log_level" in result.output
    assert "Traceback" not in result.output and result.exception is not None
    assert isinstance(result.exception, SystemExit)


def test_T11_kofu_serve_checks_its_table_before_serving(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`kofu serve center` with `tls = "false"` refuses to start (it served, with TLS on, before)."""
    import uvicorn

    import kofu.serve

    served: list[object] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: served.append(a))
    monkeypatch.setattr(kofu.serve, "_run", lambda cfg: served.append(cfg))
    path = settings_file(tmp_path, '[center]\ntls = "false"\n')
    result = CliRunner().invoke(cli, ["serve", "center", "--config", str(path)])
    assert result.exit_code == 2 and served == []
    assert "[center] tls" in result.output and result.output.strip().count("\n") == 0


def test_T11_unknown_keys_are_refused_everywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A misspelt key, at the top, in a table name, in a table, or in the environment, is an error."""
    said = refusal(lambda: load_settings(settings_file(tmp_path, 'hmoe = "/srv"\n')))
    assert "hmoe" in said
    said = refusal(lambda: load_settings(settings_file(tmp_path, "[centre]\ntls = true\n")))
    assert "centre" in said
    said = refusal(lambda: center_config(load_settings(settings_file(tmp_path, "[center]\ntsl = true\n"))))
    assert "[center] tsl" in said
    monkeypatch.setenv("KOFU_CENTER__TSL", "true")
    said = refusal(lambda: center_config(load_settings()))
    assert "KOFU_CENTER__TSL" in said
    monkeypatch.delenv("KOFU_CENTER__TSL")
    monkeypatch.setenv("KOFU_CENTRE__TLS", "true")
    assert "KOFU_CENTRE__TLS" in refusal(load_settings)
    monkeypatch.delenv("KOFU_CENTRE__TLS")
    monkeypatch.setenv("KOFU_CENTER", '{"tls": true}')
    assert "KOFU_CENTER__<KEY>" in refusal(load_settings)


def test_T11_wrong_values_of_each_table_are_named(tmp_path: Path) -> None:
    """Strings for numbers, words outside a choice, numbers out of range: refused with key and value."""
    cases: list[tuple[str, Callable[[Any], object], str]] = [
        ('[kiosk]\nsession_timeout_s = "120"\n', KioskConfig.from_settings, "[kiosk] session_timeout_s"),
        ('[kiosk]\nprinter = "laser"\n', KioskConfig.from_settings, "[kiosk] printer"),
        ("[municipal]\nrender_slots = 0\n", municipal_config, "[municipal] render_slots"),
        ("[center]\nworker_threads = 65\n", center_config, "[center] worker_threads"),
        ("[center]\ncard_rate_seconds = 0\n", center_config, "[center] card_rate_seconds"),
        ('[center]\nmunicipal_timeout = "10"\n', center_config, "[center] municipal_timeout"),
        ("[[center.municipalities]]\ncode = 44245\n", center_config, "[center] municipalities[0].code"),
    ]
    for body, read, key in cases:
        path = settings_file(tmp_path, body)
        said = refusal(lambda: read(load_settings(path)))  # noqa: B023 (called at once)
        assert key in said, (body, said)


def test_T11_each_party_table_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`KOFU_<TABLE>__<KEY>` sets a key of a party's table, over the file's value."""
    path = settings_file(tmp_path, "[center]\nsession_minutes = 5\n")
    monkeypatch.setenv("KOFU_CENTER__TLS", "true")
    monkeypatch.setenv("KOFU_CENTER__SESSION_MINUTES", "7")
    monkeypatch.setenv("KOFU_MUNICIPAL__RENDER_SLOTS", "2")
    monkeypatch.setenv("KOFU_KIOSK__TERMINAL_ID", "T-9")
    settings = load_settings(path)
    center = center_config(settings)
    assert center.tls_home == settings.home and center.session_minutes == 7
    assert municipal_config(settings).render_slots == 2
    assert KioskConfig.from_settings(settings).terminal_id == "T-9"
    monkeypatch.setenv("KOFU_CENTER__SESSION_MINUTES", "15.9")
    said = refusal(lambda: center_config(load_settings(path)))
    assert "session_minutes" in said and "'15.9'" in said and "KOFU_CENTER__SESSION_MINUTES" in said


def test_T11_verify_table_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`KOFU_VERIFY__MAX_UPLOAD_MB=1`: the verification page refuses 1.5 MB (it took 10 MB before)."""
    import kofu.serve

    (tmp_path / "home").mkdir()
    monkeypatch.setenv("KOFU_CONFIG", str(settings_file(tmp_path, "")))
    monkeypatch.setenv("KOFU_VERIFY__MAX_UPLOAD_MB", "1")
    client = TestClient(kofu.serve.verify_app())
    big = b"%PDF-1.7\n" + b"0" * (1536 * 1024)
    answer = client.post("/api/verify", files={"file": ("doc.pdf", big, "application/pdf")})
    assert answer.status_code == 413
    monkeypatch.setenv("KOFU_VERIFY__MAX_UPLOAD_MB", "ten")
    assert "max_upload_mb" in refusal(kofu.serve.verify_app)


@pytest.fixture(scope="module")
def jpki_keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("settings-jpki") / "keys" / "jpki"
    init_authorities(folder)
    return folder


def _party_app(
    party: str, tmp_path: Path, jpki_keys: Path, body: str, monkeypatch: pytest.MonkeyPatch
) -> Any:
    """The app `kofu serve PARTY` builds from a settings file with `body`."""
    import shutil

    import kofu.serve

    home = tmp_path / "home"
    if not home.exists():
        shutil.copytree(jpki_keys, home / "keys" / "jpki")
        signing_key(center_key_path(home))  # the center's statement key, which a municipal server loads
        verifier_key(home)  # the verification service's pair, whose public key a municipal server loads
    monkeypatch.setenv("KOFU_CONFIG", str(settings_file(tmp_path, body)))
    return getattr(kofu.serve, f"{party}_app")()


@pytest.mark.parametrize("party", ["center", "municipal", "kiosk", "verify"])
def test_T9_api_docs_off_unless_the_table_enables_them(
    party: str, tmp_path: Path, jpki_keys: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No `/docs`, `/redoc` or `/openapi.json` by default; `docs = true` serves them; code has the schema."""
    app = _party_app(party, tmp_path, jpki_keys, "", monkeypatch)
    client = _local(app)
    assert [client.get(path).status_code for path in DOCS] == [404, 404, 404]
    assert app.openapi()["paths"]  # the schema stays available to code (tests, schemathesis)
    app = _party_app(party, tmp_path, jpki_keys, f"[{party}]\ndocs = true\n", monkeypatch)
    client = _local(app)
    assert [client.get(path).status_code for path in DOCS] == [200, 200, 200]


@pytest.mark.parametrize("party", ["center", "municipal", "kiosk", "verify"])
def test_T9_api_docs_work_offline(
    party: str, tmp_path: Path, jpki_keys: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 26 (6): `/docs` and `/redoc` load their scripts and styles from the party itself (no CDN):
    every asset a page names is served, and a page names nothing on another host."""
    import re

    client = _local(_party_app(party, tmp_path, jpki_keys, f"[{party}]\ndocs = true\n", monkeypatch))
    for page, script in (("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")):
        html = client.get(page).text
        assets = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert assets and not [a for a in assets if "//" in a], (page, assets)
        assert any(script in asset for asset in assets), (page, assets)
        for asset in assets:
            answer = client.get(asset)
            assert answer.status_code == 200 and len(answer.content) > 100, (page, asset)
    assert client.get("/docs?asset=../../etc/passwd").status_code == 404


def _local(app: Any) -> TestClient:
    """A client on loopback under a served name: the kiosk page answers no one else (T9)."""
    return TestClient(app, base_url="http://127.0.0.1:8000", client=("127.0.0.1", 50000))


def test_T9_jpki_responder_serves_no_docs(
    tmp_path: Path, jpki_keys: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The OCSP responder is a bare Starlette app: it has no API docs to serve at all."""
    client = TestClient(_party_app("jpki", tmp_path, jpki_keys, "", monkeypatch))
    assert [client.get(path).status_code for path in DOCS] == [404, 404, 404]


def test_T9_demo_serves_api_docs(tmp_path: Path, jpki_keys: Path) -> None:
    """`kofu demo` enables the docs of every FastAPI party (the README points at the center's `/docs`)."""
    import shutil

    from kofu.demo.server import build_parties
    from kofu.demo.world import DemoPaths
    from kofu.settings import Settings

    home = tmp_path / "home"
    shutil.copytree(jpki_keys, home / "keys" / "jpki")
    verifier_key(home)
    (home / "db").mkdir()
    settings = Settings(home=home, database_url=f"sqlite:///{home / 'kofu.db'}")
    parties = build_parties(settings, DemoPaths(home), "127.0.0.1", 8000)
    served = {p.name: _local(p.app).get("/docs").status_code for p in parties if p.name != "jpki"}
    assert set(served.values()) == {200}, served
    assert {"center", "kiosk", "verify"} <= set(served)
