"""Oversized bodies, wrong content types, broken JSON (issue 6 §3): a 4xx with a reason, nothing written."""

from __future__ import annotations

import json

import pytest
from hostile_world import TERMINAL, HostileWorld, is_refusal, key

OPEN = "/v1/sessions"

BAD_BODIES: dict[str, tuple[bytes, str]] = {
    "text_plain": (json.dumps({"terminal_id": TERMINAL, "request_key": "k" * 16}).encode(), "text/plain"),
    "form": (b"terminal_id=T-0001&request_key=kkkkkkkkkkkk", "application/x-www-form-urlencoded"),
    "xml": (b"<session><terminal_id>T-0001</terminal_id></session>", "application/xml"),
    "multipart": (b"--x\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--x--", "multipart/form-data"),
    "no_type": (json.dumps({"terminal_id": TERMINAL, "request_key": "k" * 16}).encode(), ""),
    "invalid_utf8": (b'{"terminal_id": "\xff\xfe", "request_key": "kkkkkkkkkkkk"}', "application/json"),
    "truncated_json": (b'{"terminal_id": "T-0001", "request_key": "kkkk', "application/json"),
    "json_array": (b"[1, 2, 3]", "application/json"),
    "json_null": (b"null", "application/json"),
    "deeply_nested": (b"[" * 100_000 + b"]" * 100_000, "application/json"),
    "huge_number": (b'{"terminal_id": 1e999999, "request_key": "kkkkkkkkkkkk"}', "application/json"),
    "duplicate_keys": (
        b'{"terminal_id": "T-0001", "terminal_id": "T-0002", "request_key": "kkkkkkkkkkkk", "x": 1}',
        "application/json",
    ),
    "oversized_8mib": (
        json.dumps({"terminal_id": TERMINAL, "request_key": "k" * (8 << 20)}).encode(),
        "application/json",
    ),
}
# 700 kB of unknown fields: refused (400), but pydantic builds one error per field first (seconds of CPU)
MANY_FIELDS = json.dumps({f"f{i}": i for i in range(50_000)}).encode()


def test_bad_bodies_to_the_center_are_refused(world: HostileWorld) -> None:
    """Each body is a 4xx with a reason code, and no session (or anything else) is written."""
    before = world.row_counts()
    problems = []
    for case, (content, content_type) in sorted(BAD_BODIES.items()):
        headers = {"content-type": content_type} if content_type else {}
        reply = world.center.post(OPEN, content=content, headers=headers)
        if not is_refusal(reply):
            problems.append((case, reply.status_code, reply.text[:200]))
    assert not problems
    assert world.row_counts() == before
    # the control: the same route with a good body opens a session (and writes)
    assert world.center.post(OPEN, json={"terminal_id": TERMINAL, "request_key": key()}).status_code == 200
    assert world.row_counts() != before


def test_bad_bodies_to_the_municipal_server_are_refused(world: HostileWorld) -> None:
    before = world.row_counts()
    for case in ("text_plain", "xml", "invalid_utf8", "deeply_nested", "oversized_8mib", "json_null"):
        content, content_type = BAD_BODIES[case]
        for route in ("/v1/menu", "/v1/render", "/v1/registrations"):
            reply = world.municipal.post(route, content=content, headers={"content-type": content_type})
            assert is_refusal(reply), (case, route, reply.status_code, reply.text[:200])
    assert world.row_counts() == before


@pytest.mark.parametrize(
    "content", [BAD_BODIES["oversized_8mib"][0], MANY_FIELDS], ids=["8mib", "many_fields"]
)
def test_an_oversized_body_is_refused_with_413(world: HostileWorld, content: bytes) -> None:
    """Past a size limit the body is refused unread: 413 with a reason."""
    reply = world.center.post(OPEN, content=content, headers={"content-type": "application/json"})
    assert reply.status_code == 413 and is_refusal(reply)
