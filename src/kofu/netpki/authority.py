"""The private network CA (SEC-5, STR-1): one CA, a certificate per server and per kiosk terminal, a CRL.

Everything lives under `$KOFU_HOME/keys/net/` (private keys 0600):
  ca.key, ca.pem, crl.pem, crl.seen, servers/<name>.{pem,key}, terminals/<terminal id>.{pem,key}.
Every certificate names its role in a SAN URI `urn:kofu:role:<role>` (`kofu.netpki.roles`); a terminal's
also names its terminal ID in the subject CN and in a SAN URI `urn:kofu:terminal:<id>`.
Revoking re-signs the CRL; TLS contexts built afterwards refuse the revoked certificate.

CRL numbers only go up: `crl.seen` holds the number and digest of the newest CRL this home has issued or
read, and every reader (`load_crl`) refuses a CRL numbered below it, another CRL under its number, or one
the network CA did not sign: a CRL file rolled back (a restored backup) would forget revocations.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kofu.netpki.roles import TERMINAL_URN, Role, peer_of_certificate, role_uri
from kofu.rules.ids import NETWORK_NAME, TERMINAL_ID, Identifier
from kofu.x509ca import self_signed_ca

CA_YEARS = 10
LEAF_DAYS = 825
CRL_DAYS = 30


class NetPkiError(Exception):
    """A network-PKI operation that cannot be done (no CA yet, bad name, unknown certificate)."""


@dataclass(frozen=True)
class NetPaths:
    """Where the network PKI keeps its files under one kofu home."""

    root: Path

    @classmethod
    def under(cls, home: Path) -> NetPaths:
        return cls(home / "keys" / "net")

    @property
    def ca_key(self) -> Path:
        return self.root / "ca.key"

    @property
    def ca_cert(self) -> Path:
        return self.root / "ca.pem"

    @property
    def crl(self) -> Path:
        return self.root / "crl.pem"

    @property
    def crl_seen(self) -> Path:
        """ "<number> <sha256 hex>" of the newest CRL this home has issued or read."""
        return self.root / "crl.seen"

    def server(self, name: str) -> tuple[Path, Path]:
        """(certificate, key) of a server (the center, a municipal server)."""
        _check_name(name, NETWORK_NAME)
        return self.root / "servers" / f"{name}.pem", self.root / "servers" / f"{name}.key"

    def terminal(self, terminal_id: str) -> tuple[Path, Path]:
        """(certificate, key) of a kiosk terminal."""
        _check_name(terminal_id, TERMINAL_ID)
        return self.root / "terminals" / f"{terminal_id}.pem", self.root / "terminals" / f"{terminal_id}.key"


@dataclass(frozen=True)
class Issued:
    """A certificate just issued: its serial and where its files are."""

    name: str
    serial: int
    cert_path: Path
    key_path: Path


def _check_name(name: str, rule: Identifier) -> None:
    # also a file name: the rule leaves no room for path tricks
    if not rule.fits(name):
        raise NetPkiError(f"not a valid name for a network certificate: {name!r}")


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, data)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def _write_public(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC)


def create_ca(home: Path, *, name: str = "kofu network CA", now: datetime | None = None) -> x509.Certificate:
    """Create the network CA and an empty CRL; refuses to overwrite an existing CA."""
    paths = NetPaths.under(home)
    if paths.ca_key.exists():
        raise NetPkiError(f"a network CA already exists in {paths.root}")
    at = _now(now)
    paths.root.mkdir(parents=True, exist_ok=True)
    os.chmod(paths.root, 0o700)  # only the owner may even list the network keys
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "kofu"), x509.NameAttribute(NameOID.COMMON_NAME, name)]
    )
    cert = self_signed_ca(key, subject, serial=x509.random_serial_number(), now=at, years=CA_YEARS)
    _write_private(paths.ca_key, _key_pem(key))
    _write_public(paths.ca_cert, cert.public_bytes(serialization.Encoding.PEM))
    _write_crl(paths, key, cert, [], at)
    return cert


def ensure_ca(home: Path, *, now: datetime | None = None) -> x509.Certificate:
    """The network CA, created on first use; refreshes the CRL when it is about to expire."""
    paths = NetPaths.under(home)
    if not paths.ca_key.exists():
        return create_ca(home, now=now)
    key, cert = _load_ca(paths)
    crl = load_crl(home)
    if crl.next_update_utc is None or crl.next_update_utc - _now(now) < timedelta(days=CRL_DAYS // 3):
        _write_crl(paths, key, cert, list(crl), _now(now))
    return cert


def _load_ca(paths: NetPaths) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    if not paths.ca_key.exists():
        raise NetPkiError(f"no network CA in {paths.root}: create it first")
    key = serialization.load_pem_private_key(paths.ca_key.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise NetPkiError("the network CA key is not an EC key")
    return key, x509.load_pem_x509_certificate(paths.ca_cert.read_bytes())


def crl_number(crl: x509.CertificateRevocationList) -> int | None:
    """The CRL's number (RFC 5280 §5.2.3), None when it has none."""
    try:
        return crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    except x509.ExtensionNotFound:
        return None


