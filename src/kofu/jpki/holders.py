"""Where a card holder's data comes from: the registry's `card_holder`, or given by hand."""

from __future__ import annotations

from datetime import date

from kofu.jpki.holder import Holder


class HolderUnavailable(Exception):
    """The holder's data cannot be found; the message says why."""


def holder_from_registry(db_url: str, person_id: str) -> Holder:
    """The holder `person_id` as the registry knows it (raises HolderUnavailable with a clear message)."""
    try:
        from kofu.registry.holders import card_holder
    except ImportError as exc:
        raise HolderUnavailable(
            "the registry has no card_holder lookup in this build; "
            "give --name, --birth-date, --sex and --address"
        ) from exc
    from kofu.db import make_engine, session_factory

    engine = make_engine(db_url)
    try:
        with session_factory(engine)() as session:
            found = card_holder(session, person_id)
    except Exception as exc:  # a registry without its tables is "no such person", said plainly
        raise HolderUnavailable(
            f"the registry cannot be read ({type(exc).__name__}); run `kofu village` setup"
        ) from exc
    finally:
        engine.dispose()
    if found is None:
        raise HolderUnavailable(f"the registry has no person {person_id}")
    return Holder(
        person_id=person_id,
        name=str(found.name),
        birth_date=found.birth_date,
        sex=str(found.sex),
        address=str(found.address),
    )


def holder_by_hand(person_id: str, name: str, birth_date: str, sex: str, address: str) -> Holder:
    """A holder given on the command line; raises HolderUnavailable for a bad date or empty field."""
    try:
        born = date.fromisoformat(birth_date)
    except ValueError as exc:
        raise HolderUnavailable(f"--birth-date must be YYYY-MM-DD, got {birth_date!r}") from exc
    if not name.strip() or not address.strip() or not sex.strip():
        raise HolderUnavailable("--name, --sex and --address must not be empty")
    return Holder(person_id=person_id, name=name, birth_date=born, sex=sex, address=address)


def link_in_registry(
    db_url: str, person_id: str, *, auth_serial: int, sign_serial: int, handed_over_on: date, credential: str
) -> str | None:
    """Record the card handed over on `handed_over_on` (交付日, DAY-1) in the registry (card link) when the
    registry offers it; None or why not."""
    try:
        from kofu.registry.cards import link_card
    except ImportError:
        return "the registry has no link_card in this build; the card is not linked"
    from kofu.db import make_engine, session_factory, transaction

    engine = make_engine(db_url)
    try:
        with transaction(session_factory(engine)) as session:
            link_card(
                session,
                person_id,
                auth_serial=auth_serial,
                sign_serial=sign_serial,
                issued_on=handed_over_on,
                credential=credential,
            )
    except Exception as exc:  # a missing person or table: the card exists, the link does not; say so
        return f"the registry did not link the card ({type(exc).__name__}: {exc})"
    finally:
        engine.dispose()
    return None
