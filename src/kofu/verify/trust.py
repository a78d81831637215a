"""What the verification service trusts: the municipalities' published keys and its own decryption key.

The published keys come from a key set (a file, or a folder of them: `[verify] keyset`, by default
`$KOFU_HOME/keys/published/`), written by `kofu documents keys export` at each municipal server. No
municipality's private key is ever read here: the types below cannot hold one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from kofu.documents.published import KeySetError, PublishedKeys, published_dir, read_keyset
from kofu.logs import get_logger
from kofu.verify.key import VerifierKey, verifier_key

log = get_logger("kofu.verify.trust")

if TYPE_CHECKING:
    from kofu.settings import Settings


@dataclass(frozen=True)
class Trust:
    """The published keys by COSE key id (one municipality may have several), and the verifier's key."""

    keys: tuple[PublishedKeys, ...] = ()
    verifier: VerifierKey | None = None
    _by_kid: Mapping[bytes, PublishedKeys] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_kid", MappingProxyType({k.cose_kid: k for k in self.keys}))

    @property
    def by_code(self) -> dict[str, tuple[PublishedKeys, ...]]:
        """The published keys of each municipality code."""
        found: dict[str, tuple[PublishedKeys, ...]] = {}
        for k in self.keys:
            found[k.code] = (*found.get(k.code, ()), k)
        return found

    @property
    def kids(self) -> frozenset[bytes]:
        """Every trusted COSE key id (a set that changed means keys were added or withdrawn)."""
        return frozenset(self._by_kid)

    @property
    def ca_certs(self) -> list[x509.Certificate]:
        return [k.ca_cert for k in self.keys]

    def name_of(self, code: str) -> str | None:
        """The name of the trusted municipality `code` (大衡村), as its published keys give it."""
        return next((k.name for k in self.keys if k.code == code), None)

    def cose_key(self, kid: bytes | None) -> tuple[str, ec.EllipticCurvePublicKey] | None:
        """(municipality code, public key) of a COSE key id."""
        found = self._by_kid.get(kid) if kid is not None else None
        return None if found is None else (found.code, found.cose_public)

    def verifier_key(self, code: str) -> ec.EllipticCurvePrivateKey | None:
        """The key that opens the content copy of a document of a trusted municipality `code`."""
        if self.verifier is None or all(k.code != code for k in self.keys):
            return None
        return self.verifier.private

    @classmethod
    def of(cls, *keys: PublishedKeys, verifier: VerifierKey | None = None) -> Trust:
        return cls(tuple(keys), verifier)

    @classmethod
    def from_home(cls, home: Path, keyset: Path | None = None) -> Trust:
        """The key set at `keyset` (default: `home`/keys/published) and the verifier's key under `home`.

        The verifier's own key pair is made on first use; municipalities' keys are never made here.
        """
        return cls(tuple(read_keyset(keyset or published_dir(home))), verifier_key(home))


@dataclass
class KeySource:
    """Where a verification service's trust comes from (`home`, `keyset`), re-read only when it changed.

    `load` raises `KeySetError` naming the file (a service does not start on a broken set); `reload`
    keeps what was trusted when nothing changed or when a set broke since.
    """

    home: Path
    keyset: Path | None = None
    _stamp: tuple[tuple[str, int, int], ...] = ()

    @property
    def location(self) -> Path:
        return self.keyset or published_dir(self.home)

    def stamp(self) -> tuple[tuple[str, int, int], ...]:
        """Name, size and modification time of each set file (an upload with an unknown key asks)."""
        path = self.location
        try:
            files = sorted(path.iterdir()) if path.is_dir() else [path]
            return tuple((f.name, s.st_size, s.st_mtime_ns) for f in files for s in [f.stat()])
        except OSError:
            return ()

    def load(self) -> Trust:
        stamp = self.stamp()
        trust = Trust.from_home(self.home, self.keyset)
        self._stamp = stamp
        return trust

    def reload(self, current: Trust) -> Trust:
        if self.stamp() == self._stamp:
            return current
        try:
            return self.load()
        except KeySetError as exc:  # a set broken since: what was trusted stays trusted
            log.warning("key set not reloaded", error=str(exc))
            return current


def keyset_location(settings: Settings) -> Path:
    """The `[verify] keyset` setting (a set file or a folder of them), else `$KOFU_HOME/keys/published`."""
    from kofu.verify.config import VerifyTable

    return VerifyTable.read(settings.verify).keyset or published_dir(settings.home)
