"""`verify_bytes`: the verdict on a certificate PDF, or on a photo or scan of its back.

Order of checks: readable → signed by a known key → signature matches → in the register → not revoked
→ not past its verification period → the encrypted copy opens and matches the signed digest. Genuine
only after that last step: a valid seal whose encrypted copy was not read (covered, stained, cropped)
is seal-only, since the seal alone vouches for the number, kind and date, not for any printed item.
`read_file` is the part that parses the file itself; `verify_untrusted` runs it in the box
(`kofu.verify.sandbox`), `verify_bytes` in this process.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding

from kofu.documents import codec
from kofu.documents.claims import (
    MAX_CODE_CHARS,
    MAX_SEALED_PARTS,
    SEALED_PREFIX,
    SIGNED_PREFIX,
    ClaimsError,
    IncompleteCopyError,
    SignedClaims,
    join_sealed,
    parse_signed,
)
from kofu.documents.cose import CoseError, parse_sign1, verify_sign1
from kofu.documents.sealed import SealedError, open_sealed
from kofu.logs import get_logger
from kofu.rules.calendar import JST
from kofu.rules.reasons import Reason
from kofu.verify.reading import PARSERS, Reading, read_file, read_file_json
from kofu.verify.register import Register
from kofu.verify.sandbox import Box, Unfinished
from kofu.verify.trust import Trust
from kofu.verify.verdict import Status, Verdict, verdict

log = get_logger("kofu.verify")


def verify_bytes(
    data: bytes,
    *,
    trust: Trust,
    register: Register | None = None,
    today: dt.date | None = None,
) -> Verdict:
    """The verdict on `data` (a PDF, PNG or JPEG), parsed in this process.

    Without a register, only the signatures and the encrypted copy are checked (no unknown/revoked).
    """
    return judge(read_file(data, ca_der(trust)), trust=trust, register=register, today=today)


def verify_untrusted(
    data: bytes,
    *,
    trust: Trust,
    register: Register | None = None,
    today: dt.date | None = None,
    box: Box | None = None,
) -> Verdict:
    """`verify_bytes` with the file parsed in the box: past any of its limits, unknown / unreadable."""
    answer = (box or parser_box()).run(read_file_json, data, ca_der(trust))
    try:
        if isinstance(answer, Unfinished):
            raise ValueError(answer.why)
        reading = Reading.from_json(answer)
    except ValueError as exc:
        log.warning("file not read within the box's limits", why=str(exc))  # never the file
        return verdict(Status.UNKNOWN, Reason.UNREADABLE)
    return judge(reading, trust=trust, register=register, today=today)


@cache
def parser_box() -> Box:
    """This process's box for reading files (one zygote per process)."""
    return Box(PARSERS)


def ca_der(trust: Trust) -> tuple[bytes, ...]:
    """The document CAs' certificates as DER: all the box needs of what the service trusts."""
    return tuple(cert.public_bytes(Encoding.DER) for cert in trust.ca_certs)


def judge(
    reading: Reading,
    *,
    trust: Trust,
    register: Register | None = None,
    today: dt.date | None = None,
) -> Verdict:
    """The verdict on what a file carries: keys, register, period and the encrypted copy."""
    day = today or dt.datetime.now(JST).date()
    if reading.failure is not None:
        altered = (
            reading.source == "pdf"
            and not reading.unknown_key
            and reading.failure not in (Reason.UNSUPPORTED, Reason.UNREADABLE)
        )
        return verdict(Status.ALTERED if altered else Status.UNKNOWN, reading.failure, source=reading.source)
    result = verify_codes(
        reading.codes, trust=trust, register=register, today=day, source=reading.source, fine=reading.fine
    )
    if reading.source != "pdf":
        return result
    claims = result.claims
    if claims is not None and (claims.order_id, claims.requester_cert_digest) != (
        reading.order_id,
        reading.requester,
    ):
        return verdict(Status.ALTERED, Reason.CONTENT_ALTERED, source="pdf", claims=claims)
    if result.status is Status.SEAL_ONLY and not _whole_copy(reading.codes):  # a PDF always carries it
        return verdict(Status.ALTERED, Reason.CONTENT_ALTERED, source="pdf", claims=claims)
    return result


def _whole_copy(texts: Sequence[str]) -> bool:
    """Whether every part of the encrypted copy is among `texts`."""
    try:
        join_sealed([t for t in texts if t.startswith(SEALED_PREFIX)])
    except ClaimsError:
        return False
    return True


