"""The network PKI with real TLS on loopback: SEC-5 mutual TLS, STR-1 only registered terminals get in."""

from __future__ import annotations

import json
import pickle
import ssl
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from kofu.netpki import authority
from kofu.netpki.authority import NetPaths, NetPkiError
from kofu.netpki.serving import PeerCertH11Protocol, ServerContextFactory
from kofu.netpki.tls import client_context, scope_peer_certificate, scope_terminal_id
from netpki_helpers import get, serving


async def whoami(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A tiny ASGI app answering with the terminal ID the TLS layer saw."""
    if scope["type"] != "http":
        return
    cert = scope_peer_certificate(scope)
    serial = format(cert.serial_number, "x") if cert is not None else None
    body = json.dumps({"terminal_id": scope_terminal_id(scope), "serial": serial}).encode()
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]}
    )
    await send({"type": "http.response.body", "body": body})


@pytest.fixture
def pki(tmp_path: Path) -> Path:
    """A home with a network CA, a center certificate, and terminals A (good) and B (revoked)."""
    home = tmp_path / "home"
    authority.create_ca(home)
    authority.issue_server(home, "center")
    authority.issue_terminal(home, "T-A-0001")
    authority.issue_terminal(home, "T-B-0002")
    authority.revoke_terminal(home, "T-B-0002")
    return home


@pytest.fixture
def center_url(pki: Path) -> Iterator[str]:
    """The tiny app, served with mutual TLS."""
    with serving(whoami, pki) as url:
        yield url


def test_sec5_str1_registered_terminal_connects_and_is_named(pki: Path, center_url: str) -> None:
    """SEC-5, STR-1: a terminal with a valid network certificate connects; the server learns its ID."""
    response = get(center_url, client_context(pki, terminal_id="T-A-0001"))
    assert response.status_code == 200
    cert_path, _ = NetPaths.under(pki).terminal("T-A-0001")
    serial = x509.load_pem_x509_certificate(cert_path.read_bytes()).serial_number
    assert response.json() == {"terminal_id": "T-A-0001", "serial": format(serial, "x")}


def test_sec5_center_presents_its_certificate_to_a_municipal_server(pki: Path, center_url: str) -> None:
    """SEC-5: a server certificate also authenticates as a client (center → municipal), but is no terminal."""
    response = get(center_url, client_context(pki, server_name="center"))
    assert response.status_code == 200 and response.json()["terminal_id"] is None


def test_netpki_serving_config_can_go_to_worker_processes(pki: Path) -> None:
    """uvicorn pickles its config into worker processes: the TLS pieces must survive that."""
    factory = ServerContextFactory(pki, "center")
    assert pickle.loads(pickle.dumps(factory)) == factory
    assert pickle.loads(pickle.dumps(PeerCertH11Protocol)) is PeerCertH11Protocol
    assert factory(None, None).verify_mode is ssl.CERT_REQUIRED  # type: ignore[arg-type]


def test_str1_terminal_with_certificate_of_another_ca_is_refused(
    pki: Path, center_url: str, tmp_path: Path
) -> None:
    """STR-1: a terminal certificate from an unknown CA fails the handshake."""
    rogue = tmp_path / "rogue"
    authority.create_ca(rogue)
    authority.issue_terminal(rogue, "T-A-0001")  # same ID, wrong CA
    ctx = client_context(rogue, terminal_id="T-A-0001", check_crl=False)
    ctx.load_verify_locations(cafile=str(NetPaths.under(pki).ca_cert))  # it trusts the real server
    with pytest.raises(httpx.TransportError):
        get(center_url, ctx)


def test_str1_revoked_terminal_is_refused(pki: Path, center_url: str) -> None:
    """STR-1, SEC-5: a terminal whose certificate is on the CRL fails the handshake."""
    with pytest.raises(httpx.TransportError):
        get(center_url, client_context(pki, terminal_id="T-B-0002"))


def test_sec5_terminal_without_certificate_is_refused(pki: Path, center_url: str) -> None:
    """SEC-5: no client certificate, no connection."""
    with pytest.raises(httpx.TransportError):
        get(center_url, client_context(pki))


def test_sec5_client_refuses_a_server_outside_the_network_ca(
    pki: Path, center_url: str, tmp_path: Path
) -> None:
    """SEC-5: the kiosk trusts only the network CA, not the public ones nor a rogue CA."""
    rogue = tmp_path / "rogue"
    authority.create_ca(rogue)
    authority.issue_terminal(rogue, "T-A-0001")
    with pytest.raises(httpx.ConnectError):
        get(center_url, client_context(rogue, terminal_id="T-A-0001"))


def test_netpki_files_private_and_certificates_shaped(pki: Path) -> None:
    """Keys are 0600; a terminal certificate names its role and ID in CN and SAN URIs; a server's names its
    role and covers loopback."""
    paths = NetPaths.under(pki)
    assert stat.S_IMODE(paths.root.stat().st_mode) == 0o700
    for key in [paths.ca_key, paths.server("center")[1], paths.terminal("T-A-0001")[1]]:
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
    terminal = x509.load_pem_x509_certificate(paths.terminal("T-A-0001")[0].read_bytes())
    assert authority.terminal_id_from_cert(terminal) == "T-A-0001"
    san = terminal.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.UniformResourceIdentifier) == [
        "urn:kofu:role:terminal",
        "urn:kofu:terminal:T-A-0001",
    ]
    server = x509.load_pem_x509_certificate(paths.server("center")[0].read_bytes())
    assert authority.terminal_id_from_cert(server) is None
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.UniformResourceIdentifier) == ["urn:kofu:role:center"]
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]


def test_netpki_revocation_and_crl(pki: Path) -> None:
    """The CRL lists revoked serials only, grows its number, and revoking twice is a no-op."""
    paths = NetPaths.under(pki)
    serial_a = x509.load_pem_x509_certificate(paths.terminal("T-A-0001")[0].read_bytes()).serial_number
    serial_b = x509.load_pem_x509_certificate(paths.terminal("T-B-0002")[0].read_bytes()).serial_number
    assert authority.is_revoked(pki, serial_b) and not authority.is_revoked(pki, serial_a)
    number = authority.load_crl(pki).extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    assert authority.revoke(pki, serial_b) is False
    assert authority.revoke(pki, serial_a) is True
    crl = authority.load_crl(pki)
    assert {e.serial_number for e in crl} == {serial_a, serial_b}
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == number + 1
    ca_key = x509.load_pem_x509_certificate(paths.ca_cert.read_bytes()).public_key()
    assert isinstance(ca_key, ec.EllipticCurvePublicKey)
    assert crl.is_signature_valid(ca_key)


@pytest.mark.parametrize("name", ["../evil", "", "a/b", ".hidden", "x" * 65])
def test_netpki_refuses_names_that_are_not_plain(pki: Path, name: str) -> None:
    with pytest.raises(NetPkiError):
        authority.issue_terminal(pki, name)


def test_netpki_create_ca_refuses_to_overwrite(pki: Path) -> None:
    with pytest.raises(NetPkiError):
        authority.create_ca(pki)
    assert (
        authority.ensure_ca(pki).subject
        == x509.load_pem_x509_certificate(NetPaths.under(pki).ca_cert.read_bytes()).subject
    )


def test_str1_revocation_reaches_a_running_server(pki: Path) -> None:
    """STR-1, SEC-5: revoking a terminal refuses its next connection without restarting the server."""
    authority.issue_terminal(pki, "T-C-0003")
    with serving(whoami, pki, crl_check_every=0.0) as url:
        assert get(url, client_context(pki, terminal_id="T-C-0003")).status_code == 200
        authority.revoke_terminal(pki, "T-C-0003")
        with pytest.raises(httpx.TransportError):
            get(url, client_context(pki, terminal_id="T-C-0003"))
        assert get(url, client_context(pki, terminal_id="T-A-0001")).json()["terminal_id"] == "T-A-0001"
