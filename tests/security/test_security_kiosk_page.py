"""T9: the kiosk page API answers only the kiosk's own page, on the kiosk itself.

A web page elsewhere (cross-site requests, `text/plain` bodies), a DNS-rebinding page (a foreign `Host`),
another machine (a non-loopback peer) and a caller without the page's per-start token are all refused;
every answer carries the headers that keep the page out of frames, caches and referrers; bodies are capped.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from kofu.jpki.testbed import Testbed, open_testbed
from kofu.kiosk.app import build_service, create_app
from kofu.kiosk.config import KioskConfig
from kofu.kiosk.service import KioskService

sys.path.insert(0, str(Path(__file__).parents[1] / "kiosk"))  # the kiosk tests' center double
from kiosk_doubles import FAMILY_LABEL, OWN, OWN_LABEL, TERMINAL, FakeCenterApi, write_demo_cards

KIOSK = "http://127.0.0.1:8000"
LOOPBACK_PEER = ("127.0.0.1", 50000)
TOKEN_HEADER = "X-Kofu-Page-Token"


@dataclass
class Page:
    app: FastAPI
    service: KioskService
    config: KioskConfig


@pytest.fixture(scope="module")
def page_testbed(tmp_path_factory: pytest.TempPathFactory) -> Testbed:
    folder = tmp_path_factory.mktemp("page-jpki")
    return open_testbed(folder, f"sqlite:///{folder / 'jpki.db'}")


def _page(home: Path, testbed: Testbed, **settings: object) -> Iterator[Page]:
    write_demo_cards(home, [testbed.issue(OWN)], ["1234"])
    config = KioskConfig(home=home, terminal_id=TERMINAL, **settings)  # type: ignore[arg-type]
    http = httpx.Client(base_url="http://center.test", transport=FakeCenterApi(home=home).transport())
    service = build_service(config, center_http=http)
    yield Page(create_app(config, service=service), service, config)
    http.close()


@pytest.fixture
def page(kofu_home: Path, page_testbed: Testbed) -> Iterator[Page]:
    yield from _page(kofu_home, page_testbed)


def _client(app: FastAPI, peer: tuple[str, int] = LOOPBACK_PEER, base_url: str = KIOSK) -> TestClient:
    return TestClient(app, base_url=base_url, client=peer)


def _token(client: TestClient) -> str:
    """The token the page carries (a meta element read by kiosk.js), as the kiosk's browser gets it.

    "" when the page has none, so each test shows its own defect on a kiosk without tokens.
    """
    html = client.get("/").text
    found = re.search(r'<meta name="kofu-page-token" content="([A-Za-z0-9_-]{32,})">', html)
    return found.group(1) if found else ""


def _own(client: TestClient) -> dict[str, str]:
    """What the kiosk's own page sends with every call."""
    return {TOKEN_HEADER: _token(client), "Origin": KIOSK, "Sec-Fetch-Site": "same-origin"}


def _at_kind_screen(service: KioskService) -> None:
    """A person signed in with the household's menu on screen (names in the session)."""
    service.start()
    service.place_card(0)
    service.submit_pin("1234")
    view = service.choose_municipality("044245")
    assert view.menu is not None and OWN_LABEL in view.model_dump_json()


def _refused(answer: httpx.Response, status: int = 403, reason: str = "kiosk_page_only") -> bool:
    return answer.status_code == status and answer.json().get("reason") == reason


def test_T9_the_page_works_with_its_token_from_its_own_origin(page: Page) -> None:
    """The kiosk's own page (token, same origin, JSON) is answered: the guard leaves it alone."""
    with _client(page.app) as client:
        own = _own(client)
        assert client.get("/api/state", headers=own).json()["screen"] == "idle"
        answer = client.post("/api/start", json={}, headers=own)
        assert answer.status_code == 200 and answer.json()["screen"] == "card"
        answer = client.post("/api/lang", json={"lang": "en"}, headers=own)
        assert answer.status_code == 200 and answer.json()["lang"] == "en"


