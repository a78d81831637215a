"""Judging what was printed, and searching the home folder for it afterwards (SEC-4).

A printed certificate is read with poppler's own tools: `pdftotext` for who is on it and `pdfsig` for
the seal. Names come from the registry (a consistent snapshot), never from what the kiosk reported.
pdftotext puts a family name and a given name on separate lines, so names are compared line by line.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from kofu.db import make_engine
from kofu.registry.records import PersonSnapshot
from kofu.registry.repository import read_snapshot
from kofu.rules.numerals import to_fullwidth


def snapshot(registry_url: str, person_id: str) -> PersonSnapshot:
    """The person's registry snapshot (what the municipal server composes from)."""
    engine = make_engine(registry_url)
    try:
        found = read_snapshot(engine, person_id)
    finally:
        engine.dispose()
    assert found is not None, f"{person_id} is not in the registry"
    return found


def pdf_text(pdf: bytes, folder: Path) -> str:
    """The PDF's text by `pdftotext` (file in `folder`, a tmp folder outside the kofu home)."""
    path = folder / "printed.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, timeout=60)
    path.unlink()
    return done.stdout.decode("utf-8")


def seal_is_valid(pdf: bytes, folder: Path) -> str:
    """`pdfsig`'s report, asserting the one signature is valid and covers the whole document."""
    path = folder / "sealed.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(["pdfsig", str(path)], capture_output=True, check=False, timeout=60)
    path.unlink()
    report = done.stdout.decode("utf-8", "replace")
    assert "Signature #1" in report and "Signature #2" not in report, report
    assert "Signature Validation: Signature is Valid." in report, report
    assert "Total document signed" in report, report
    return report


def lines(text: str) -> set[str]:
    """Each non-empty line of pdftotext's output, whitespace removed."""
    return {re.sub(r"\s+", "", line) for line in text.splitlines()} - {""}


@dataclass(frozen=True)
class Named:
    """A person as certificates print them."""

    family: str
    given: str


def printed_names(text: str) -> set[str]:
    """Given names as printed on their own line, or after 【名】 in a family-register certificate."""
    found = set()
    for line in lines(text):
        found.add(line)
        if line.startswith("【名】"):
            found.add(line.removeprefix("【名】"))
    return found


def assert_names(text: str, chosen: Iterable[Named], others: Iterable[Named]) -> None:
    """Every chosen person is on the document, and none of the others (CRT-1, INC-1/2/7/8)."""
    on_paper = printed_names(text)
    chosen = list(chosen)
    for person in chosen:
        assert person.given in on_paper, f"a chosen person's name is missing ({person.given})"
        assert any(person.family in line for line in on_paper), "a chosen person's family name is missing"
    allowed = {p.given for p in chosen}
    for person in others:
        if person.given in allowed:
            continue  # the same given name as a chosen person cannot tell them apart
        assert person.given not in on_paper, f"someone not chosen is on the document ({person.given})"
        assert f"{person.family}{person.given}" not in on_paper


def household(snap: PersonSnapshot) -> list[Named]:
    members = snap.household.members if snap.household is not None else (snap.person,)
    return [Named(m.family_name, m.given_name) for m in members]


def register(snap: PersonSnapshot, *, removed: bool = False) -> list[Named]:
    """The persons of the register (those removed from it, 除籍, only when asked)."""
    if snap.koseki is None:
        return []
    return [Named(m.family_name, m.given_name) for m in snap.koseki.members if removed or not m.removed]


def needles(snap: PersonSnapshot) -> dict[str, str]:
    """The requester's printed name and addresses, each in the forms a file could hold them in."""
    p = snap.person
    found = {
        "name (full-width space)": f"{p.family_name}\u3000{p.given_name}",
        "name (ASCII space)": f"{p.family_name} {p.given_name}",
        "name (no space)": f"{p.family_name}{p.given_name}",
        "kana (full-width space)": f"{p.family_kana}\u3000{p.given_kana}",
        "kana (ASCII space)": f"{p.family_kana} {p.given_kana}",
    }
    if p.address is not None:
        found["address"] = p.address.address
        found["address (ASCII space)"] = p.address.address.replace("\u3000", " ")
        found["address (full-width digits)"] = to_fullwidth(p.address.address)
    if snap.koseki is not None:
        found["honseki"] = snap.koseki.honseki
        found["honseki (full-width digits)"] = to_fullwidth(snap.koseki.honseki)
    return found


def encodings(text: str) -> list[bytes]:
    """The bytes a file may hold `text` as: UTF-8, JSON with \\u escapes, UTF-16 (LE and BE)."""
    return [
        text.encode("utf-8"),
        json.dumps(text).strip('"').encode("ascii"),
        text.encode("utf-16-le"),
        text.encode("utf-16-be"),
    ]


# The records the certificates are composed from, and the JPKI's record of the signing certificates it
# issued (which carry name and address by law): these hold the person before any kiosk session.
SOURCES_OF_RECORD = re.compile(r"^db/(registry-[a-z]+|jpki)\.db(-wal|-shm|-journal)?$")


def files_holding(home: Path, texts: dict[str, str]) -> dict[str, list[str]]:
    """Every file under `home` (outside the sources of record) holding any of `texts`: path → labels."""
    found: dict[str, list[str]] = {}
    patterns = {label: encodings(text) for label, text in texts.items()}
    for path in sorted(home.rglob("*")):
        rel = path.relative_to(home).as_posix()
        if not path.is_file() or SOURCES_OF_RECORD.match(rel):
            continue
        data = path.read_bytes()
        hits = [label for label, forms in patterns.items() if any(form in data for form in forms)]
        if hits:
            found[rel] = hits
    return found


def searched_files(home: Path) -> list[str]:
    """What `files_holding` reads (for the test to show it read databases, WAL files and kiosk state)."""
    return sorted(
        p.relative_to(home).as_posix()
        for p in home.rglob("*")
        if p.is_file() and not SOURCES_OF_RECORD.match(p.relative_to(home).as_posix())
    )