def _crl_digest(crl: x509.CertificateRevocationList) -> str:
    return hashlib.sha256(crl.public_bytes(serialization.Encoding.DER)).hexdigest()


def _seen(paths: NetPaths) -> tuple[int, str] | None:
    try:
        number, digest = paths.crl_seen.read_text(encoding="ascii").split()
        return int(number), digest
    except (OSError, ValueError):
        return None


def _record_seen(paths: NetPaths, crl: x509.CertificateRevocationList, number: int) -> None:
    seen = _seen(paths)
    if seen is not None and number <= seen[0]:
        return
    tmp = paths.crl_seen.with_name(f"{paths.crl_seen.name}.{os.getpid()}.tmp")  # readers write it too
    tmp.write_text(f"{number} {_crl_digest(crl)}\n", encoding="ascii")
    os.replace(tmp, paths.crl_seen)


def load_crl(home: Path) -> x509.CertificateRevocationList:
    """The network CA's CRL, if it may be believed; NetPkiError otherwise.

    Believed: signed by the network CA, numbered, not below the newest CRL this home has seen and not
    another CRL under that number (the file rolled back or replaced). A newer one becomes the newest seen.
    """
    paths = NetPaths.under(home)
    try:
        crl = x509.load_pem_x509_crl(paths.crl.read_bytes())
        ca = x509.load_pem_x509_certificate(paths.ca_cert.read_bytes())
    except (OSError, ValueError) as exc:
        raise NetPkiError(f"no readable network CRL in {paths.root}: {exc}") from None
    ca_key = ca.public_key()
    if not (isinstance(ca_key, ec.EllipticCurvePublicKey) and crl.issuer == ca.subject):
        raise NetPkiError("the CRL is not the network CA's")
    if not crl.is_signature_valid(ca_key):
        raise NetPkiError("the CRL is not signed by the network CA")
    number = crl_number(crl)
    if number is None:
        raise NetPkiError("the CRL has no number")
    seen = _seen(paths)
    if seen is not None and number < seen[0]:
        raise NetPkiError(f"CRL #{number} is older than #{seen[0]} seen here: the CRL file was rolled back")
    if seen is not None and number == seen[0] and _crl_digest(crl) != seen[1]:
        raise NetPkiError(f"another CRL #{number} was seen here: the CRL file was replaced")
    with contextlib.suppress(OSError):  # a reader without write access still checks against the record
        _record_seen(paths, crl, number)
    return crl


