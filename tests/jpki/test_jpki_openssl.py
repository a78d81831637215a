"""Independent clients: `openssl ocsp` against the `kofu jpki serve` command (run as
`python -m kofu.jpki serve`, the same Typer command), and `openssl crl` on its CRL."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from kofu.chaos.stack import free_port
from kofu.jpki.testbed import Testbed

OPENSSL = "openssl"


@pytest.fixture
def server(sqlite_testbed: Testbed, kofu_home: Path) -> Iterator[str]:
    """The responder in a subprocess on a free port; its base URL."""
    port = free_port()
    env = {**os.environ, "KOFU_HOME": str(kofu_home), "KOFU_DATABASE_URL": sqlite_testbed.db_url}
    proc = subprocess.Popen(
        [sys.executable, "-m", "kofu.jpki", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=0.5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                err = proc.stderr.read() if proc.stderr else b""
                raise RuntimeError(f"kofu jpki serve did not start: {err!r}")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _ocsp(tmp: Path, base: str, issuer: Path, cert: Path | None = None, serial: int | None = None) -> str:
    target = ["-cert", str(cert)] if cert is not None else ["-serial", str(serial)]
    result = subprocess.run(
        [OPENSSL, "ocsp", "-issuer", str(issuer), *target, "-url", f"{base}/ocsp",
         "-CAfile", str(issuer), "-resp_text", "-nonce"],
        capture_output=True, text=True, timeout=30, cwd=tmp,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout + result.stderr


def test_openssl_ocsp_good_revoked_unknown(sqlite_testbed: Testbed, server: str, kofu_home: Path) -> None:
    card = sqlite_testbed.issue("044245-0000011")
    issuer = sqlite_testbed.keys / "auth-ca.pem"
    cert = kofu_home / "card-auth.pem"
    cert.write_bytes(card.issued.auth_cert.public_bytes(Encoding.PEM))

    good = _ocsp(kofu_home, server, issuer, cert)
    assert f"{cert}: good" in good
    assert "Response verify OK" in good
    assert "OCSP Nonce" in good

    revoke = subprocess.run(
        [sys.executable, "-m", "kofu.jpki", "revoke", str(card.issued.auth_serial),
         "--reason", "key_compromise"],
        env={**os.environ, "KOFU_HOME": str(kofu_home), "KOFU_DATABASE_URL": sqlite_testbed.db_url},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert revoke.returncode == 0, revoke.stderr
    revoked = _ocsp(kofu_home, server, issuer, cert)
    assert f"{cert}: revoked" in revoked
    assert "Reason: keyCompromise" in revoked
    assert re.search(r"Revocation Time: \w{3} +\d+ \d\d:\d\d:\d\d \d{4} GMT", revoked)
    assert "Response verify OK" in revoked

    unknown = _ocsp(kofu_home, server, issuer, serial=424242)
    assert "424242: unknown" in unknown
    assert "Response verify OK" in unknown

    crl = kofu_home / "auth.crl"
    crl.write_bytes(httpx.get(f"{server}/crl/auth.crl").content)
    listed = subprocess.run(
        [OPENSSL, "crl", "-inform", "DER", "-in", str(crl), "-CAfile", str(issuer), "-noout", "-text"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    assert "verify OK" in listed.stderr + listed.stdout
    assert f"Serial Number: {card.issued.auth_serial:X}" in listed.stdout
    assert "Key Compromise" in listed.stdout
