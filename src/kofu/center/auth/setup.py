"""Wiring the authenticator from kofu's settings: CA certificates, database, OCSP URL, card records."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509

from kofu.center.auth.authenticator import Authenticator
from kofu.center.auth.cards import CardRecords, RegistryCardRecords
from kofu.center.auth.certificates import CertificateChecker
from kofu.center.auth.revocation import HttpStatusChecker
from kofu.center.auth.schema import migrate_center_auth
from kofu.db import make_engine, session_factory
from kofu.settings import Settings


def authenticator_from_settings(
    settings: Settings, *, ocsp_url: str | None = None, cards: CardRecords | None = None, migrate: bool = True
) -> Authenticator:
    """An authenticator on `settings.db_url`, trusting the CA certificates in `$KOFU_HOME/keys/jpki`
    (public certificates only: the center never holds a jpki private key), asking OCSP at
    `ocsp_url` (default: `jpki_url` from the settings + /ocsp) and reading card records from the
    registry unless `cards` is given."""
    if migrate:
        migrate_center_auth(settings.db_url)
    folder = settings.home / "keys" / "jpki"
    checker = CertificateChecker(_read_cert(folder / "auth-ca.pem"), _read_cert(folder / "sign-ca.pem"))
    factory = session_factory(make_engine(settings.db_url))
    url = ocsp_url or settings.jpki_url.rstrip("/") + "/ocsp"
    return Authenticator(factory, checker, HttpStatusChecker(url), cards or RegistryCardRecords(factory))


def _read_cert(path: Path) -> x509.Certificate:
    """A PEM certificate the JPKI published (read here: the center imports nothing of the issuer)."""
    return x509.load_pem_x509_certificate(path.read_bytes())
