"""SQL-like and absurd strings in every text field of every API (issue 6 §3).

For each operation, one valid request is drawn from the app's own schema (derandomised, so it is
the same every run), live ids are put in, and then every string in its path, query
and JSON body (nested too) is replaced in turn by each hostile string. Each such request must be a
4xx with a reason code, and the database must hold exactly the rows it held before.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hostile_world import OHIRA, PIN, SQL_LIKE, TERMINAL, AsOwnPage, HostileWorld, is_refusal
from hypothesis import HealthCheck, Phase, given, settings
from schema_fuzz import app_schema, live_ids
from schemathesis import Case
from schemathesis.core.result import Ok

from kofu.kiosk.app import build_service
from kofu.kiosk.app import create_app as create_kiosk
from kofu.kiosk.config import KioskConfig

Path_ = tuple[Any, ...]
URL_MAX = 2000


def _one_valid(operation: schemathesis.APIOperation) -> Case:
    """One request valid per the schema, drawn derandomised (the same every run; no shrinking)."""
    drawn: list[Case] = []

    @settings(
        max_examples=1,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def draw(case: Case) -> None:
        drawn.append(case)

    draw()
    return drawn[0]


def _strings(value: Any, path: Path_ = ()) -> Iterator[Path_]:
    """The path of every string leaf of a JSON value."""
    if isinstance(value, str):
        yield path
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, (*path, i))


def _replaced(value: Any, path: Path_, new: str) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replaced(value[head], rest, new)}
    return [_replaced(v, rest, new) if i == head else v for i, v in enumerate(value)]


def _send(client: TestClient, case: Case, where: str, path: Path_, hostile: str) -> Any:
    params = dict(case.path_parameters or {})
    query = dict(case.query or {})
    body = case.body if isinstance(case.body, (dict, list)) else None
    if where != "body":
        hostile = hostile[:URL_MAX]  # a URL this long is already refused by any HTTP client or proxy
    if where == "path":
        params = _replaced(params, path, hostile)
    elif where == "query":
        query = _replaced(query, path, hostile)
    else:
        body = _replaced(body, path, hostile)
    url = case.operation.path.format(**{k: _quote(str(v)) for k, v in params.items()})
    return client.request(case.method, url, params=query or None, json=body)


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


def _hostile_requests(app: FastAPI, ids: dict[str, str]) -> Iterator[tuple[str, Case, str, Path_]]:
    schema = app_schema(app)
    prepare = live_ids(ids)
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result  # the app's schema is valid
        operation = result.ok()
        case = _one_valid(operation)
        prepare(case)
        for where, value in (("path", case.path_parameters), ("query", case.query), ("body", case.body)):
            for path in _strings(value or {}):
                yield operation.label, case, where, path


def _check_app(world: HostileWorld, app: FastAPI, ids: dict[str, str]) -> list[str]:
    client = TestClient(app)
    before = world.row_counts()
    problems: list[str] = []
    for label, case, where, path in _hostile_requests(app, ids):
        for hostile in SQL_LIKE:
            reply = _send(client, case, where, path, hostile)
            if not is_refusal(reply):
                problems.append(f"{label} {where}{list(path)} {hostile[:20]!r}: {reply.status_code}")
    after = world.row_counts()
    if after != before:
        problems.append(
            f"rows changed: {[(t, before.get(t), n) for t, n in after.items() if before.get(t) != n]}"
        )
    return problems


def _signed_in(world: HostileWorld) -> dict[str, str]:
    card = world.issue(world.person())
    session_id, challenge = world.open(TERMINAL)
    answer = world.card_answer(card, session_id, challenge, TERMINAL)
    reply = world.center.post(f"/v1/sessions/{session_id}/authenticate", json=answer)
    assert reply.status_code == 200, reply.text
    return {"session_id": session_id, "terminal_id": TERMINAL, "municipality_code": OHIRA}


def test_center_text_fields_refuse_sql_like_strings(world: HostileWorld) -> None:
    """Every string of every center request, made hostile, is a 4xx with a reason; nothing is written."""
    problems = _check_app(world, world.center_app, _signed_in(world))
    assert not problems, "\n".join(problems)


def test_municipal_text_fields_refuse_sql_like_strings(world: HostileWorld) -> None:
    """The same for the municipal server (its callers are centers, but a center may be compromised)."""
    card = world.issue(world.person())
    ids = {"auth_serial": f"{card.auth_serial:x}", "municipality_code": OHIRA}
    problems = _check_app(world, world.municipal_app, ids)
    assert not problems, "\n".join(problems)


@pytest.fixture
def kiosk_app(world: HostileWorld) -> Any:
    card = world.issue(world.person())
    entry = {"card": str(card.path), "pin": PIN, "person": card.person_id, "label": "hostile"}
    (world.home / "demo-cards.json").write_text(json.dumps([entry]), encoding="utf-8")
    config = KioskConfig(home=world.home, terminal_id=TERMINAL)
    return AsOwnPage(create_kiosk(config, service=build_service(config, center_http=world.center)))


def test_kiosk_text_fields_refuse_sql_like_strings(world: HostileWorld, kiosk_app: Any) -> None:
    """The kiosk page API: the PIN, password, codes and options refuse hostile strings with a 4xx."""
    client = TestClient(kiosk_app)
    client.post("/api/start")
    client.post("/api/tray/place", json={"index": 0})
    problems = _check_app(world, kiosk_app, {})
    assert not problems, "\n".join(problems)
