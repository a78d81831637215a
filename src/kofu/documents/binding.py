"""The printer's check that a document belongs to its own session (INC-1, 2, 3, 7, 8).

The order ID and the requester's certificate digest are in the PDF's information dictionary and in
the signed code's payload; both must match what the kiosk session holds, or the print is refused.
"""

from __future__ import annotations

import hmac

from kofu.documents.claims import ClaimsError, SignedClaims, parse_signed
from kofu.documents.cose import CoseError, parse_sign1
from kofu.documents.info import ORDER_KEY, REQUESTER_KEY, SIGNED_KEY
from kofu.documents.info_read import info_entries  # qpdf: loaded with the app, not in its first request
from kofu.rules.decision import Allowed, Decision, Refused
from kofu.rules.reasons import Reason


def bound_to(pdf: bytes) -> tuple[str, str] | None:
    """(order ID, requester digest) a document is bound to, if both places agree; None otherwise."""
    try:
        entries = info_entries(pdf)
        claims = SignedClaims.from_cbor(parse_sign1(parse_signed(entries[SIGNED_KEY])).payload)
    except (KeyError, ClaimsError, CoseError, ValueError):
        return None
    except Exception:  # a file qpdf cannot parse at all
        return None
    info = (entries.get(ORDER_KEY, ""), entries.get(REQUESTER_KEY, ""))
    if info != (claims.order_id, claims.requester_cert_digest):
        return None
    return info


def check_binding(pdf: bytes, order_id: str, requester_cert_digest: str) -> Decision:
    """Allowed when `pdf` is bound to this order and requester; Refused(document_not_bound) otherwise."""
    bound = bound_to(pdf)
    if bound is None:
        return Refused(Reason.UNREADABLE)
    same_order = hmac.compare_digest(bound[0].encode(), order_id.encode())
    same_requester = hmac.compare_digest(bound[1].lower().encode(), requester_cert_digest.lower().encode())
    if same_order and same_requester:
        return Allowed()
    return Refused(Reason.DOCUMENT_NOT_BOUND)
