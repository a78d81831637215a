"""SEC-5, STR-1: the production configuration with mutual TLS on loopback, every party its own process.

Real TOML settings files; the network CA (`kofu net`), server certificates for the center and Ōhira's
municipal server; the JPKI responder, the municipal server and the center started with `kofu serve`
(`--tls`); the terminal and the municipality registered with `kofu center ...`; a headless kiosk
session (`kofu kiosk session`) over mutual TLS prints a PDF that `kofu verify` and pdfsig accept. A
terminal without a certificate, and one whose certificate was revoked (`kofu net revoke`), are refused.
The public verification page (`kofu serve verify`) finds the printed document genuine.
"""

from __future__ import annotations

import json
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from kofu.chaos.deploy import (
    OHIRA,
    PIN,
    Layout,
    Servers,
    adult_residents,
    issue_cards,
    kofu,
    prepare,
    running,
    server_client_context,
)
from kofu.netpki.authority import NetPaths
from kofu.procstat import descendants

GOOD, REVOKED, IMPOSTOR = "T-PROD-0001", "T-PROD-0002", "T-PROD-0003"


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Layout, Servers, list[Path]]]:
    """The deployment with its servers running (shared by this module's tests; stopped at the end)."""
    home = tmp_path_factory.mktemp("production") / "home"
    layout = prepare(home, persons=120, seed=11, tls=True)
    cards = issue_cards(layout, adult_residents(layout, 2))
    for terminal in (GOOD, REVOKED, IMPOSTOR):
        added = kofu(
            layout,
            "center",
            "center",
            "terminal",
            "add",
            terminal,
            "--chain",
            "prod_mart",
            "--store-code",
            f"S-{terminal[-4:]}",
            "--store-name",
            "本番マート",
        )
        assert added.returncode == 0, added.stderr
    parties = ("jpki", "municipal", "center", "verify")
    with running(layout, parties=parties, workers_of={"center": 2}) as servers:  # --tls with workers
        added = kofu(
            layout,
            "center",
            "center",
            "municipality",
            "add",
            OHIRA,
            "--name-ja",
            "大衡村",
            "--name-en",
            "Ohira",
            "--url",
            layout.url("municipal"),
        )
        assert added.returncode == 0, added.stderr
        yield layout, servers, cards


def _session(
    layout: Layout, card: Path, out: Path, terminal: str, *, cert_of: str | None
) -> subprocess.CompletedProcess[str]:
    """`kofu kiosk session` against the center; `cert_of` names whose terminal certificate it presents."""
    args = [
        "kiosk",
        "session",
        "--center",
        layout.url("center"),
        "--card",
        str(card),
        "--pin",
        PIN,
        "--municipality",
        OHIRA,
        "--kind",
        "juminhyo",
        "--out",
        str(out),
        "--terminal",
        terminal,
        "--ca-cert",
        str(NetPaths.under(layout.home).ca_cert),
    ]
    if cert_of is not None:
        cert, key = NetPaths.under(layout.home).terminal(cert_of)
        args += ["--client-cert", str(cert), "--client-key", str(key)]
    return kofu(layout, "center", *args, timeout=120)


def _is_uvicorn_worker(pid: int) -> bool:
    try:
        return b"multiprocessing.spawn" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _code(done: subprocess.CompletedProcess[str]) -> str:
    """The code of the kiosk's closing JSON line."""
    code: str = json.loads(done.stdout.strip().splitlines()[-1])["code"]
    return code


def test_production_mtls_session_issues_a_verifiable_document_sec5_str1(
    deployment: tuple[Layout, Servers, list[Path]], tmp_path: Path
) -> None:
    """SEC-5, STR-1: a registered terminal with its certificate gets a sealed 住民票 over mutual TLS."""
    layout, servers, cards = deployment
    out = tmp_path / "juminhyo.pdf"
    done = _session(layout, cards[0], out, GOOD, cert_of=GOOD)
    assert done.returncode == 0, done.stdout + done.stderr
    assert _code(done) == "issued"
    assert out.read_bytes().startswith(b"%PDF")

    checked = kofu(layout, "verify", "verify", str(out), "--json")  # the verification service's home
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert json.loads(checked.stdout)["status"] == "genuine"
    public = httpx.post(
        layout.url("verify") + "/api/verify",
        files={"file": ("juminhyo.pdf", out.read_bytes(), "application/pdf")},
        timeout=60,
    )
    assert public.status_code == 200 and public.json()["status"] == "genuine", public.text
    sig = subprocess.run(["pdfsig", str(out)], capture_output=True, text=True, check=False)
    assert "Signature #1" in sig.stdout and "Signature is Valid" in sig.stdout, sig.stdout

    assert all(p.poll() is None for p in servers.procs.values()), "a server died"
    workers = [pid for pid in descendants([servers.procs["center"].pid]) if _is_uvicorn_worker(pid)]
    assert len(workers) == 2, "the center should serve mutual TLS from two worker processes"


def test_production_mtls_terminal_without_certificate_is_refused_sec5(
    deployment: tuple[Layout, Servers, list[Path]], tmp_path: Path
) -> None:
    """SEC-5: no client certificate, no session: the handshake fails and nothing is printed."""
    layout, _, cards = deployment
    out = tmp_path / "none.pdf"
    refused = _session(layout, cards[1], out, GOOD, cert_of=None)
    assert refused.returncode != 0
    assert _code(refused) == "center_unreachable"
    assert not out.exists()
    with pytest.raises(httpx.HTTPError):  # the center's TLS server itself refuses the connection
        httpx.get(
            layout.url("center") + "/v1/notices",
            params={"terminal_id": GOOD},
            verify=ssl.create_default_context(cafile=str(NetPaths.under(layout.home).ca_cert)),
            timeout=5,
        )


def test_production_mtls_revoked_terminal_is_refused_str1(
    deployment: tuple[Layout, Servers, list[Path]], tmp_path: Path
) -> None:
    """STR-1: after `kofu net revoke`, the running center refuses that terminal's certificate."""
    layout, _, cards = deployment
    cert, key = NetPaths.under(layout.home).terminal(REVOKED)
    context = server_client_context(layout)
    context.load_cert_chain(str(cert), str(key))
    before = httpx.get(
        layout.url("center") + "/v1/notices", params={"terminal_id": REVOKED}, verify=context, timeout=10
    )
    assert before.status_code == 200, before.text  # known and valid before the revocation

    revoked = kofu(layout, "center", "net", "revoke", REVOKED)
    assert revoked.returncode == 0, revoked.stderr
    time.sleep(2.5)  # the servers re-read the CRL at most every 2 s
    out = tmp_path / "revoked.pdf"
    refused = _session(layout, cards[1], out, REVOKED, cert_of=REVOKED)
    assert refused.returncode != 0, refused.stdout
    assert _code(refused) == "center_unreachable"  # refused at the TLS handshake
    assert not out.exists()
    with pytest.raises(httpx.HTTPError):
        httpx.get(
            layout.url("center") + "/v1/notices", params={"terminal_id": REVOKED}, verify=context, timeout=10
        )


def test_production_mtls_terminal_id_must_be_the_certificates_str1(
    deployment: tuple[Layout, Servers, list[Path]], tmp_path: Path
) -> None:
    """STR-1: a valid terminal certificate cannot speak for another registered terminal."""
    layout, _, cards = deployment
    out = tmp_path / "impostor.pdf"
    refused = _session(layout, cards[1], out, GOOD, cert_of=IMPOSTOR)
    assert refused.returncode != 0, refused.stdout
    assert _code(refused) == "terminal_unknown"
    assert not out.exists()
