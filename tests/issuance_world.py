"""The issuance world: every party wired together in one process, and the kiosk side's steps."""

from __future__ import annotations

import base64
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from kofu.card.biometric import SimulatedSensor, enroll
from kofu.card.client import JpkiClient
from kofu.card.inprocess import InProcessReader
from kofu.card.phone import PhoneReader
from kofu.center.app.schema import migrate_center_all
from kofu.chaos.stack import SIGN_PASSWORD as SIGN_PASSWORD  # what issue_card writes; tests sign with it
from kofu.chaos.stack import issue_card
from kofu.db import session_factory
from kofu.jpki.authority import init_authorities
from kofu.jpki.issuance import IssuedCredential
from kofu.jpki.schema import migrate_jpki
from kofu.municipal.schema import migrate_municipal
from kofu.registry.cases import find_person, find_persons
from kofu.registry.records import PersonSnapshot
from kofu.registry.repository import snapshot
from kofu.registry.village import generate_village
from kofu.rules.calendar import JST, is_office_day, office_offset
from kofu.verify.register import migrate_verify
from kofu.wire.challenge import challenge_message
from kofu.wire.credentials import CredentialKind
from party_support import in_process_parties

OHIRA = "044245"
TERMINAL = "T-0001"
OTHER_TERMINAL = "T-0002"
PIN = "1234"
SEED = 7
PERSONS = 200


@dataclass
class Clock:
    """A clock a test may set (None: the real time moved by `offset`)."""

    fixed: datetime | None = None
    offset: timedelta = timedelta(0)

    def __call__(self) -> datetime:
        return self.fixed or datetime.now(UTC) + self.offset


@dataclass
class Card:
    """A card issued to a village person, its file, and the person."""

    path: Path
    issued: IssuedCredential
    person_id: str


@dataclass
class Step:
    """A kiosk session as the test drives it."""

    session_id: str
    terminal_id: str
    keys: Callable[[], str]

    def steps(self, key: str | None = None) -> dict[str, str]:
        return {
            "session_id": self.session_id,
            "terminal_id": self.terminal_id,
            "request_key": key or self.keys(),
        }


@dataclass
class World:
    """Every party wired together on one database (each with its own tables and chain)."""

    db_url: str
    home: Path
    center: TestClient
    center_app: FastAPI
    municipal_app: FastAPI
    factory: sessionmaker[Session]
    authorities: Any
    clock: Clock
    municipal_clock: Clock
    jpki_factory: sessionmaker[Session]
    cards: list[Card] = field(default_factory=list)

    def person(self, case: str) -> str:
        with self.factory() as session:
            return find_person(session, case)

    def person_with(self, case: str, test: Callable[[PersonSnapshot], bool]) -> str:
        """The first person of `case` whose snapshot passes `test`."""
        with self.factory() as session:
            for person_id in find_persons(session, case):
                snap = snapshot(session, person_id)
                if snap is not None and test(snap):
                    return person_id
        raise LookupError(f"no person of case {case!r} passes the test")

    def issue(
        self,
        person_id: str,
        *,
        issued_at: datetime | None = None,
        credential: CredentialKind = "card",
        route: bool = True,
        pin: str = PIN,
        handed_over_on: date | None = None,
    ) -> Card:
        """Issue a card through the JPKI, write its file, link it in the registry and the center.

        `issued_at`: when its certificates are made (notBefore); `handed_over_on`: the 交付日 the village
        records (DAY-1), by default the Japan date of `issued_at`."""
        template = enroll(_face(person_id)) if credential == "phone" else None
        new = issue_card(
            person_id,
            self.home / "cards",
            authorities=self.authorities,
            jpki=self.jpki_factory,
            registry=self.factory,
            center=self.factory,
            at=issued_at or datetime.now(UTC) - timedelta(days=1),
            credential=credential,
            pin=pin,
            biometric_template=template,
            handed_over_on=handed_over_on,
            jushochi=OHIRA if route else None,  # not routed: recorded for DAY-1, no 住所地 to send it to
        )
        card = Card(new.path, new.issued, person_id)
        self.cards.append(card)
        return card

    def open(self, terminal_id: str = TERMINAL) -> tuple[Step, bytes]:
        reply = self.center.post("/v1/sessions", json={"terminal_id": terminal_id, "request_key": _key()})
        assert reply.status_code == 200, reply.text
        body = reply.json()
        return Step(body["session_id"], terminal_id, _key), base64.b64decode(body["challenge_b64"])

    def authenticate(self, card: Card, step: Step, challenge: bytes, pin: str = PIN) -> httpx.Response:
        """The kiosk's part: PIN to the card only, the card signs, the center checks."""
        phone = card.issued.credential == "phone"
        device = (
            PhoneReader(card.path, SimulatedSensor(_face(card.person_id)))
            if phone
            else InProcessReader(card.path)
        )
        with device as reader:
            client = JpkiClient(reader)
            cert = client.read_auth_certificate()
            signature = client.authenticate(
                challenge_message(challenge, step.session_id, step.terminal_id), None if phone else pin
            )
        return self.center.post(
            f"/v1/sessions/{step.session_id}/authenticate",
            json={
                "terminal_id": step.terminal_id,
                "certificate_b64": base64.b64encode(cert).decode(),
                "signature_b64": base64.b64encode(signature).decode(),
            },
        )

    def signed_in(self, card: Card, terminal_id: str = TERMINAL) -> Step:
        step, challenge = self.open(terminal_id)
        reply = self.authenticate(card, step, challenge)
        assert reply.status_code == 200, reply.text
        return step

    def menu(self, step: Step, code: str = OHIRA) -> httpx.Response:
        return self.center.get(
            f"/v1/sessions/{step.session_id}/menu",
            params={"terminal_id": step.terminal_id, "municipality_code": code},
        )

    def quote(self, step: Step, kind: str, **choice: Any) -> httpx.Response:
        body = {**step.steps(), "municipality_code": OHIRA, "kind": kind, "copies": 1, **choice}
        return self.center.post("/v1/orders/quote", json=body)


