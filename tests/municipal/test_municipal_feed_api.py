"""Issue 25: the change feed through the municipal server's API, `POST /v1/changes`, for the
municipality's own office systems only (T1: every other caller is refused at the door).

The body is the file `kofu village apply` takes (CSV, UTF-8 with or without a BOM, or cp932; JSON
Lines), its format named by Content-Type; applied all or nothing, each event ID once, pending until its
time (LAG-1); every file audited once, with its count of events and never its content.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from kofu.audit.log import read_pending
from kofu.municipal import MunicipalConfig
from kofu.municipal.app import CHANGES, FEED_MAX_BODY, create_app
from kofu.municipal.schema import migrate_municipal
from kofu.municipal.service import MunicipalService
from kofu.netpki import authority
from kofu.netpki.roles import Role
from kofu.registry import repository
from kofu.registry.cases import find_person
from kofu.registry.models import Change, PersonStop
from kofu.registry.village import generate_village
from kofu.rules.calendar import today_jst
from kofu.verify.key import verifier_key
from kofu.wire.bodylimit import MAX_BODY
from kofu.wire.feed import FeedApplied, FeedRefusal
from kofu.wire.statements import center_key_path, signing_key
from party_support import PeerCertificate

OFFICE_NAME = "office-ohira"
HEADER = "event_id,kind,person_id,effective_at,address,stopped_kind"
NEW_ADDRESS = "宮城県黒川郡大衡村大衡字平林10番地"


@pytest.fixture(scope="module")
def village_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small generated village with the municipal server's tables, made once for this module."""
    path = tmp_path_factory.mktemp("feed-api") / "village.db"
    url = f"sqlite:///{path}"
    generate_village(url, 80, 7, "ohira", today=today_jst(datetime.now(UTC)), count_cases=False)
    migrate_municipal(url)
    return path


@dataclass
class Server:
    """Ōhira's municipal app on a copy of the village, and a certificate (DER) per caller's role."""

    app: FastAPI
    service: MunicipalService
    certificates: dict[Role, bytes]
    adult: str

    def client(self, role: Role) -> TestClient:
        return TestClient(PeerCertificate(self.app, self.certificates[role]), raise_server_exceptions=False)

    def post(self, body: bytes, content_type: str, role: Role = Role.OFFICE) -> tuple[int, bytes]:
        reply = self.client(role).post(CHANGES, content=body, headers={"content-type": content_type})
        return reply.status_code, reply.content

    def fed(self) -> int:
        """Change events filed by the feed (journal rows with an event ID)."""
        with self.service.registry_sessions() as s:
            query = select(func.count()).select_from(Change).where(Change.event_id.is_not(None))
            return int(s.scalar(query) or 0)

    def audited(self) -> list[tuple[str, str, str, str]]:
        """(actor, action, subject, outcome) of this server's recorded changes decisions."""
        with self.service.own_sessions() as s:
            rows = [r.event for r in read_pending(s)]
        return [
            (e.actor, e.action, e.subject, e.outcome)
            for e in rows
            if e is not None and e.action == "municipal.changes"
        ]


def _der(path: Path) -> bytes:
    return x509.load_pem_x509_certificate(path.read_bytes()).public_bytes(serialization.Encoding.DER)


@pytest.fixture
def server(kofu_home: Path, village_file: Path, tmp_path: Path) -> Iterator[Server]:
    path = tmp_path / "village.db"
    shutil.copyfile(village_file, path)
    signing_key(center_key_path(kofu_home))  # the center's statement key, which the server trusts
    verifier_key(kofu_home)  # the verification service's public key, which the server needs
    authority.create_ca(kofu_home)
    certificates = {
        Role.OFFICE: _der(authority.issue_server(kofu_home, OFFICE_NAME, role=Role.OFFICE).cert_path),
        Role.CENTER: _der(authority.issue_server(kofu_home, "center").cert_path),
    }
    config = MunicipalConfig(registry_url=f"sqlite:///{path}", rulebook="ohira", home=kofu_home)
    service = MunicipalService(config)
    app = create_app(config, service=service)  # the network gate: the role a certificate proves
    with service.registry_sessions() as s:
        adult = find_person(s, "adult_resident", today=today_jst(datetime.now(UTC)))
    try:
        yield Server(app, service, certificates, adult)
    finally:
        service.close()