def test_T9_cross_site_origin_is_refused(page: Page) -> None:
    """T9: a page on https://evil.example posting to the kiosk API is refused; nothing starts."""
    with _client(page.app) as client:
        headers = {**_own(client), "Origin": "https://evil.example"}
        assert _refused(client.post("/api/start", json={}, headers=headers))
        assert _refused(client.get("/api/state", headers=headers))
        headers = {**_own(client), "Origin": "null"}  # a sandboxed frame or a file:// page
        assert _refused(client.post("/api/start", json={}, headers=headers))
        headers = {**_own(client), "Origin": "http://127.0.0.1:9999"}  # another port: another origin
        assert _refused(client.post("/api/start", json={}, headers=headers))
    assert page.service.state().screen == "idle"


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
def test_T9_fetch_metadata_other_site_is_refused(page: Page, site: str) -> None:
    """T9: a browser says where a request comes from (Sec-Fetch-Site); only same-origin is served."""
    with _client(page.app) as client:
        headers = {TOKEN_HEADER: _token(client), "Sec-Fetch-Site": site}
        assert _refused(client.post("/api/start", json={}, headers=headers))
    assert page.service.state().screen == "idle"


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None],
)
def test_T9_a_body_that_is_not_json_is_refused(page: Page, content_type: str | None) -> None:
    """T9: a form or `text/plain` POST (sent cross-site without a preflight) is refused unread."""
    with _client(page.app) as client:
        headers = {TOKEN_HEADER: _token(client)}
        if content_type is not None:
            headers["Content-Type"] = content_type
        answer = client.post("/api/start", content=b'{"x": 1}', headers=headers)
        assert _refused(answer, 415, "bad_request"), answer.text
        answer = client.post("/api/lang", content=b'{"lang": "en"}', headers=headers)
        assert _refused(answer, 415, "bad_request"), answer.text
    view = page.service.state()
    assert view.screen == "idle" and view.lang == "ja"


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:8000", "127.0.0.1.evil.example", "10.0.0.5:8000"]
)
def test_T9_a_foreign_host_cannot_read_the_household(page: Page, host: str) -> None:
    """T9 (DNS rebinding): under a name the kiosk does not serve, neither the page nor the state answers."""
    _at_kind_screen(page.service)
    with _client(page.app) as client:
        token = _token(client)
        for path in ("/api/state", "/", "/static/kiosk.js", "/openapi.json"):
            answer = client.get(path, headers={"Host": host, TOKEN_HEADER: token})
            assert answer.status_code == 400 and answer.json()["reason"] == "kiosk_page_only", (path, host)
            assert OWN_LABEL not in answer.text and FAMILY_LABEL not in answer.text
            assert token not in answer.text


def test_T9_loopback_names_are_served_and_others_only_when_configured(
    kofu_home: Path, page_testbed: Testbed
) -> None:
    """`localhost`, 127.0.0.1 and [::1] on any port by default; a kiosk served under another name says so."""
    pages = _page(kofu_home, page_testbed)
    page = next(pages)
    for base in ("http://localhost:8000", "http://127.0.0.1", "http://[::1]:8000"):
        with _client(page.app, base_url=base) as client:
            assert client.get("/api/state", headers={TOKEN_HEADER: _token(client)}).status_code == 200, base
    pages.close()
    pages = _page(
        kofu_home, page_testbed, allowed_hosts=("kiosk-0001.store.example",), allowed_clients=("10.0.0.0/8",)
    )
    page = next(pages)
    with _client(page.app, ("10.1.2.3", 4000), "http://kiosk-0001.store.example:8000") as client:
        assert client.get("/api/state", headers={TOKEN_HEADER: _token(client)}).status_code == 200
    with _client(page.app, ("10.1.2.3", 4000), "http://localhost:8000") as client:
        assert client.get("/").status_code == 400  # the configured names replace the defaults
    pages.close()


