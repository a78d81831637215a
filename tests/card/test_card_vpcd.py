"""The vpcd bridge against a stand-in vpcd (a TCP server speaking vpcd's framing), and `kofu card` CLI."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from card_pcsc_kit import card_serve, end_group
from card_testkit import FACE, PIN, MakeCard, Material
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from kofu.card import apdu
from kofu.card import constants as c
from kofu.card.cardfile import read_card_file
from kofu.card.virtual import VirtualCard
from kofu.card.vpcd import VpcdBridge, parse_address


class FakeVpcd:
    """What vpcd does on its side: listens, and sends controls and APDUs with 2-byte length framing."""

    def __init__(self, port: int = 0) -> None:
        self.server = socket.create_server(("127.0.0.1", port))
        self.port = self.server.getsockname()[1]
        self.conn: socket.socket | None = None

    def accept(self) -> None:
        self.server.settimeout(10)
        self.conn, _ = self.server.accept()
        self.conn.settimeout(10)

    def send(self, payload: bytes) -> None:
        assert self.conn is not None
        self.conn.sendall(len(payload).to_bytes(2, "big") + payload)

    def receive(self) -> bytes:
        assert self.conn is not None
        size = int.from_bytes(self._exactly(2), "big")
        return self._exactly(size)

    def _exactly(self, n: int) -> bytes:
        assert self.conn is not None
        data = b""
        while len(data) < n:
            chunk = self.conn.recv(n - len(data))
            assert chunk, "bridge closed the connection"
            data += chunk
        return data

    def exchange(self, command: bytes) -> bytes:
        self.send(command)
        return self.receive()

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.server.close()


@pytest.fixture
def bridge(card_path: Path) -> Iterator[tuple[VpcdBridge, FakeVpcd]]:
    vpcd = FakeVpcd()
    bridge = VpcdBridge(VirtualCard(card_path), "127.0.0.1", vpcd.port)
    thread = threading.Thread(target=bridge.run, kwargs={"retry_seconds": 0.05}, daemon=True)
    thread.start()
    vpcd.accept()
    try:
        yield bridge, vpcd
    finally:
        bridge.stop.set()
        thread.join(5)
        vpcd.close()
        assert not thread.is_alive()


def test_framing_atr_and_apdus(bridge: tuple[VpcdBridge, FakeVpcd], material: Material) -> None:
    _, vpcd = bridge
    vpcd.send(b"\x01")  # power on: not answered
    assert vpcd.exchange(b"\x04") == c.ATR
    assert vpcd.exchange(apdu.select_aid()) == b"\x90\x00"
    assert vpcd.exchange(apdu.select_ef(c.EF_AUTH_CERT)) == b"\x90\x00"
    assert vpcd.exchange(apdu.read_binary(0, 8)) == material.auth.cert_der[:8] + b"\x90\x00"


def test_pin1_power_off_and_reset_end_verification(bridge: tuple[VpcdBridge, FakeVpcd]) -> None:
    """PIN-1: vpcd's power-off and reset controls end the VERIFY state."""
    _, vpcd = bridge
    sign = apdu.sign(b"\x01" * 51)
    for control in (b"\x00", b"\x02"):
        vpcd.send(b"\x01")
        for command in (apdu.select_aid(), apdu.select_ef(c.EF_AUTH_PIN), apdu.verify(PIN.encode())):
            assert vpcd.exchange(command) == b"\x90\x00"
        vpcd.exchange(apdu.select_ef(c.EF_AUTH_KEY))
        assert len(vpcd.exchange(sign)) == 258
        vpcd.send(control)
        vpcd.send(b"\x01")
        vpcd.exchange(apdu.select_aid())
        vpcd.exchange(apdu.select_ef(c.EF_AUTH_KEY))
        assert vpcd.exchange(sign) == b"\x69\x82"


def test_bridge_reconnects_when_vpcd_restarts(card_path: Path) -> None:
    vpcd = FakeVpcd()
    port = vpcd.port
    bridge = VpcdBridge(VirtualCard(card_path), "127.0.0.1", port)
    thread = threading.Thread(target=bridge.run, kwargs={"retry_seconds": 0.05}, daemon=True)
    thread.start()
    try:
        vpcd.accept()
        assert vpcd.exchange(b"\x04") == c.ATR
        vpcd.close()  # vpcd goes away ...
        vpcd = FakeVpcd(port)  # ... and comes back on the same port
        vpcd.accept()
        assert vpcd.exchange(b"\x04") == c.ATR
        assert vpcd.exchange(apdu.select_aid()) == b"\x90\x00"
    finally:
        bridge.stop.set()
        thread.join(5)
        vpcd.close()
    assert not thread.is_alive()