def _today() -> date:
    return today_jst(datetime.now(UTC))


def _csv(*rows: str) -> bytes:
    return ("\r\n".join([HEADER, *rows]) + "\r\n").encode("utf-8-sig")


def test_issue_25_csv_with_bom_applied_through_the_api_lag_1_pending_until_its_time(server: Server) -> None:
    """A CSV (Excel's UTF-8 with BOM) posted by the office: a move effective today is reflected at once,
    a kind stop from tomorrow is pending; the answer counts them; one audit entry names the office
    system and the count, never the content."""
    tomorrow = (_today() + timedelta(days=1)).isoformat()
    body = _csv(
        f"c-1,move_within,{server.adult},{_today().isoformat()},{NEW_ADDRESS},",
        f"c-2,kind_stop_start,{server.adult},{tomorrow},,kazei",
    )
    status, content = server.post(body, "text/csv; charset=utf-8")
    assert status == 200, content
    applied = FeedApplied.read(content)
    assert applied is not None
    assert (applied.filed, applied.already_applied, applied.reflected, applied.pending) == (2, 0, 1, 1)
    assert applied.by_kind == {"kind_stop_start": 1, "move_within": 1}
    snap = repository.read_snapshot(server.service.registry, server.adult)
    assert snap is not None and snap.person.address is not None
    assert snap.person.address.address == NEW_ADDRESS
    [(actor, action, subject, outcome)] = server.audited()
    assert (actor, action, outcome) == (f"office:{OFFICE_NAME}", "municipal.changes", "allowed")
    assert "events:2" in subject.split() and "municipality:044245" in subject.split()
    assert NEW_ADDRESS not in subject and server.adult not in subject


def test_issue_25_json_lines_filed_by_the_office_certificate_and_idempotent_by_event_id(
    server: Server,
) -> None:
    """JSON Lines (both media types): the stop it files is set by the office system its certificate
    names; the same file again applies nothing new (each event ID once)."""
    events = [
        {
            "event_id": "j-1",
            "kind": "kind_stop_start",
            "person_id": server.adult,
            "effective_at": _today().isoformat(),
            "stopped_kind": "inkan",
        },
        {
            "event_id": "j-2",
            "kind": "move_within",
            "person_id": server.adult,
            "effective_at": (_today() + timedelta(days=3)).isoformat(),
            "address": NEW_ADDRESS,
        },
    ]
    body = "\n".join(json.dumps(e, ensure_ascii=False) for e in events).encode()
    status, content = server.post(body, "application/jsonl")
    assert status == 200, content
    first = FeedApplied.read(content)
    assert first is not None and (first.filed, first.reflected, first.pending) == (2, 1, 1)
    with server.service.registry_sessions() as s:
        stops = s.scalars(select(PersonStop.kind).where(PersonStop.set_by == OFFICE_NAME)).all()
        assert stops == ["inkan"]
    status, content = server.post(body, "application/x-ndjson")
    assert status == 200, content
    again = FeedApplied.read(content)
    assert again is not None and (again.filed, again.already_applied, again.reflected) == (0, 2, 0)
    assert server.fed() == 2
    assert [s.split()[-1] for _a, _x, s, _o in server.audited()] == ["events:2", "events:2"]


def test_issue_25_a_bad_row_refuses_the_whole_file_422_naming_line_and_field(server: Server) -> None:
    """All or nothing: one bad date on line 3 refuses the file (422 feed_refused, the problem by line
    and field); the good event on line 2 is not applied; the refusal is audited with its counts."""
    body = _csv(
        f"b-1,move_within,{server.adult},{_today().isoformat()},{NEW_ADDRESS},",
        f"b-2,move_out,{server.adult},2026-13-45,,",
    )
    status, content = server.post(body, "text/csv")
    assert status == 422, content
    refusal = FeedRefusal.read(content)
    assert refusal is not None and refusal.reason == "feed_refused"
    assert refusal.message_ja and refusal.message_en
    assert [(p.line, p.field) for p in refusal.problems] == [(3, "effective_at")]
    assert server.fed() == 0
    snap = repository.read_snapshot(server.service.registry, server.adult)
    assert snap is not None and snap.person.address is not None
    assert snap.person.address.address != NEW_ADDRESS
    [(_actor, _action, subject, outcome)] = server.audited()
    assert outcome == "feed_refused" and {"events:1", "problems:1"} <= set(subject.split())


