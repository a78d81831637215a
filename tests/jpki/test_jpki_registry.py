"""jpki with the registry: holders from `card_holder`, new cards linked with `link_card`, and the
center's card records read back through `card_record` (DAY-1 input)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from kofu.card.cardfile import read_card_file
from kofu.center.auth.cards import RegistryCardRecords
from kofu.cli import app
from kofu.db import make_engine, session_factory
from kofu.jpki.certificates import personal_data
from kofu.jpki.models import IssuedCard
from kofu.registry.holders import card_holder
from kofu.registry.models import Person
from kofu.registry.village import generate_village


@pytest.fixture
def village_url(sqlite_url: str) -> str:
    generate_village(sqlite_url, 20, seed=11, count_cases=False)
    return sqlite_url


def test_issue_card_from_the_registry_and_link_it(
    village_url: str, kofu_home: Path, ca_keys: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(ca_keys, kofu_home / "keys" / "jpki")
    monkeypatch.setenv("KOFU_DATABASE_URL", village_url)
    engine = make_engine(village_url)
    factory = session_factory(engine)
    with factory() as session:
        ids = session.scalars(select(Person.person_id).order_by(Person.id)).all()
        holder = next(h for h in (card_holder(session, i) for i in ids) if h is not None)
    out = kofu_home / "card.json"
    result = CliRunner().invoke(app, ["jpki", "issue-card", "--person", holder.person_id, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "note:" not in result.output  # linked in the registry
    card = read_card_file(out)
    data = personal_data(card.sign.certificate)
    assert data == {
        "name": holder.name,
        "birth_date": holder.birth_date.isoformat(),
        "sex": holder.sex,
        "address": holder.address,
    }
    found = RegistryCardRecords(factory).lookup(card.auth_serial)
    assert found is not None
    assert found.person_id == holder.person_id
    assert found.credential == "card"
    with factory() as session:
        issued = session.scalars(select(IssuedCard).where(IssuedCard.auth_serial == card.auth_serial)).one()
    assert found.handed_over_on == issued.issued_on  # DAY-1: handed over the day it is made (the default)
    assert RegistryCardRecords(factory).lookup(12345) is None

    missing = CliRunner().invoke(app, ["jpki", "issue-card", "--person", "044245-9999999", "--out", str(out)])
    assert missing.exit_code != 0
    assert re.search(r"the registry has no person 044245-9999999", missing.output)
    engine.dispose()
