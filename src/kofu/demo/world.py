"""Build the demo world once under KOFU_HOME: villages, card authorities, demo cards, document keys,
center registers.

Every step is idempotent: a second `kofu demo` reuses what the first one made. One SQLite file per
party, as in production each party has its own database.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console

from kofu.demo.cards import DEMO_CARDS, DemoCard
from kofu.home import prepare_home
from kofu.layout import Layout
from kofu.private import private_dir
from kofu.settings import Settings

TERMINAL_ID = "demo-0001"
MUNICIPALITIES = (  # (rulebook, persons, seed)
    ("ohira", 2000, 1),
    ("kitayama", 400, 2),
)


@dataclass(frozen=True)
class DemoPaths(Layout):
    """Where each party of the demo keeps its database: the home's layout, always on SQLite files."""

    @property
    def cards_json(self) -> Path:
        return self.home / "demo-cards.json"


def _sqlite_file(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def ensure_villages(paths: DemoPaths, console: Console) -> None:
    """Generate each municipality's village on first start (with a progress bar)."""
    from kofu.registry.schema import migrate_registry
    from kofu.registry.village import generate_village

    for rulebook, persons, seed in MUNICIPALITIES:
        url = paths.registry(rulebook)
        if _sqlite_file(url).exists():
            migrate_registry(url)
            continue
        console.print(f"[bold]generating the village of {rulebook}[/] ({persons} persons, seed {seed})")
        migrate_registry(url)
        generate_village(url, persons, seed, municipality=rulebook, progress=True)


def _issue(
    settings: Settings, paths: DemoPaths, card: DemoCard, person_id: str, registry_url: str
) -> dict[str, object]:
    from kofu.card.biometric import enroll
    from kofu.db import make_engine, session_factory, transaction
    from kofu.jpki.authority import keys_dir, load_authorities
    from kofu.jpki.cardwriter import write_card
    from kofu.jpki.holders import holder_from_registry, link_in_registry
    from kofu.jpki.issuance import issue_credential

    authorities = load_authorities(keys_dir(settings))
    holder = holder_from_registry(registry_url, person_id)
    now = datetime.now(UTC) - timedelta(days=card.issued_days_ago)
    out = settings.home / "cards" / f"{card.name}.card"
    sample = f"face:{person_id}"
    template = enroll(sample.encode()) if card.credential == "phone" else None
    engine = make_engine(paths.jpki)
    try:
        with transaction(session_factory(engine)) as session:
            issued = issue_credential(session, authorities, holder, now=now, credential=card.credential)
            write_card(
                out,
                issued,
                authorities,
                pin=card.pin,
                sign_password=card.sign_password,
                biometric_template=template,
            )
    finally:
        engine.dispose()
    problem = link_in_registry(
        registry_url,
        person_id,
        auth_serial=issued.auth_serial,
        sign_serial=issued.sign_serial,
        handed_over_on=issued.issued_on,  # the demo hands each card over the day it is made
        credential=issued.credential,
    )
    if problem:
        raise RuntimeError(f"demo card {card.name}: {problem}")
    if card.block_pin:
        _block_pin(out)
    return {
        "card": str(out),
        "name": card.name,
        "pin": card.pin,
        "sign_password": card.sign_password,
        "biometric_sample": sample if card.credential == "phone" else None,
        "credential": card.credential,
        "person": person_id,
        "label": card.label_ja,
        "label_en": card.label_en,
        "shows": list(card.shows),
        "auth_serial": issued.auth_serial,
        "issued_on": issued.issued_on.isoformat(),
    }


def _block_pin(card_path: Path) -> None:
    """Three wrong PINs through the card's own VERIFY, as a person at a kiosk would (PIN-1)."""
    from kofu.card.client import JpkiClient
    from kofu.card.inprocess import InProcessReader

    with InProcessReader(card_path) as reader:
        client = JpkiClient(reader)
        while client.pin_tries_left() > 0:
            client.verify_pin("0000")


def ensure_cards(settings: Settings, paths: DemoPaths, console: Console) -> list[dict[str, object]]:
    """Issue the demo cards once (JPKI authorities first); the list written to demo-cards.json."""
    if paths.cards_json.exists():
        return list(json.loads(paths.cards_json.read_text(encoding="utf-8")))
    from kofu.db import make_engine, session_factory
    from kofu.jpki.authority import init_authorities, keys_dir
    from kofu.jpki.schema import migrate_jpki
    from kofu.registry.cases import find_persons

    init_authorities(keys_dir(settings))
    migrate_jpki(paths.jpki)
    registry_url = paths.registry("ohira")
    engine = make_engine(registry_url)
    used: set[str] = set()
    entries: list[dict[str, object]] = []
    try:
        for card in DEMO_CARDS:
            with session_factory(engine)() as session:
                candidates = find_persons(session, card.case, limit=50)
            person = next((p for p in candidates if p not in used), None)
            if person is None:
                console.print(f"[yellow]no person in the village shows {card.case}; card {card.name} skipped")
                continue
            used.add(person)
            entries.append(_issue(settings, paths, card, person, registry_url))
            console.print(f"issued demo card [bold]{card.name}[/] for {person}")
    finally:
        engine.dispose()
    for entry in entries:
        entry["jushochi"], entry["honsekichi"] = "", ""
    paths.cards_json.write_text(json.dumps(entries, ensure_ascii=False, indent=2), encoding="utf-8")
    paths.cards_json.chmod(0o600)
    return entries


def ensure_document_keys(home: Path, console: Console) -> None:
    """The verification service's key pair, each municipality's sealing keys, and their published sets.

    The demo keeps every party's keys in one home (in production each party has its own): each
    municipal server finds the verifier's public key where it looks by default (keys/verify/), and the
    verify page the published sets where it looks by default (keys/published/). What is missing is made;
    the sets are written afresh at each start. Keys left by an older kofu are named with what to do.
    """
    from kofu.documents.keys import legacy_verifier_keys, sealing_keys
    from kofu.documents.published import published_dir, verifier_dir, write_keyset
    from kofu.rules.rulebook import load_rulebook
    from kofu.verify.key import PRIVATE_FILE, verifier_key

    verifier_key(home)
    for rulebook, _, _ in MUNICIPALITIES:
        book = load_rulebook(rulebook)
        keys = sealing_keys(home, book.code, book.name)
        write_keyset(published_dir(home) / f"{book.code}.json", [keys.published])
    for legacy in legacy_verifier_keys(home):
        console.print(
            f"[yellow]{legacy} was made by an older kofu and is no longer used:[/] the verification "
            f"service's own key is now {verifier_dir(home) / PRIVATE_FILE}. Certificates "
            "printed before cannot show their content at /verify. Delete the old file (or start with an "
            "empty KOFU_HOME) to keep no verifier key in a municipality's folder."
        )


def build_world(settings: Settings, console: Console) -> DemoPaths:
    """Everything the demo needs, made once under the home folder."""
    home = prepare_home(settings)
    private_dir(home / "db")
    paths = DemoPaths(home)
    ensure_villages(paths, console)
    ensure_cards(settings, paths, console)
    ensure_document_keys(home, console)
    return paths


def summary(paths: DemoPaths) -> dict[str, object]:
    """What the demo is made of, for the start banner."""
    return asdict(paths)


def ensure_center(paths: DemoPaths) -> None:
    """The center knows the demo terminal and every card of the villages' registries (routes, DAY-1)."""
    from kofu.center.registers import add_terminal, terminal_info
    from kofu.db import make_engine, session_factory, transaction
    from kofu.demo.routes import sync_routes_from_registry
    from kofu.rules.rulebook import load_rulebook

    now = datetime.now(UTC)
    center = make_engine(paths.center)
    try:
        with transaction(session_factory(center)) as session:
            if terminal_info(session, TERMINAL_ID) is None:
                add_terminal(
                    session,
                    terminal_id=TERMINAL_ID,
                    chain="demo_mart",
                    store_code="OHIRA-001",
                    store_name="デモマート大衡店",
                    now=now,
                )
            for rulebook, _, _ in MUNICIPALITIES:
                registry = make_engine(paths.registry(rulebook))
                try:
                    with session_factory(registry)() as reg:
                        sync_routes_from_registry(
                            session, reg, municipality_code=load_rulebook(rulebook).code, now=now
                        )
                finally:
                    registry.dispose()
    finally:
        center.dispose()
