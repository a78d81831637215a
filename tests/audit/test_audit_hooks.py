"""Decisions of the hooked use cases land in the audit chain, and no certificate content does (SEC-4).

Order steps (kofu.center.orders), authentication refusals (kofu.center.auth), staff actions and PIN-2
refusals (kofu.office), each through its real API with an audit log attached to its session factory.
"""

from __future__ import annotations

import multiprocessing
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

import pytest
from audit_helpers import check, pending
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from kofu.audit.log import AuditLog, attach_audit
from kofu.audit.schema import migrate_audit
from kofu.center import orders, registers
from kofu.center.orders import Receipt
from kofu.center.schema import migrate_center
from kofu.db import make_engine, session_factory, transaction
from kofu.rules.decision import Refused
from kofu.rules.kinds import Kind

NOON = datetime(2026, 4, 1, 3, 0, tzinfo=UTC)  # a Wednesday, 12:00 JST
OHIRA = "044245"
TERMINAL = "T-SEJ-0001"
DIGEST = "ab" * 32


def _seed(url: str) -> None:
    migrate_center(url)
    migrate_audit(url)
    engine = make_engine(url)
    with transaction(session_factory(engine)) as s:
        registers.add_terminal(
            s, terminal_id=TERMINAL, chain="seven_eleven", store_code="S001", store_name="大衡店", now=NOON
        )
        registers.add_municipality(
            s, code=OHIRA, name_ja="大衡村", name_en="Ohira", base_url="https://127.0.0.1:9001", now=NOON
        )
    engine.dispose()


@pytest.fixture
def center(db_url: str) -> Iterator[sessionmaker[Session]]:
    """A center database with the audit tables and an audit log attached, on SQLite and PostgreSQL."""
    _seed(db_url)
    engine = make_engine(db_url)
    yield attach_audit(session_factory(engine), AuditLog())
    engine.dispose()


def _entries(factory: sessionmaker[Session]) -> list[tuple[str, str, str, str]]:
    AuditLog().chain(factory)  # what the center's chainer does a fraction of a second after commit
    with factory() as s:
        rows = s.execute(text("SELECT actor, action, subject, outcome FROM audit_entries ORDER BY seq"))
        return [tuple(r) for r in rows]


def _flow(factory: sessionmaker[Session], session_id: str, *, now: datetime = NOON) -> uuid.UUID:
    """Quote, pay, render and confirm one order; return its id."""
    step: dict[str, Any] = {"session_id": session_id, "terminal_id": TERMINAL, "now": now}
    quoted = orders.quote(
        factory,
        **step,
        municipality_code=OHIRA,
        kind=Kind.JUMINHYO,
        copies=1,
        unit_fee=200,
        requester_cert_digest=DIGEST,
        request_key=uuid.uuid4().hex,
    )
    assert isinstance(quoted, Receipt), quoted
    oid = quoted.order_id
    assert isinstance(
        orders.pay(factory, **step, order_id=oid, cash=500, request_key=uuid.uuid4().hex), Receipt
    )
    rendered = orders.mark_rendered(
        factory,
        **step,
        order_id=oid,
        request_key=uuid.uuid4().hex,
        bound_order_id=oid,
        bound_requester_digest=DIGEST,
        document_digest="cd" * 32,
    )
    assert isinstance(rendered, Receipt), rendered
    done = orders.confirm_print(factory, **step, order_id=oid, request_key=uuid.uuid4().hex)
    assert isinstance(done, Receipt), done
    return oid


def test_audit_order_steps_and_refusals_are_chained(center: sessionmaker[Session], db_url: str) -> None:
    """audit: every order step and every refusal is one entry; a replayed request adds none."""
    oid = _flow(center, "sess-a")
    key = uuid.uuid4().hex
    step: dict[str, Any] = {"session_id": "sess-a", "terminal_id": TERMINAL, "now": NOON}
    assert isinstance(orders.void(center, **step, order_id=oid, request_key=key), Refused)  # charged already
    wrong = orders.pay(center, **{**step, "session_id": "sess-b"}, order_id=oid, cash=500, request_key=key)
    assert isinstance(wrong, Refused)
    too_many = orders.quote(
        center,
        **step,
        municipality_code=OHIRA,
        kind=Kind.JUMINHYO,
        copies=99,
        unit_fee=200,
        requester_cert_digest=DIGEST,
        request_key=uuid.uuid4().hex,
    )
    assert isinstance(too_many, Refused)
    order = f"order:{oid}"
    assert _entries(center) == [
        (f"terminal:{TERMINAL}", "order.quote", order, "allowed"),
        (f"terminal:{TERMINAL}", "order.pay", order, "allowed"),
        (f"terminal:{TERMINAL}", "order.render", order, "allowed"),
        (f"terminal:{TERMINAL}", "order.confirm", order, "allowed"),
        (f"terminal:{TERMINAL}", "order.void", order, "order_state_conflict"),
        (f"terminal:{TERMINAL}", "order.pay", order, "order_wrong_session"),
        (f"terminal:{TERMINAL}", "order.quote", "", "too_many_copies"),
    ]
    assert check(db_url).ok