def test_card_file_fault_answers_6f00_not_a_crash(
    bridge: tuple[VpcdBridge, FakeVpcd], card_path: Path
) -> None:
    _, vpcd = bridge
    card_path.write_text("{broken")
    assert vpcd.exchange(apdu.select_aid()) == b"\x6f\x00"


@pytest.mark.parametrize("text", ["localhost", "1.2.3.4:x", ":35963", "h:0", "h:70000"])
def test_bad_vpcd_address(text: str) -> None:
    with pytest.raises(ValueError):
        parse_address(text)


def kofu_card(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kofu.card.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_serve_stops_cleanly_on_sigterm_and_counters_persist(card_path: Path) -> None:
    """PIN-1: `kofu card serve` persists a wrong PIN before answering, and exits 0 on SIGTERM."""
    vpcd = FakeVpcd()
    process = card_serve(
        [str(card_path), "--vpcd", f"127.0.0.1:{vpcd.port}"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        vpcd.accept()
        vpcd.send(b"\x01")
        vpcd.exchange(apdu.select_aid())
        vpcd.exchange(apdu.select_ef(c.EF_AUTH_PIN))
        assert vpcd.exchange(apdu.verify(b"0000")) == b"\x63\xc2"
        assert read_card_file(card_path).pin_tries_left == 2  # on disk before the answer left
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0
    finally:
        end_group(process)
        vpcd.close()


@pytest.mark.parametrize(("sample", "answer"), [(FACE, b"\x90\x00"), (b"someone else", b"\x63\xc2")])
def test_elg5_served_phone_unlocks_by_simulated_biometric(
    make_card: MakeCard, tmp_path: Path, sample: bytes, answer: bytes
) -> None:
    """ELG-5: a phone served with `--biometric-sample` answers VERIFY 'BIO' by its sensor."""
    phone, sample_file = make_card("phone"), tmp_path / "sample.bin"
    sample_file.write_bytes(sample)
    vpcd = FakeVpcd()
    args = [str(phone), "--vpcd", f"127.0.0.1:{vpcd.port}", "--biometric-sample", str(sample_file)]
    process = card_serve(args, stderr=subprocess.DEVNULL)
    try:
        vpcd.accept()
        vpcd.send(b"\x01")
        vpcd.exchange(apdu.select_aid())
        vpcd.exchange(apdu.select_ef(c.EF_AUTH_PIN))
        assert vpcd.exchange(apdu.verify(c.BIOMETRIC_VERIFY_DATA)) == answer
    finally:
        end_group(process)
        vpcd.close()


def test_cli_info_does_not_touch_counters(card_path: Path) -> None:
    before = card_path.read_bytes()
    result = kofu_card("info", str(card_path))
    assert result.returncode == 0, result.stderr
    assert "kind: card" in result.stdout
    assert "user-authentication certificate serial: 4097" in result.stdout
    assert "PIN tries left: 3/3" in result.stdout and "signing password tries left: 5/5" in result.stdout
    assert card_path.read_bytes() == before


def test_cli_export_writes_pem(card_path: Path, tmp_path: Path, material: Material) -> None:
    cert, ca = tmp_path / "a.pem", tmp_path / "ca.pem"
    result = kofu_card("export", str(card_path), "--auth-cert", str(cert), "--auth-ca", str(ca))
    assert result.returncode == 0, result.stderr
    for pem, der in ((cert, material.auth.cert_der), (ca, material.auth.ca_cert_der)):
        assert x509.load_pem_x509_certificate(pem.read_bytes()).public_bytes(Encoding.DER) == der


@pytest.mark.parametrize("command", ["info", "serve", "export"])
def test_cli_refuses_a_bad_card_file_with_a_reason_not_a_traceback(tmp_path: Path, command: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    bad.chmod(0o600)
    extra = (
        ["--auth-cert", str(tmp_path / "a"), "--auth-ca", str(tmp_path / "b")] if command == "export" else []
    )
    result = kofu_card(command, str(bad), *extra)
    assert result.returncode == 2
    assert "error [unreadable]" in result.stderr and "Traceback" not in result.stderr