def test_issue_25_a_person_the_registry_lacks_refuses_the_file_when_filed(server: Server) -> None:
    """A well-formed event about no one here is refused at filing (line, person_id); nothing is kept."""
    body = _csv(
        f"p-1,move_within,{server.adult},{_today().isoformat()},{NEW_ADDRESS},",
        f"p-2,death,044245-9999999,{_today().isoformat()},,",
    )
    status, content = server.post(body, "text/csv")
    assert status == 422, content
    refusal = FeedRefusal.read(content)
    assert refusal is not None and [(p.line, p.field) for p in refusal.problems] == [(3, "person_id")]
    assert server.fed() == 0


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", "application/octet-stream", ""])
def test_issue_25_a_body_in_another_format_is_415_unsupported(server: Server, content_type: str) -> None:
    """Only text/csv and JSON Lines are files of change events; anything else is 415 unsupported."""
    body = _csv(f"u-1,death,{server.adult},{_today().isoformat()},,")
    status, content = server.post(body, content_type)
    assert status == 415, content
    assert json.loads(content)["reason"] == "unsupported"
    assert server.fed() == 0 and server.audited() == []


def test_issue_25_t1_the_center_may_not_post_changes_403(server: Server) -> None:
    """T1: the center's certificate (and plain HTTP, where a caller has the center's role) is refused at
    the door: the route is the municipality's office systems' only."""
    body = _csv(f"r-1,death,{server.adult},{_today().isoformat()},,")
    status, content = server.post(body, "text/csv", role=Role.CENTER)
    assert status == 403 and json.loads(content)["reason"] == "caller_not_allowed"
    plain = TestClient(server.app).post(CHANGES, content=body, headers={"content-type": "text/csv"})
    assert plain.status_code == 403 and plain.json()["reason"] == "caller_not_allowed"
    assert server.fed() == 0


def test_issue_25_bodies_a_change_file_has_its_own_bounded_cap(server: Server) -> None:
    """Bodies: a change file may pass the API's 64 KiB (its own cap, FEED_MAX_BODY), a body past that
    cap is refused 413 unread, and every other route keeps 64 KiB."""
    padding = b"\r\n" * (MAX_BODY // 2 + 1)  # blank lines: a file past 64 KiB with one event
    body = _csv(f"s-1,kind_stop_start,{server.adult},{_today().isoformat()},,fuhyo") + padding
    assert MAX_BODY < len(body) < FEED_MAX_BODY
    status, content = server.post(body, "text/csv")
    assert status == 200, content
    oversized = _csv() + b"\r\n" * (FEED_MAX_BODY // 2)
    assert len(oversized) > FEED_MAX_BODY
    status, content = server.post(oversized, "text/csv")
    assert status == 413 and json.loads(content)["reason"] == "bad_request"
    menu = server.client(Role.CENTER).post(
        "/v1/menu", content=b" " * (MAX_BODY + 1), headers={"content-type": "application/json"}
    )
    assert menu.status_code == 413
    assert server.fed() == 1 and len(server.audited()) == 1


def test_issue_25_the_route_documents_its_file_and_every_answer(server: Server) -> None:
    """OpenAPI: the body is the file in one of its media types; each answer is documented (the 422 as
    the refusal listing the problems)."""
    operation = server.app.openapi()["paths"][CHANGES]["post"]
    assert set(operation["requestBody"]["content"]) == {
        "text/csv",
        "application/jsonl",
        "application/x-ndjson",
    }
    assert set(operation["responses"]) == {"200", "400", "403", "413", "415", "422", "503"}
    assert operation["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/FeedRefusal"
    )
