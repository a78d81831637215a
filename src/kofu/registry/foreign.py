"""Foreign residents in the generated village (about 3% of Japan's residents): names in the alphabet
with their katakana reading, 国籍・地域, 在留資格 with its period and end, and sometimes a 通称.

A pass over the built rows with its own random stream, so the rest of a seed's village is unchanged:
residents living alone whose 本籍 is not here become foreign residents (a foreign national has no 戸籍).
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from kofu.registry.rowbuilder import Row
from kofu.registry.vocabulary import FOREIGN_ALIASES, FOREIGN_PEOPLE, RESIDENCE_STATUSES

RATE = 0.03


def make_foreign_residents(rows: dict[str, list[Row]], seed: int, today: date) -> list[Row]:
    """Turn about RATE of the village's persons (residents alone, 本籍 elsewhere) into foreign residents."""
    rng = random.Random(seed ^ 0xF0E1)
    persons = rows["persons"]
    in_register = {m["person_fk"] for m in rows["koseki_members"] if m["person_fk"] is not None}
    changed = {c["person_fk"] for c in rows["changes"]}
    size: dict[int, int] = {}
    for p in persons:
        if p["household_fk"] is not None:
            size[p["household_fk"]] = size.get(p["household_fk"], 0) + 1
    pool = [
        p
        for p in persons
        if p["status"] == "resident"
        and p["id"] not in in_register
        and p["id"] not in changed
        and size.get(p["household_fk"], 0) == 1
        and p["former_surname"] is None
    ][1:]  # the first stays a Japanese national whose 本籍 is elsewhere
    chosen = rng.sample(pool, min(len(pool), max(1, round(RATE * len(persons))))) if pool else []
    for n, p in enumerate(chosen):
        nationality, families, givens = FOREIGN_PEOPLE[n % len(FOREIGN_PEOPLE)]
        family, family_kana = rng.choice(families)
        given, given_kana = givens[0] if p["sex"] == "male" else givens[1]
        status, period, years, category = RESIDENCE_STATUSES[n % len(RESIDENCE_STATUSES)]
        alias = FOREIGN_ALIASES[n % len(FOREIGN_ALIASES)] if n % 5 == 4 else None
        p.update(
            family_name=family,
            given_name=given,
            family_kana=family_kana,
            given_kana=given_kana.replace(" ", "\u3000"),
            honseki=None,
            hittousha=None,
            nationality=nationality,
            residence_status=status,
            residence_period=period,
            residence_until=today + timedelta(days=365 * years - rng.randint(30, 300)) if years else None,
            residence_category=category,
            alias=alias[0] if alias else None,
            alias_kana=alias[1] if alias else None,
        )
    return chosen