def verify_codes(
    texts: Sequence[str],
    *,
    trust: Trust,
    register: Register | None,
    today: dt.date,
    source: str,
    fine: bool = False,
) -> Verdict:
    """The verdict on the texts of a back's codes (`fine`: an image in which a back's would be read)."""
    if len(texts) > 1 + MAX_SEALED_PARTS or any(len(t) > MAX_CODE_CHARS for t in texts):
        return verdict(Status.UNKNOWN, Reason.UNREADABLE, source=source)  # more than a back can carry
    signed = [t for t in texts if t.startswith(SIGNED_PREFIX)]
    sealed = [t for t in texts if t.startswith(SEALED_PREFIX)]
    if not signed:  # from an image: none or only some of the codes were read
        hint = (unread_hint(texts, fine=fine),) if source == "image" else ()
        return verdict(Status.UNKNOWN, Reason.UNREADABLE, *hint, source=source)
    try:
        message = parse_sign1(parse_signed(signed[0]))
    except (ClaimsError, CoseError):
        return verdict(Status.UNKNOWN, Reason.UNREADABLE, source=source)
    found = trust.cose_key(message.kid)
    if found is None:
        return verdict(Status.UNKNOWN, Reason.KEY_UNKNOWN, source=source)
    code, public_key = found
    if not verify_sign1(message, public_key):
        return verdict(Status.ALTERED, Reason.SIGNATURE_MISMATCH, source=source)
    try:
        claims = SignedClaims.from_cbor(message.payload)
    except ClaimsError:
        return verdict(Status.UNKNOWN, Reason.UNSUPPORTED, source=source)
    if claims.municipality_code != code:
        return verdict(Status.ALTERED, Reason.SIGNATURE_MISMATCH, source=source, claims=claims)

    if register is not None:
        entry = register.lookup(claims.unique_number)
        if entry is None:
            return verdict(Status.UNKNOWN, Reason.DOCUMENT_UNKNOWN, source=source, claims=claims)
        recorded = (entry.municipality_code, entry.kind, entry.issued_on, entry.content_digest)
        signed_facts = (code, claims.kind.value, claims.issued_on, claims.content_digest.hex())
        if recorded != signed_facts:
            return verdict(Status.ALTERED, Reason.CONTENT_ALTERED, source=source, claims=claims)
        if entry.revoked:
            return verdict(Status.REVOKED, Reason.DOCUMENT_REVOKED, source=source, claims=claims)
    if today > claims.verifiable_until:
        return verdict(Status.EXPIRED, Reason.DOCUMENT_EXPIRED, source=source, claims=claims)
    seal_only = verdict(Status.SEAL_ONLY, Reason.CONTENT_UNREADABLE, source=source, claims=claims)
    if not sealed:
        return seal_only
    try:
        joined = join_sealed(sealed)
    except IncompleteCopyError:
        return seal_only
    except ClaimsError:
        return verdict(Status.ALTERED, Reason.CONTENT_ALTERED, source=source, claims=claims)
    key = trust.verifier_key(code)
    if key is None:  # this service cannot open the copy: a configuration fault, not a changed paper
        log.warning("no verifier key to open the encrypted copy", municipality=code)
        return seal_only
    try:
        plaintext = open_sealed(joined, key, claims.unique_number.encode())
    except SealedError:
        return verdict(Status.ALTERED, Reason.CONTENT_ALTERED, source=source, claims=claims)
    if codec.hash_bytes(plaintext) != claims.content_digest:
        return verdict(Status.ALTERED, Reason.CONTENT_ALTERED, source=source, claims=claims)
    try:
        content = codec.decode(plaintext)
    except codec.CodecError:
        return verdict(Status.UNKNOWN, Reason.UNSUPPORTED, source=source, claims=claims)
    return Verdict(Status.GENUINE, (), source, claims, content)


def unread_hint(texts: Sequence[str], *, fine: bool) -> Reason:
    """What to do about an image without the signed code: scan again, photograph the back, or nothing.

    Some of a back's codes read: too coarse. Only others' codes: not a certificate. None in a fine
    image: the front (or something else) was photographed. None in a coarse one: too coarse.
    """
    if any(t.startswith((SIGNED_PREFIX, SEALED_PREFIX)) for t in texts):
        return Reason.RESCAN_300_DPI
    if texts:
        return Reason.NOT_A_CERTIFICATE
    return Reason.PHOTO_THE_BACK if fine else Reason.RESCAN_300_DPI


def verify_file(path: Path, **kwargs: object) -> Verdict:
    """`verify_bytes` on a file's bytes."""
    return verify_bytes(path.read_bytes(), **kwargs)  # type: ignore[arg-type]