def test_T9_every_api_call_needs_the_page_token(page: Page) -> None:
    """T9: without the token of this start (or with another), no API call is answered; the page is."""
    _at_kind_screen(page.service)
    with _client(page.app) as client:
        token = _token(client)
        assert token, "the page carries no token"
        for headers in ({}, {TOKEN_HEADER: ""}, {TOKEN_HEADER: "x" * 43}, {TOKEN_HEADER: token[:-1]}):
            answer = client.get("/api/state", headers=headers)
            assert _refused(answer) and OWN_LABEL not in answer.text
            assert _refused(client.post("/api/finish", json={}, headers=headers))
        assert client.get("/api/state", headers={TOKEN_HEADER: token}).json()["screen"] == "kind"
    other = create_app(page.config, service=page.service)  # the same kiosk, started again
    with _client(other) as client:
        assert _token(client) != token  # a token per start
        assert _refused(client.get("/api/state", headers={TOKEN_HEADER: token}))


def test_T9_another_machine_is_refused_by_default(page: Page) -> None:
    """T9: loopback by default: a peer on the network is refused even with the token and a good Host."""
    with _client(page.app) as local:
        token = _token(local)
    with _client(page.app, ("192.0.2.10", 50000)) as client:
        answer = client.get("/api/state", headers={TOKEN_HEADER: token})
        assert _refused(answer)
        assert _refused(client.get("/"))
        assert token not in client.get("/").text


def test_T9_headers_keep_the_page_out_of_frames_caches_and_referrers(page: Page) -> None:
    """T9: a CSP without inline script, frame-ancestors 'none', X-Frame-Options, no-store, no referrer."""
    with _client(page.app) as client:
        token = _token(client)
        answers = [
            client.get("/"),
            client.get("/static/kiosk.js"),
            client.get("/api/state", headers={TOKEN_HEADER: token}),
            client.post("/api/start", json={}, headers={TOKEN_HEADER: token}),
            client.get("/api/state"),  # a refusal too
            client.get("/", headers={"Host": "evil.example"}),
        ]
    for answer in answers:
        csp = answer.headers.get("content-security-policy", "")
        directives = {d.strip().split(" ")[0]: d.strip() for d in csp.split(";") if d.strip()}
        assert directives.get("frame-ancestors") == "frame-ancestors 'none'", csp
        assert directives.get("default-src") == "default-src 'none'", csp
        assert directives.get("script-src") == "script-src 'self'", csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert answer.headers.get("x-frame-options") == "DENY"
        assert answer.headers.get("cache-control") == "no-store"
        assert answer.headers.get("referrer-policy") == "no-referrer"
        assert answer.headers.get("x-content-type-options") == "nosniff"


def test_T9_the_page_has_no_inline_script(page: Page) -> None:
    """The CSP allows only the kiosk's own script files: the page must need nothing else."""
    with _client(page.app) as client:
        html = client.get("/").text
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, flags=re.S)
    assert scripts and all('src="/static/' in attrs and not body.strip() for attrs, body in scripts)
    assert not re.search(r"\son[a-z]+=", html) and "style=" not in html


def test_T9_kiosk_bodies_are_capped(page: Page) -> None:
    """T9: the kiosk app reads no body past its cap (413), declared or streamed."""
    with _client(page.app) as client:
        headers = {TOKEN_HEADER: _token(client), "Content-Type": "application/json"}
        big = b'{"pin": "' + b"1" * (1024 * 1024) + b'"}'
        assert _refused(client.post("/api/pin", content=big, headers=headers), 413, "bad_request")

        def chunks() -> Iterator[bytes]:
            yield b'{"pin": "'
            for _ in range(64):
                yield b"1" * 16384
            yield b'"}'

        assert _refused(client.post("/api/pin", content=chunks(), headers=headers), 413, "bad_request")
