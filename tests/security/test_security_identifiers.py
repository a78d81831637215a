"""T12 (issue 22): identifiers are checked whole (`fullmatch`), each from its one definition.

`re.match` with `$` lets a trailing newline through ("demo-0001\n" became a certificate file name); the
terminal-ID rule lived in the wire models, the rate limiter and the network PKI, the last with twice the
length. Now every identifier is defined once in `kofu.rules.ids` and every checker uses that definition.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Query
from fastapi.testclient import TestClient
from pydantic import TypeAdapter, ValidationError

import kofu
from kofu.center.settlement import month_bounds
from kofu.netpki import authority
from kofu.rules import ids
from kofu.rules.paging import parse_document_number
from kofu.rules.store_hours import parse_hours
from kofu.wire import common

SOURCE = Path(kofu.__file__).parent

# A well-formed value of each identifier, and the wire type that carries it.
SAMPLES: dict[str, tuple[ids.Identifier, str, Any]] = {
    "session": (ids.SESSION_ID, "s-0123456789abcdef", common.SessionId),
    "terminal": (ids.TERMINAL_ID, "T-SEJ-0001", common.TerminalId),
    "request key": (ids.REQUEST_KEY, "k-12345678", common.RequestKey),
    "municipality": (ids.MUNICIPALITY_CODE, "044245", common.MunicipalityCode),
    "person": (ids.PERSON_ID, "044245-0000001", common.PersonId),
    "digest": (ids.DIGEST, "ab" * 32, common.Digest),
    "certificate serial": (ids.CERTIFICATE_SERIAL, "4a3f09", common.CertificateSerial),
    "document number": (ids.DOCUMENT_NUMBER, "044245-20251126-000123-3", common.DocumentNumber),
    "store": (ids.STORE_CODE, "SEJ-0001", common.StoreCode),
    "chain": (ids.CHAIN, "seven_eleven", common.Chain),
    "menu option": (ids.MENU_OPTION, "whole", common.MenuOption),
}


@pytest.mark.parametrize("name", SAMPLES)
def test_T12_no_identifier_takes_a_trailing_newline(name: str) -> None:
    """The sample passes; with a newline (a space, a NUL) after it, the rule and its wire type refuse."""
    identifier, sample, wire_type = SAMPLES[name]
    adapter = TypeAdapter(wire_type)
    assert identifier.fits(sample) and adapter.validate_python(sample) == sample
    for tail in ("\n", "\r\n", " ", "\x00"):
        assert not identifier.fits(sample + tail)
        with pytest.raises(ValidationError):
            adapter.validate_python(sample + tail)


def test_T12_fastapi_parameters_with_a_pattern_refuse_a_trailing_newline() -> None:
    """A query or path parameter declared with an identifier's pattern (as the center's routes are)."""
    app = FastAPI()

    @app.get("/{session_id}")
    def route(session_id: str, terminal_id: str = Query(pattern=ids.TERMINAL_ID.pattern)) -> str:
        return terminal_id

    client = TestClient(app)
    assert client.get("/s", params={"terminal_id": "T-1"}).status_code == 200
    assert client.get("/s", params={"terminal_id": "T-1\n"}).status_code == 422


def test_T12_network_certificate_names_take_no_trailing_newline(kofu_home: Path) -> None:
    authority.ensure_ca(kofu_home)
    for bad in ("demo-0001\n", "center\n", "../center", ".hidden", ""):
        with pytest.raises(authority.NetPkiError):
            authority.issue_terminal(kofu_home, bad)
        with pytest.raises(authority.NetPkiError):
            authority.issue_server(kofu_home, bad)
    assert not list((kofu_home / "keys" / "net").glob("*/*\n*"))


def test_T12_the_terminal_id_rule_is_one_rule_with_one_limit(kofu_home: Path) -> None:
    """32 characters (the registers' column): the wire model, the network PKI and the rate limiter agree."""
    from kofu.center.ratelimit import TERMINAL_ID

    longest, too_long = "T" * 32, "T" * 33
    assert TypeAdapter(common.TerminalId).validate_python(longest) == longest
    with pytest.raises(ValidationError):
        TypeAdapter(common.TerminalId).validate_python(too_long)
    authority.ensure_ca(kofu_home)
    assert authority.issue_terminal(kofu_home, longest).name == longest
    with pytest.raises(authority.NetPkiError):
        authority.issue_terminal(kofu_home, too_long)
    assert TERMINAL_ID is ids.TERMINAL_ID


def test_T12_formats_read_by_rules_take_no_trailing_newline() -> None:
    """A settlement month, a store's opening hours, a document number typed at /verify."""
    for bad_month in ("2025-04\n", "2025-04 ", "2025-4"):
        with pytest.raises(ValueError):
            month_bounds(bad_month)
    with pytest.raises(ValueError):
        parse_hours([["09:00\n", "21:00"]] * 7)
    assert parse_document_number("044245-20251126-000123-3").serial == 123


def _match_calls(path: Path) -> list[str]:
    """`re.match(...)` and `<compiled pattern>.match(...)` calls: each checks a prefix only."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "match":
            found.append(f"{path.relative_to(SOURCE)}:{node.lineno}")
    return found


def test_T12_no_prefix_matching_anywhere_in_kofu() -> None:
    """Every regular-expression check in the code base is `fullmatch` (or a `search` meant as one)."""
    calls = [call for path in sorted(SOURCE.rglob("*.py")) for call in _match_calls(path)]
    assert calls == []


# The audit log's entry rules (person ID, digest) are being rewritten in the audit work of issue 22:
# they take kofu.rules.ids when the two merge.
NOT_YET = {Path("audit/entry.py")}


def test_T12_each_identifier_is_defined_once() -> None:
    """No other module spells an identifier's expression again: they all import it from kofu.rules.ids."""
    home = Path(ids.__file__)
    bodies = {name: identifier.body for name, identifier in ids.ALL.items()}
    repeats = [
        f"{path.relative_to(SOURCE)}: {name}"
        for path in sorted(SOURCE.rglob("*.py"))
        if path != home and path.relative_to(SOURCE) not in NOT_YET
        for name, body in bodies.items()
        if body in path.read_text(encoding="utf-8")
    ]
    assert repeats == []


def test_T12_every_pattern_in_the_wire_models_is_anchored() -> None:
    """Pydantic searches an unanchored pattern anywhere in the text; every wire pattern is ^…$ (which
    pydantic's default Rust engine reads as the ends of the text: no newline loophole), and no model
    switches to Python's engine, where $ also matches before a final newline."""
    from kofu.wire import orders, registers, sessions

    patterns: list[str] = []

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("pattern"), str):
                patterns.append(node["pattern"])
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    for module in (common, orders, registers, sessions):
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, common.Strict) and value is not common.Strict:
                collect(value.model_json_schema())
                assert value.model_config.get("regex_engine", "rust-regex") == "rust-regex", value
    assert patterns and all(re.fullmatch(r"\^.*\$", p, re.DOTALL) for p in patterns), patterns
    assert not [p for p in SOURCE.rglob("*.py") if "python-re" in p.read_text(encoding="utf-8")]
