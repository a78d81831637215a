"""The printer's binding check (INC-1, INC-2, INC-3, INC-7, INC-8)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from kofu.documents.binding import bound_to, check_binding
from kofu.documents.content import Content
from kofu.rules.decision import Allowed, Refused
from kofu.rules.reasons import Reason


def test_binding_allows_only_the_own_order_and_requester_inc1_inc2_inc7_inc8(
    rendered: Callable[[str], bytes], contents: dict[str, Content]
) -> None:
    pdf = rendered("juminhyo_whole")
    header = contents["juminhyo_whole"].header
    assert bound_to(pdf) == (header.order_id, header.requester_cert_digest)
    assert isinstance(check_binding(pdf, header.order_id, header.requester_cert_digest), Allowed)
    other = hashlib.sha256(b"someone else").hexdigest()
    assert check_binding(pdf, header.order_id, other) == Refused(Reason.DOCUMENT_NOT_BOUND)
    assert check_binding(pdf, "another-order", header.requester_cert_digest) == Refused(
        Reason.DOCUMENT_NOT_BOUND
    )


def test_binding_refuses_what_is_not_a_kofu_document() -> None:
    assert check_binding(b"%PDF-1.4 nonsense", "o", "r") == Refused(Reason.UNREADABLE)
