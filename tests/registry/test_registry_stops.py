"""Per-person stops in the registry: set by staff, read into every snapshot that could print the person,
refused by the composer itself, lifted (never deleted), and the staff commands that do it."""

from __future__ import annotations

import hashlib
from datetime import datetime

import pytest
from registry_support import TODAY, Village
from sqlalchemy import select
from typer.testing import CliRunner

from kofu.municipal.compose import Choice, Issuance, compose
from kofu.registry import repository
from kofu.registry.cases import find_person
from kofu.registry.errors import RegistryError
from kofu.registry.facts import person_facts
from kofu.registry.models import PersonStop
from kofu.registry.records import PersonSnapshot
from kofu.registry.stops import lift_stop, set_stop
from kofu.rules.calendar import JST
from kofu.rules.decision import Allowed, Refused
from kofu.rules.facts import CardFacts
from kofu.rules.kinds import Kind
from kofu.rules.menu import menu
from kofu.rules.paging import make_document_number
from kofu.rules.reasons import Reason
from kofu.rules.rulebook import load_rulebook

OHIRA = load_rulebook("ohira")
CARD = CardFacts(credential="card", handed_over_on=TODAY.replace(year=TODAY.year - 2))
NOON = datetime(TODAY.year, TODAY.month, TODAY.day, 12, 0, tzinfo=JST)


def _issuance() -> Issuance:
    return Issuance(
        rulebook=OHIRA,
        issued_on=TODAY,
        unique_number=make_document_number(OHIRA.code, TODAY, 1),
        order_id="order-1",
        requester_cert_digest=hashlib.sha256(b"requester").hexdigest(),
    )


def _snapshot(village: Village, pid: str) -> PersonSnapshot:
    snap = repository.read_snapshot(village.engine, pid)
    assert snap is not None
    return snap


def _household(village: Village) -> tuple[str, str]:
    with village.session() as s:
        head = find_person(s, "household_head_with_members", today=TODAY)
        other = next(m.person_id for m in repository.household_members(s, head) if m.person_id != head)
    return head, other


def test_stop_a_protected_member_is_never_composed_into_a_household_certificate(village: Village) -> None:
    head, protected = _household(village)
    with village.session() as s, s.begin():
        set_stop(s, protected, cause="support_measure", kind=None, since=TODAY, by="staff-7")
    snap = _snapshot(village, head)
    facts = person_facts(snap)
    assert {k for who, k in facts.kiosk_stops if who == protected} == set(Kind)
    offer = menu(OHIRA, facts, CARD, Kind.JUMINHYO, NOON)
    assert isinstance(offer, Allowed) and protected not in offer.choices.members
    # the composer refuses on its own, whatever a caller asks for
    for members in (None, (head, protected), (protected,)):
        refused = compose(snap, Choice(Kind.JUMINHYO, members=members), _issuance())
        assert isinstance(refused, Refused) and refused.reason is Reason.NOT_AVAILABLE_AT_KIOSK, members
    own = compose(snap, Choice(Kind.JUMINHYO, members=(head,)), _issuance())
    assert not isinstance(own, Refused)
    with village.session() as s, s.begin():
        lift_stop(s, protected, cause="support_measure", kind=None, on=TODAY, by="staff-8")
    lifted = compose(_snapshot(village, head), Choice(Kind.JUMINHYO, members=None), _issuance())
    assert not isinstance(lifted, Refused)
    with village.session() as s:
        row = s.scalars(select(PersonStop)).one()  # lifted, kept, with who did what
        assert (row.set_by, row.lifted_by, row.lifted_on) == ("staff-7", "staff-8", TODAY)


def test_stop_a_kind_turned_off_for_the_requester(village: Village) -> None:
    head, _ = _household(village)
    with village.session() as s, s.begin():
        set_stop(s, head, cause="village", kind="juminhyo", since=TODAY, by="staff-7")
        set_stop(s, head, cause="village", kind="inkan", since=TODAY, by="staff-7")
    snap = _snapshot(village, head)
    refused = compose(snap, Choice(Kind.JUMINHYO, members=(head,)), _issuance())
    assert isinstance(refused, Refused) and refused.reason is Reason.NOT_AVAILABLE_AT_KIOSK
    with village.session() as s, s.begin():
        lift_stop(s, head, cause="village", kind="juminhyo", on=TODAY, by="staff-7")
    own = compose(_snapshot(village, head), Choice(Kind.JUMINHYO, members=(head,)), _issuance())
    assert not isinstance(own, Refused)  # the inkan stop leaves the 住民票 alone


@pytest.mark.parametrize(
    ("cause", "kind", "by", "code"),
    [
        ("support_measure", "inkan", "staff-7", "bad_request"),  # a support measure stops every kind
        ("village", None, "staff-7", "bad_request"),
        ("village", "kojin_bango", "staff-7", "bad_request"),
        ("village", "inkan", "  ", "bad_request"),
    ],
)
def test_stop_malformed_stops_are_refused(
    village: Village, cause: str, kind: str | None, by: str, code: str
) -> None:
    head, _ = _household(village)
    with village.session() as s, s.begin(), pytest.raises(RegistryError) as err:
        set_stop(s, head, cause=cause, kind=kind, since=TODAY, by=by)
    assert err.value.code == code


def test_stop_setting_twice_keeps_one_and_lifting_none_says_so(village: Village) -> None:
    head, _ = _household(village)
    with village.session() as s, s.begin():
        first = set_stop(s, head, cause="support_measure", kind=None, since=TODAY, by="staff-7")
        assert set_stop(s, head, cause="support_measure", kind=None, since=TODAY, by="staff-9") == first
    with village.session() as s, s.begin(), pytest.raises(RegistryError) as err:
        lift_stop(s, head, cause="village", kind="kazei", on=TODAY, by="staff-7")
    assert err.value.code == "stop_unknown"
    with village.session() as s, s.begin(), pytest.raises(RegistryError) as err:
        set_stop(s, "044245-9999999", cause="support_measure", kind=None, since=TODAY, by="staff-7")
    assert err.value.code == "person_unknown"


def test_stop_staff_commands_stop_list_and_lift(village: Village) -> None:
    from kofu.municipal.cli import app

    head, _ = _household(village)
    runner = CliRunner()
    db = ["--db", village.url]
    assert runner.invoke(app, ["stop", head, *db]).exit_code == 2  # --staff is required
    done = runner.invoke(app, ["stop", head, "--staff", "staff-7", *db])
    assert done.exit_code == 0, done.output
    listed = runner.invoke(app, ["stops", *db])
    assert f"{head}\tevery kind\t" in listed.output and "staff-7" in listed.output
    bad = runner.invoke(app, ["stop", head, "--kind", "mynumber", "--staff", "staff-7", *db])
    assert bad.exit_code == 1 and "bad_request" in bad.output
    lifted = runner.invoke(app, ["lift", head, "--staff", "staff-8", *db])
    assert lifted.exit_code == 0, lifted.output
    assert head not in runner.invoke(app, ["stops", *db]).output
