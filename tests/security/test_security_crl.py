"""T12 (issue 22): CRL numbers always increase, and a CRL that does not is refused where it is read.

The network CA's CRL file can be rolled back (a restored backup, a copy over it): the old file is
validly signed but lacks later revocations. Every reader (the CLI, `revoke`, the TLS contexts, a running
server following the file) refuses a CRL numbered below one already seen at this home, another CRL under a
number already seen, or a CRL the network CA did not sign. The JPKI numbers its CRLs from a counter in
its database: strictly increasing across requests, workers and a clock stepped back.
"""

from __future__ import annotations

import itertools
import os
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from starlette.testclient import TestClient

from kofu.db import transaction
from kofu.jpki.crl import build_crl, next_crl_number
from kofu.jpki.server import create_app
from kofu.jpki.testbed import Testbed
from kofu.netpki import authority
from kofu.netpki.authority import NetPaths, NetPkiError
from kofu.netpki.serving import uvicorn_config
from kofu.netpki.tls import client_context, server_context


def _number(crl: x509.CertificateRevocationList) -> int:
    return crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A network CA with a center certificate and terminals A, B and C; B revoked (CRL #2)."""
    home = tmp_path / "home"
    authority.create_ca(home)
    authority.issue_server(home, "center")
    for terminal in ("T-A-0001", "T-B-0002", "T-C-0003"):
        authority.issue_terminal(home, terminal)
    authority.revoke_terminal(home, "T-B-0002")
    return home


def _roll_back(path: Path, old: bytes) -> None:
    """Put an earlier CRL back, with a new modification time (as a restore or a copy would)."""
    path.write_bytes(old)
    later = time.time_ns() + 2_000_000_000
    os.utime(path, ns=(later, later))


def test_T12_a_rolled_back_network_crl_is_refused_by_every_reader(home: Path) -> None:
    paths = NetPaths.under(home)
    before = paths.crl.read_bytes()  # #2: B revoked
    authority.revoke_terminal(home, "T-C-0003")  # #3: B and C
    assert _number(authority.load_crl(home)) == 3
    _roll_back(paths.crl, before)
    with pytest.raises(NetPkiError, match="rolled back"):
        authority.load_crl(home)
    with pytest.raises(NetPkiError):
        authority.is_revoked(home, 1)
    with pytest.raises(NetPkiError):  # revoking on top of the old file would drop C's revocation
        authority.revoke_terminal(home, "T-A-0001")
    with pytest.raises(NetPkiError):
        server_context(home, "center")
    with pytest.raises(NetPkiError):
        client_context(home, terminal_id="T-A-0001")


def _signed_crl(home: Path, number: int, revoked: list[x509.RevokedCertificate], key: Any = None) -> bytes:
    paths = NetPaths.under(home)
    ca_key = key or serialization.load_pem_private_key(paths.ca_key.read_bytes(), password=None)
    ca_cert = x509.load_pem_x509_certificate(paths.ca_cert.read_bytes())
    now = datetime.now(UTC)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca_cert.subject)
        .last_update(now - timedelta(minutes=1))
        .next_update(now + timedelta(days=30))
        .add_extension(x509.CRLNumber(number), critical=False)
    )
    for entry in revoked:
        builder = builder.add_revoked_certificate(entry)
    return builder.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def test_T12_another_crl_under_a_number_already_seen_is_refused(home: Path) -> None:
    """Same number, other content (B's revocation dropped), even signed by the CA's own key."""
    seen = authority.load_crl(home)
    _roll_back(NetPaths.under(home).crl, _signed_crl(home, _number(seen), []))
    with pytest.raises(NetPkiError):
        authority.load_crl(home)


def test_T12_a_crl_the_network_ca_did_not_sign_is_refused(home: Path) -> None:
    stranger = ec.generate_private_key(ec.SECP256R1())
    _roll_back(NetPaths.under(home).crl, _signed_crl(home, 99, [], key=stranger))
    with pytest.raises(NetPkiError):
        authority.load_crl(home)


@contextmanager
def _serving(home: Path) -> Iterator[str]:
    """An app answering 200, served with the center's mutual-TLS context that follows the CRL file."""

    async def ok(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"ok"})

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn_config(
        ok, home=home, server_name="center", host="127.0.0.1", port=0, log_level="error", crl_check_every=0.0
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        assert server.started
        yield f"https://127.0.0.1:{sock.getsockname()[1]}/"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _connects(url: str, ctx: ssl.SSLContext) -> bool:
    try:
        with httpx.Client(verify=ctx, timeout=5) as client:
            return client.get(url).status_code == 200
    except httpx.TransportError:
        return False


def test_T12_a_running_server_keeps_its_newest_crl_when_the_file_is_rolled_back(home: Path) -> None:
    """C is revoked while the server runs; the file is then rolled back: C stays refused, A gets in."""
    paths = NetPaths.under(home)
    before = paths.crl.read_bytes()
    with _serving(home) as url:
        terminal_c = client_context(home, terminal_id="T-C-0003")
        assert _connects(url, terminal_c)
        authority.revoke_terminal(home, "T-C-0003")
        assert not _connects(url, terminal_c)
        _roll_back(paths.crl, before)
        assert not _connects(url, terminal_c)
        assert _connects(url, client_context(home, terminal_id="T-A-0001", check_crl=False))


def test_T12_jpki_crl_numbers_increase_within_a_second_and_across_workers(sqlite_testbed: Testbed) -> None:
    """Numbers were the issuing second: two CRLs in one second shared one. Now each is one above the last."""
    first, second = (TestClient(create_app(sqlite_testbed.db_url, sqlite_testbed.authorities)) for _ in "12")
    numbers = [
        _number(x509.load_der_x509_crl(client.get("/crl/auth.crl").content))
        for client in (first, first, second, first, second)
    ]
    assert all(b > a for a, b in itertools.pairwise(numbers)), numbers
    assert numbers[0] >= int(datetime.now(UTC).timestamp()) - 60  # above every number the old scheme issued


def test_T12_jpki_crl_numbers_increase_when_the_clock_steps_back(sqlite_testbed: Testbed) -> None:
    authority_ = sqlite_testbed.authorities.auth
    now = datetime.now(UTC)
    numbers = []
    for at in (now, now - timedelta(hours=1), now - timedelta(days=1)):
        with transaction(sqlite_testbed.factory) as session:
            number = next_crl_number(session, "auth", at)
        numbers.append(_number(build_crl(authority_, [], at, number)))
    assert numbers[0] < numbers[1] < numbers[2]
