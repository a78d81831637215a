"""What the verification service trusts: each municipality's document CA, COSE key and its own key."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from kofu.documents.keys import DocumentKeys, known_codes, load_existing


@dataclass(frozen=True)
class Trust:
    """Keys by municipality code and by COSE key id."""

    by_code: dict[str, DocumentKeys]

    @property
    def ca_certs(self) -> list[x509.Certificate]:
        return [k.ca_cert for k in self.by_code.values()]

    def cose_key(self, kid: bytes | None) -> tuple[str, ec.EllipticCurvePublicKey] | None:
        """(municipality code, public key) of a COSE key id."""
        for code, keys in self.by_code.items():
            if kid == keys.cose_kid:
                return code, keys.cose_key.public_key()
        return None

    def verifier_key(self, code: str) -> ec.EllipticCurvePrivateKey | None:
        keys = self.by_code.get(code)
        return keys.verifier_key if keys else None

    @classmethod
    def of(cls, *keys: DocumentKeys) -> Trust:
        return cls({k.code: k for k in keys})

    @classmethod
    def from_home(cls, home: Path) -> Trust:
        """Every municipality's keys found under `home` (never generated here)."""
        found = [load_existing(home, code) for code in known_codes(home)]
        return cls({k.code: k for k in found if k is not None})