def _issue(
    paths: NetPaths,
    *,
    common_name: str,
    san: list[x509.GeneralName],
    usages: list[x509.ObjectIdentifier],
    cert_path: Path,
    key_path: Path,
    now: datetime | None,
) -> Issued:
    ca_key, ca_cert = _load_ca(paths)
    at = _now(now)
    key = ec.generate_private_key(ec.SECP256R1())
    serial = x509.random_serial_number()
    cert = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "kofu"),
                    x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                ]
            )
        )
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(at - timedelta(minutes=5))
        .not_valid_after(min(at + timedelta(days=LEAF_DAYS), ca_cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=True,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        .add_extension(x509.SubjectAlternativeName(san), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    _write_private(key_path, _key_pem(key))
    _write_public(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return Issued(common_name, serial, cert_path, key_path)


def server_role(name: str) -> Role:
    """The role a server certificate gets when none is given: the center's, or a municipal server's."""
    return Role.CENTER if name == "center" else Role.MUNICIPAL


def issue_server(
    home: Path,
    name: str,
    *,
    role: Role | None = None,
    hosts: tuple[str, ...] = ("localhost", "127.0.0.1"),
    now: datetime | None = None,
) -> Issued:
    """A certificate for a server speaking for `role` (by default `server_role(name)`), valid for `hosts`.

    It may also authenticate as a client, since the center calls municipal servers with it.
    """
    role = role or server_role(name)
    if role is Role.TERMINAL:
        raise NetPkiError("a terminal's certificate is issued with issue_terminal")
    paths = NetPaths.under(home)
    cert_path, key_path = paths.server(name)
    san: list[x509.GeneralName] = [role_uri(role)]
    for host in hosts:
        try:
            san.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            san.append(x509.DNSName(host))
    return _issue(
        paths,
        common_name=name,
        san=san,
        usages=[ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH],
        cert_path=cert_path,
        key_path=key_path,
        now=now,
    )


def issue_terminal(home: Path, terminal_id: str, *, now: datetime | None = None) -> Issued:
    """STR-1: a client certificate for one kiosk terminal (CN and SAN URI carry its terminal ID)."""
    paths = NetPaths.under(home)
    cert_path, key_path = paths.terminal(terminal_id)
    return _issue(
        paths,
        common_name=terminal_id,
        san=[role_uri(Role.TERMINAL), x509.UniformResourceIdentifier(TERMINAL_URN + terminal_id)],
        usages=[ExtendedKeyUsageOID.CLIENT_AUTH],
        cert_path=cert_path,
        key_path=key_path,
        now=now,
    )


def _write_crl(
    paths: NetPaths,
    ca_key: ec.EllipticCurvePrivateKey,
    ca_cert: x509.Certificate,
    revoked: list[x509.RevokedCertificate],
    at: datetime,
) -> None:
    # One above every CRL issued or read here, whatever the file holds now (RFC 5280 §5.2.3).
    seen = _seen(paths)
    number = max(seen[0] if seen else 0, _file_crl_number(paths)) + 1
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca_cert.subject)
        .last_update(at - timedelta(minutes=5))
        .next_update(at + timedelta(days=CRL_DAYS))
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
    )
    for entry in revoked:
        builder = builder.add_revoked_certificate(entry)
    crl = builder.sign(ca_key, hashes.SHA256())
    _write_public(paths.crl, crl.public_bytes(serialization.Encoding.PEM))
    _record_seen(paths, crl, number)


def _file_crl_number(paths: NetPaths) -> int:
    try:
        return crl_number(x509.load_pem_x509_crl(paths.crl.read_bytes())) or 0
    except (OSError, ValueError):
        return 0


def revoke(home: Path, serial: int, *, now: datetime | None = None) -> bool:
    """Put a certificate serial on the CRL; False if it was already there."""
    paths = NetPaths.under(home)
    ca_key, ca_cert = _load_ca(paths)
    current = list(load_crl(home))
    if any(entry.serial_number == serial for entry in current):
        return False
    at = _now(now)
    entry = (
        x509.RevokedCertificateBuilder()
        .serial_number(serial)
        .revocation_date(at - timedelta(seconds=1))
        .build()
    )
    _write_crl(paths, ca_key, ca_cert, [*current, entry], at)
    return True


def revoke_terminal(home: Path, terminal_id: str, *, now: datetime | None = None) -> int:
    """Revoke a terminal's current certificate; returns its serial."""
    cert_path, _ = NetPaths.under(home).terminal(terminal_id)
    if not cert_path.exists():
        raise NetPkiError(f"no network certificate for terminal {terminal_id}")
    serial = x509.load_pem_x509_certificate(cert_path.read_bytes()).serial_number
    revoke(home, serial, now=now)
    return serial


def is_revoked(home: Path, serial: int) -> bool:
    return load_crl(home).get_revoked_certificate_by_serial_number(serial) is not None


def terminal_id_from_cert(cert: x509.Certificate | bytes) -> str | None:
    """The terminal ID a peer certificate (object or DER) names, when it is a terminal's; else None."""
    if isinstance(cert, bytes):
        try:
            cert = x509.load_der_x509_certificate(cert)
        except ValueError:
            return None
    peer = peer_of_certificate(cert)
    if peer is None or peer.role is not Role.TERMINAL or peer.name is None or not TERMINAL_ID.fits(peer.name):
        return None
    return peer.name
