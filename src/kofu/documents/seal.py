"""The PDF seal: a PAdES-B-B certification signature (DocMDP: no changes allowed) with pyHanko.

The signer keeps the parsed key (pyHanko re-parses it on every signature otherwise) and the encoded
signing-certificate-v2 attribute (pyHanko rebuilds and re-encodes it, a third of a seal's time), and
the space for the signature is reserved up front (otherwise pyHanko signs twice to measure it).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import TYPE_CHECKING

from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import attributes, fields, signers
from pyhanko.sign.general import as_signing_certificate_v2
from pyhanko_certvalidator.registry import SimpleCertificateStore

from kofu.documents.loopsafe import call_outside_loop
from kofu.documents.published import asn1_cert

if TYPE_CHECKING:
    from kofu.documents.keys import SealingKeys

BYTES_RESERVED = 6144  # DER CMS with two EC certificates fits in well under this
FIELD_NAME = "KofuSeal"
_HASHES: dict[str, type[hashes.SHA256 | hashes.SHA384 | hashes.SHA512]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


class EncodedSigningCertificate(attributes.SigningCertificateV2Provider):
    """signing-certificate-v2 from its DER, encoded once: a parsed value is written out as it was read."""

    def __init__(self, signing_cert: asn1_x509.Certificate, der: bytes) -> None:
        super().__init__(signing_cert)
        self._der = der

    async def build_attr_value(self, dry_run: bool = False) -> tsp.SigningCertificateV2:
        return tsp.SigningCertificateV2.load(self._der)


class CachedKeySigner(signers.SimpleSigner):
    """A SimpleSigner with its parsed EC key and its encoded signing-certificate-v2 attribute kept."""

    def __init__(self, *args: object, pyca_key: ec.EllipticCurvePrivateKey, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._pyca_key = pyca_key
        self._signing_cert_v2 = as_signing_certificate_v2(self.signing_cert).dump()

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        return self._pyca_key.sign(data, ec.ECDSA(_HASHES[digest_algorithm]()))

    def _signed_attr_providers(self, *args: object, **kwargs: object) -> Iterator[object]:
        for provider in super()._signed_attr_providers(*args, **kwargs):  # type: ignore[arg-type]
            if type(provider) is attributes.SigningCertificateV2Provider:
                provider = EncodedSigningCertificate(provider.signing_cert, self._signing_cert_v2)
            yield provider


def make_signer(keys: SealingKeys) -> CachedKeySigner:
    """The pyHanko signer of a municipality's document-signing key."""
    key_info = asn1_keys.PrivateKeyInfo.load(
        keys.signer_key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return CachedKeySigner(
        signing_cert=asn1_cert(keys.signer_cert),
        signing_key=key_info,
        cert_registry=SimpleCertificateStore.from_certs([asn1_cert(keys.ca_cert)]),
        pyca_key=keys.signer_key,
    )


def seal_pdf(pdf: bytes, keys: SealingKeys, *, reason: str, location: str) -> bytes:
    """Certify `pdf` with the municipality's document-signing key; nothing may change afterwards."""
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        certify=True,
        docmdp_permissions=fields.MDPPerm.NO_CHANGES,
        reason=reason,
        location=location,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    out = call_outside_loop(
        signers.sign_pdf, writer, meta, signer=keys.pades_signer, bytes_reserved=BYTES_RESERVED
    )
    return out.getvalue()