def test_audit_recovery_of_a_stale_order_is_chained(center: sessionmaker[Session]) -> None:
    quoted = orders.quote(
        center,
        session_id="s",
        terminal_id=TERMINAL,
        municipality_code=OHIRA,
        kind=Kind.JUMINHYO,
        copies=1,
        unit_fee=200,
        requester_cert_digest=DIGEST,
        request_key=uuid.uuid4().hex,
        now=NOON,
    )
    assert isinstance(quoted, Receipt)
    assert len(orders.recover_stale(center, NOON + timedelta(hours=1))) == 1
    assert _entries(center)[-1] == ("system:recovery", "order.recover", f"order:{quoted.order_id}", "allowed")


def _orders_worker(url: str, worker: int, n: int) -> None:
    from kofu.audit.chainer import AuditChainer

    engine = make_engine(url)
    factory = attach_audit(session_factory(engine), AuditLog())
    chainer = AuditChainer(AuditLog(), factory, interval_s=0.005)  # as in each center worker, but faster
    chainer.start()
    for i in range(n):
        _flow(factory, f"sess-{worker}-{i}")
    chainer.stop()
    engine.dispose()


def test_audit_orders_from_two_worker_processes_keep_one_chain(db_url: str) -> None:
    """audit: two worker processes running order flows and chaining at once; one unbroken chain."""
    _seed(db_url)
    per = 6
    ctx = multiprocessing.get_context("fork")
    workers = [ctx.Process(target=_orders_worker, args=(db_url, w, per)) for w in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
        assert w.exitcode == 0
    report = check(db_url)
    assert report.ok, report.problems
    assert report.count == 2 * per * 4  # 4 entries per order, none lost or doubled
    assert pending(db_url) == 0


# --- SEC-4: a village person's name and address fed into every hooked API never reach the audit table


@pytest.fixture(scope="module")
def villager() -> tuple[str, str, str, str]:
    """A generated villager's family name, given name, full name and address."""
    from kofu.registry.generator import generate_rows

    rows = generate_rows(3, 11, date(2026, 4, 1))
    person = rows.tables["persons"][0]
    address = next(a["address"] for a in rows.tables["addresses"] if a["person_fk"] == person["id"])
    family, given = person["family_name"], person["given_name"]
    return family, given, f"{family} {given}", address


def _auth_ca() -> Any:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test auth CA")])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(NOON - timedelta(days=1))
        .not_valid_after(NOON + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )


def test_audit_SEC_4_no_name_or_address_reaches_the_audit_table(
    center: sessionmaker[Session], db_url: str, villager: tuple[str, str, str, str]
) -> None:
    """SEC-4: names and addresses given as terminal, session, staff and person ids are never kept."""
    from kofu.center.auth.authenticator import Authenticator, AuthResponse
    from kofu.center.auth.cards import MemoryCardRecords
    from kofu.center.auth.certificates import CertificateChecker
    from kofu.center.auth.schema import migrate_center_auth
    from kofu.office.pin_reset import office_reset
    from kofu.office.schema import migrate_office
    from kofu.office.staff import ROLE_PIN_RESET, add_staff, record_identity_check

    family, given, full, address = villager
    # Orders: the name as a terminal id, the address as a session id and request key.
    quoted = orders.quote(
        center,
        session_id=address,
        terminal_id=full,
        municipality_code=OHIRA,
        kind=Kind.JUMINHYO,
        copies=1,
        unit_fee=200,
        requester_cert_digest=DIGEST,
        request_key=address,
        now=NOON,
    )
    assert isinstance(quoted, Refused)
    # Authentication: a challenge for (address, name), answered with the name as a "certificate".
    migrate_center_auth(db_url)
    authenticator = Authenticator(
        center, CertificateChecker(_auth_ca()), cast(Any, None), MemoryCardRecords(), clock=lambda: NOON
    )
    challenge = authenticator.challenge(address, full)
    for value in (challenge.challenge, b"\0" * 32):
        response = AuthResponse(value, address, full, full.encode() + address.encode(), b"sig")
        assert isinstance(authenticator.authenticate(response), Refused)
    # Office: the name as a staff name and as a person id; a refused reset by an unauthorised clerk.
    migrate_office(db_url)
    with transaction(center) as s:
        add_staff(s, "s-001", full, {ROLE_PIN_RESET}, now=NOON)
        add_staff(s, address[:32], full, {"records"}, now=NOON)
        assert isinstance(
            record_identity_check(s, staff_id="s-001", person_id=full, document="x", now=NOON), Refused
        )
        checked = record_identity_check(s, staff_id="s-001", person_id=address, document="passport", now=NOON)
        assert isinstance(checked, int)
        refused = office_reset(
            s,
            cast(Any, None),
            cast(Any, None),
            staff_id=address[:32],
            identity_check_id=checked,
            which="pin",
            new_secret="1234",
            now=NOON,
        )
        assert isinstance(refused, Refused)
    entries = _entries(center)
    actions = [a for _, a, _, _ in entries]
    for wanted in ("order.quote", "auth.authenticate", "office.staff_add", "office.identity_check"):
        assert wanted in actions
    assert "office.reset_pin" in actions
    engine = make_engine(db_url)
    with engine.connect() as conn:
        dump = repr(conn.execute(text("SELECT * FROM audit_entries")).all())
        dump += repr(conn.execute(text("SELECT * FROM audit_pending")).all())
    engine.dispose()
    for secret in (family, given, full, address, address[:8], full.encode().hex()):
        assert secret not in dump
    assert check(db_url).ok
