"""OpenSC as the independent client of a served virtual card (pcscd + vpcd): PIN-1, PIN-2, ELG-1.

The card is served by a real `kofu card serve` process into vsmartcard's vpcd reader under pcscd;
`opensc-tool`, `pkcs15-tool`, `pkcs11-tool` (OpenSC's own JPKI driver) and `openssl` check it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from card_pcsc_kit import Served
from card_testkit import MANAGEMENT_KEY, PIN, SIGN_PASSWORD, Material
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from kofu.card.client import JpkiClient, sha256_digest_info
from kofu.card.pcsc import PcscReader

pytestmark = pytest.mark.pcsc

PKCS11_MODULE = "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so"


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=60, check=check)


def tries_left(reader: str) -> list[int]:
    """Tries left of (PIN, signing password) as OpenSC's pkcs15 emulation reports them."""
    out = run("pkcs15-tool", "--reader", reader, "--list-pins").stdout
    return [int(n) for n in re.findall(r"Tries left\s*:\s*(-?\d+)", out)]


def pkcs11_sign(reader: str, pin: str, data: Path, sig: Path) -> subprocess.CompletedProcess[str]:
    return run(
        "pkcs11-tool", "--module", PKCS11_MODULE, "--slot-description", reader,
        "-l", "--pin", pin, "--sign", "-m", "SHA256-RSA-PKCS", "--id", "01",
        "-i", str(data), "-o", str(sig),
        check=False,
    )  # fmt: skip


def kofu_card(*args: str) -> subprocess.CompletedProcess[str]:
    return run(sys.executable, "-m", "kofu.card.cli", *args, check=False)


def public_key_pem(card: Path, tmp_path: Path) -> Path:
    """The card's user-authentication public key, via `kofu card export` and openssl."""
    cert, ca = tmp_path / "auth.pem", tmp_path / "auth-ca.pem"
    assert kofu_card("export", str(card), "--auth-cert", str(cert), "--auth-ca", str(ca)).returncode == 0
    pub = tmp_path / "pub.pem"
    pub.write_text(run("openssl", "x509", "-in", str(cert), "-pubkey", "-noout").stdout)
    return pub


def test_opensc_sees_card_lists_four_certificates_and_pin_tries(served: Served, material: Material) -> None:
    """OpenSC's JPKI driver recognises the card, lists its four certificates and the tries left (PIN-1)."""
    readers = run("opensc-tool", "-l").stdout
    assert re.search(rf"Yes\s+{re.escape(served.reader)}", readers), readers
    listing = run("pkcs15-tool", "--reader", served.reader, "--list-certificates").stdout
    for label, path in [
        ("User Authentication Certificate", "000a"),
        ("Digital Signature Certificate", "0001"),
        ("User Authentication Certificate CA", "000b"),
        ("Digital Signature Certificate CA", "0002"),
    ]:
        assert re.search(rf"\[{label}\]\n(.*\n)*?\s*Path\s*:\s*{path}", listing), label
    pem = run("pkcs15-tool", "--reader", served.reader, "--read-certificate", "01").stdout
    assert x509.load_pem_x509_certificate(pem.encode()).public_bytes(Encoding.DER) == material.auth.cert_der
    assert tries_left(served.reader) == [3, 5]


def test_elg1_pkcs11_signature_verifies_with_openssl(served: Served, tmp_path: Path) -> None:
    """ELG-1: pkcs11-tool signs with the user-authentication key after the PIN; openssl verifies it."""
    data, sig = tmp_path / "data", tmp_path / "sig"
    data.write_bytes(b"challenge || session || terminal")
    result = pkcs11_sign(served.reader, PIN, data, sig)
    assert result.returncode == 0, result.stderr
    pub = public_key_pem(served.card, tmp_path)
    verified = run("openssl", "dgst", "-sha256", "-verify", str(pub), "-signature", str(sig), str(data))
    assert verified.stdout.strip() == "Verified OK"


def test_pin1_three_wrong_pins_block_across_reconnect_and_restart(served: Served, tmp_path: Path) -> None:
    """PIN-1: three wrong PINs block the PIN; still blocked after reconnecting and after a serve restart."""
    data, sig = tmp_path / "data", tmp_path / "sig"
    data.write_bytes(b"x")
    for expected in (2, 1, 0):
        assert pkcs11_sign(served.reader, "9999", data, sig).returncode != 0
        assert tries_left(served.reader)[0] == expected  # each OpenSC run is a new connection
    assert pkcs11_sign(served.reader, PIN, data, sig).returncode != 0  # right PIN, but blocked
    served.stop()
    served.start()
    assert tries_left(served.reader) == [0, 5]
    assert pkcs11_sign(served.reader, PIN, data, sig).returncode != 0
    assert "PIN tries left: 0/3 (blocked)" in kofu_card("info", str(served.card)).stdout


