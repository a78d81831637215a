"""The seal's CMS: PAdES-B-B's signing-certificate-v2 names the signer's certificate, on every seal.

The signer keeps that attribute encoded once (`kofu.documents.seal.CachedKeySigner`); these tests read
it back from sealed PDFs and check it against a digest computed here with `cryptography`.
"""

from __future__ import annotations

import hashlib
import io

from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.reader import PdfFileReader

from kofu.documents import samples
from kofu.documents.issue import render_and_seal
from kofu.documents.keys import SealingKeys
from kofu.rules.rulebook import Rulebook
from kofu.verify.key import VerifierKey


def _signed_attributes(pdf: bytes) -> dict[str, object]:
    signature = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
    return {a["type"].native: a["values"][0] for a in signature.signer_info["signed_attrs"]}


def test_every_seal_names_the_signer_certificate_in_signing_certificate_v2_sec6(
    rulebook: Rulebook, doc_keys: SealingKeys, verifier: VerifierKey
) -> None:
    der = doc_keys.signer_cert.public_bytes(serialization.Encoding.DER)
    first, second = (
        render_and_seal(samples.juminhyo(rulebook, members=(0,)), doc_keys, verifier.public) for _ in range(2)
    )
    for pdf in (first, second):
        attrs = _signed_attributes(pdf)
        assert set(attrs) == {"content_type", "message_digest", "signing_certificate_v2"}
        cert_id = attrs["signing_certificate_v2"]["certs"][0]  # type: ignore[index]
        assert cert_id["cert_hash"].native == hashlib.sha256(der).digest()
        assert cert_id["issuer_serial"]["serial_number"].native == doc_keys.signer_cert.serial_number
    # the cached attribute is the same, the digests of the two documents are not
    assert _signed_attributes(first)["message_digest"] != _signed_attributes(second)["message_digest"]