def office_day(today: date | None = None) -> date:
    """The latest office day (no weekend, holiday or year end) on or before `today` in Japan."""
    day = today or datetime.now(JST).date()
    while not is_office_day(day):
        day -= timedelta(days=1)
    return day


def at_jst(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=JST)


OFFICE_NOON = at_jst(office_day(), 12)  # HRS-2 open
OFFICE_EVENING = at_jst(office_day(), 20)  # HRS-2 closed, HRS-1 open
LONG_AGO = OFFICE_NOON - timedelta(days=20)  # when the cards of clock-fixed tests were issued


def _face(person_id: str) -> bytes:
    return f"face:{person_id}".encode()


def _key() -> str:
    return uuid.uuid4().hex


def populate(db_url: str) -> None:
    """The village, and every party's tables (each chain to head) on one database."""
    generate_village(db_url, PERSONS, SEED, "ohira", today=date.today(), count_cases=False)
    migrate_jpki(db_url)
    migrate_center_all(db_url)
    migrate_municipal(db_url)
    migrate_verify(db_url)


def world_on(kofu_home: Path, ca_keys: Path, db_url: str, *, populated: bool = False) -> Iterator[World]:
    """Every party on `db_url` in this process, under `kofu_home` (the village made unless `populated`)."""
    shutil.copytree(ca_keys, kofu_home / "keys" / "jpki")
    if not populated:
        populate(db_url)
    from kofu.jpki.authority import load_authorities

    authorities = load_authorities(kofu_home / "keys" / "jpki")
    clock, municipal_clock = Clock(), Clock(offset=office_offset(datetime.now(UTC)))
    with (
        in_process_parties(
            db_url,
            kofu_home,
            authorities,
            terminals=(TERMINAL, OTHER_TERMINAL),
            center_clock=clock,
            municipal_clock=municipal_clock,
        ) as p,
        TestClient(p.center_app) as center,
    ):
        yield World(
            db_url,
            kofu_home,
            center,
            p.center_app,
            p.municipal_app,
            p.factory,
            authorities,
            clock,
            municipal_clock,
            session_factory(p.engine),
        )


# --- fixtures: import them into a folder's conftest to use them there ---------------------------------


@pytest.fixture(scope="session")
def ca_keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The JPKI authorities, made once per test worker (RSA key generation is slow)."""
    folder = tmp_path_factory.mktemp("issuance-jpki") / "keys" / "jpki"
    init_authorities(folder)
    return folder


@pytest.fixture
def world(kofu_home: Path, ca_keys: Path, db_url: str) -> Iterator[World]:
    """A village of 200 on `db_url` (SQLite and PostgreSQL), its municipal server, the JPKI and the center."""
    yield from world_on(kofu_home, ca_keys, db_url)


@pytest.fixture(scope="session")
def village_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated village (and empty jpki tables) in an SQLite file, made once per test worker."""
    path = tmp_path_factory.mktemp("issuance-village") / "village.db"
    populate(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_world(kofu_home: Path, ca_keys: Path, village_file: Path, tmp_path: Path) -> Iterator[World]:
    """The same on SQLite only (a copy of the worker's village), for tests whose subject is a rule."""
    path = tmp_path / "world.db"
    shutil.copyfile(village_file, path)
    yield from world_on(kofu_home, ca_keys, f"sqlite:///{path}", populated=True)