def test_pin2_management_reset_through_pcsc_then_opensc_signs(served: Served, tmp_path: Path) -> None:
    """PIN-2: after a block, RESET RETRY COUNTER (card-management authentication) over PC/SC unblocks."""
    data, sig = tmp_path / "data", tmp_path / "sig"
    data.write_bytes(b"x")
    for _ in range(3):
        pkcs11_sign(served.reader, "9999", data, sig)
    assert tries_left(served.reader)[0] == 0
    with PcscReader(served.reader) as reader:
        JpkiClient(reader).reset_retry_counter(MANAGEMENT_KEY, "pin", "4321")
    assert tries_left(served.reader)[0] == 3
    assert pkcs11_sign(served.reader, "4321", data, sig).returncode == 0


def test_elg1_pcsc_reader_and_jpki_client_against_served_card(served: Served, material: Material) -> None:
    """ELG-1 through real PC/SC: PcscReader + JpkiClient read the certificates and authenticate."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    with PcscReader(served.reader) as reader:
        assert reader.atr == bytes.fromhex("3BE000FF8131FE4514")
        client = JpkiClient(reader)
        assert client.read_auth_certificate() == material.auth.cert_der
        assert client.read_auth_ca_certificate() == material.auth.ca_cert_der
        assert client.read_sign_ca_certificate() == material.sign.ca_cert_der
        assert client.verify_pin("0000").tries_left == 2
        message = b"challenge-session-terminal"
        signature = client.authenticate(message, PIN)
        assert client.pin_tries_left() == 3
        assert len(sha256_digest_info(message)) == 51
    key = x509.load_der_x509_certificate(material.auth.cert_der).public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())


def test_pin1_verification_ends_when_the_kiosk_disconnects(served: Served) -> None:
    """PIN-1: through pcscd, disconnecting (power-off) ends the VERIFY state; the next sign is refused."""
    from kofu.card.client import CardError

    reader = PcscReader(served.reader)
    with reader:
        client = JpkiClient(reader)
        assert client.verify_pin(PIN).ok
        assert len(client.sign_auth(sha256_digest_info(b"first"))) == 256
    with reader, pytest.raises(CardError) as refused:
        client.sign_auth(sha256_digest_info(b"second"))
    assert refused.value.sw == 0x6982


def signature_slot(reader: str) -> str:
    """pkcs11-tool's slot id of the card's 'Digital Signature PIN' token in this reader."""
    listing = run("pkcs11-tool", "--module", PKCS11_MODULE, "-L").stdout
    for match in re.finditer(r"^Slot \d+ \((0x[0-9a-f]+)\): (.*)\n((?:  .*\n)*)", listing, re.MULTILINE):
        if match.group(2).strip() == reader and "JPKI (Digital Signature PIN)" in match.group(3):
            return match.group(1)
    raise AssertionError(f"no signature slot for {reader}: {listing}")


def test_signing_key_and_certificate_through_pkcs11_need_the_signing_password(
    served: Served, material: Material, tmp_path: Path
) -> None:
    """The signing certificate is private until the signing password; the signing key signs with it."""
    slot = signature_slot(served.reader)
    base = ("pkcs11-tool", "--module", PKCS11_MODULE, "--slot", slot)
    cert = tmp_path / "sign.der"
    assert run(*base, "-r", "--type", "cert", "--id", "02", "-o", str(cert), check=False).returncode != 0
    run(*base, "-l", "--pin", SIGN_PASSWORD, "-r", "--type", "cert", "--id", "02", "-o", str(cert))
    assert cert.read_bytes() == material.sign.cert_der
    data, sig = tmp_path / "data", tmp_path / "sig"
    data.write_bytes(b"application form")
    run(*base, "-l", "--pin", SIGN_PASSWORD, "--sign", "-m", "SHA256-RSA-PKCS", "--id", "02",
        "-i", str(data), "-o", str(sig))  # fmt: skip
    pub = tmp_path / "sign-pub.pem"
    pub.write_text(run("openssl", "x509", "-inform", "DER", "-in", str(cert), "-pubkey", "-noout").stdout)
    verified = run("openssl", "dgst", "-sha256", "-verify", str(pub), "-signature", str(sig), str(data))
    assert verified.stdout.strip() == "Verified OK"
