"""Put an issued credential into a virtual card file (through kofu.card.cardfile, never by hand)."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding

from kofu.card.cardfile import Credential, new_card_file, write_card_file
from kofu.jpki.authority import Authorities
from kofu.jpki.issuance import IssuedCredential


def write_card(
    path: Path,
    issued: IssuedCredential,
    authorities: Authorities,
    *,
    pin: str,
    sign_password: str,
    biometric_template: bytes | None = None,
) -> None:
    """Write the card (or phone) file for `issued`; raises CardFileError for a bad PIN or password."""
    card = new_card_file(
        kind=issued.credential,
        auth=Credential(
            issued.auth_key,
            issued.auth_cert.public_bytes(Encoding.DER),
            authorities.auth.cert.public_bytes(Encoding.DER),
        ),
        sign=Credential(
            issued.sign_key,
            issued.sign_cert.public_bytes(Encoding.DER),
            authorities.sign.cert.public_bytes(Encoding.DER),
        ),
        pin=pin,
        sign_password=sign_password,
        management_key=issued.management_key,
        biometric_template=biometric_template,
    )
    write_card_file(path, card)
