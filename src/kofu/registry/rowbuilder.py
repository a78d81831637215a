"""Rows of the synthetic village: one seeded random source, ids, and one writer per table.

`RowBuilder` holds every table's rows as plain dicts and the helpers that write them (persons, addresses,
registers, events, 附票, seals, cards, tax records). `generator` builds households and families on top.
"""

from __future__ import annotations

import hashlib
import operator
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, TypeVar

from kofu.documents.seal_image import seal_png
from kofu.registry import vocabulary as voc
from kofu.registry.models import FOREIGN_COLUMNS
from kofu.registry.taxcalc import Assessment, assess
from kofu.rules.calendar import newest_fiscal_year

Row = dict[str, Any]
T = TypeVar("T")

SEAL_RATE = 0.4
SEAL_ABOLISHED_RATE = 0.1
CARD_RATE = 0.6
PHONE_RATE = 0.12
TAX_YEARS = 6


def my_number_check_digit(first11: str) -> int:
    """The 個人番号 check digit (番号法施行令 第8条): weights 6,5,4,3,2,7,6,5,4,3,2 from the left."""
    total = sum(map(operator.mul, map(int, first11), _MY_NUMBER_WEIGHTS))
    rem = total % 11
    return 0 if rem <= 1 else 11 - rem


_MY_NUMBER_WEIGHTS = (6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


@dataclass
class VillageRows:
    """Every table's rows of one generated village, in `models.TABLE_ORDER` order of tables."""

    municipality: str
    seed: int
    today: date
    tables: dict[str, list[Row]] = field(default_factory=dict)

    def count(self) -> int:
        """Rows over all tables."""
        return sum(len(rows) for rows in self.tables.values())


@dataclass
class Member:
    """A person being built, before rows are written (ids assigned when written)."""

    family: voc.Name
    given: voc.Name
    sex: str
    birth: date
    maiden: voc.Name | None = None  # surname before marriage
    death: date | None = None
    pid: int = 0


class RowBuilder:
    """Every table's rows of one village and the writers that append to them."""

    def __init__(self, municipality: str, seed: int, today: date) -> None:
        if municipality not in voc.MUNICIPALITIES:
            raise ValueError(f"unknown municipality {municipality!r}; known: {sorted(voc.MUNICIPALITIES)}")
        self.m = voc.MUNICIPALITIES[municipality]
        self.rng = random.Random(seed)
        self.rnd = self.rng.random
        self.today = today
        self.fy_now = newest_fiscal_year(today)  # the rules' cut-off (CRT-3)
        self.rows: dict[str, list[Row]] = {
            t: []
            for t in (
                "households",
                "persons",
                "addresses",
                "seal_impressions",
                "seals",
                "tax_records",
                "koseki",
                "koseki_members",
                "koseki_events",
                "fuhyo_entries",
                "card_links",
                "usage_registrations",
                "changes",
            )
        }
        self.serials: set[int] = set()
        self.addresses_of: dict[int, list[tuple[date, str]]] = {}
        self.came_from: dict[int, str] = {}  # 従前の住所 of a person who moved into the village
        self.assessments: dict[tuple[Any, ...], Assessment] = {}
        self.impressions: dict[tuple[str, bool, int], int] = {}
        self.households_built = 0
        self.rare_quota_met = False
        self.former_quota_met = False
        # Persons eligible for the quota features, filled while building.
        self.residents_15: list[Row] = []
        self.card_holders: list[Row] = []
        self.seal_holders: list[Row] = []
        self.register_people: list[Row] = []
        self.tax_people: list[Row] = []  # with this year's and last year's tax records
        self.nonresident_holders: list[tuple[Row, date]] = []
        self.large_people: set[int] = set()

    # --- small random helpers -------------------------------------------------------------
    # Built on Random.random() alone: several times cheaper than randint/choice, still seeded.
    def randint(self, a: int, b: int) -> int:
        return a + int(self.rnd() * (b - a + 1))

    def choice(self, seq: Sequence[T]) -> T:
        return seq[int(self.rnd() * len(seq))]

    def day_between(self, a: date, b: date) -> date:
        if b <= a:
            return a
        return date.fromordinal(self.randint(a.toordinal(), b.toordinal()))

    def birth_for_age(self, lo: int, hi: int) -> date:
        t = self.today
        return self.day_between(
            date(t.year - hi - 1, t.month, 1) + timedelta(days=1), date(t.year - lo, t.month, 1)
        )

    def age(self, birth: date, on: date | None = None) -> int:
        on = on or self.today
        return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))

    def surname(self) -> voc.Name:
        if not self.rare_quota_met or self.rng.random() < voc.RARE_KANJI_RATE:
            self.rare_quota_met = True
            return self.choice(voc.RARE_SURNAMES)
        return self.choice(voc.SURNAMES)

    def given(self, sex: str) -> voc.Name:
        return self.choice(voc.MALE_NAMES if sex == "male" else voc.FEMALE_NAMES)

    def serial(self) -> int:
        while True:
            s = self.rng.getrandbits(62) + 1
            if s not in self.serials:
                self.serials.add(s)
                return s

    def village_address(self) -> str:
        m, r = self.m, self.rng
        section = self.choice(m.sections)
        if section.endswith("丁目"):
            return (
                f"{m.prefix}{self.choice(m.districts)}{section}{self.randint(1, 30)}番{self.randint(1, 20)}号"
            )
        lot = self.randint(1, 400)
        if r.random() < 0.3:
            return f"{m.prefix}{self.choice(m.districts)}字{section}{lot}番地の{self.randint(1, 9)}"
        return f"{m.prefix}{self.choice(m.districts)}字{section}{lot}番地"

    def other_address(self) -> str:
        place = f"{self.choice(voc.OTHER_CITIES)}{self.choice(voc.TOWNS)}{self.choice(voc.CHOME)}"
        addr = f"{place}{self.randint(1, 30)}番{self.randint(1, 20)}号"
        if self.rng.random() < 0.3:
            addr += f"　{self.choice(voc.BUILDINGS)}{self.randint(1, 9)}0{self.randint(1, 9)}号室"
        return addr

    def honseki_elsewhere(self) -> str:
        r = self.rng
        if r.random() < 0.5:
            k = voc.KITAYAMA if self.m.key != "kitayama" else voc.OHIRA
            return f"{k.prefix}{self.choice(k.districts)}{self.choice(k.sections)}{self.randint(1, 99)}番地"
        place = f"{self.choice(voc.OTHER_CITIES)}{self.choice(voc.TOWNS)}{self.choice(voc.CHOME)}"
        return f"{place}{self.randint(1, 30)}番地"

    def honseki_here(self) -> tuple[str, str]:
        m = self.m
        section = self.choice(m.sections)
        sep = "" if section.endswith("丁目") else "字"
        return f"{m.prefix}{self.choice(m.districts)}{sep}{section}", f"{self.randint(1, 400)}番地"

    # --- rows ---------------------------------------------------------------------------------
    def person_row(
        self,
        mem: Member,
        *,
        status: str,
        household: int | None,
        relationship: str | None,
        became_resident_on: date | None,
        honseki: str | None,
        hittousha: str | None,
        former: bool = False,
    ) -> Row:
        n = len(self.rows["persons"]) + 1
        mem.pid = n
        code = f"{self.rng.getrandbits(40) % 10**11:011d}"
        first11 = str(10**10 + self.rng.getrandbits(40) % (9 * 10**10))
        row: Row = {
            "id": n,
            "person_id": f"{self.m.code}-{n:07d}",
            "juminhyo_code": code,
            "kojin_bango": first11 + str(my_number_check_digit(first11)),
            "family_name": mem.family.kanji,
            "given_name": mem.given.kanji,
            "family_kana": mem.family.kana,
            "given_kana": mem.given.kana,
            "former_surname": mem.maiden.kanji if former and mem.maiden else None,
            "former_surname_kana": mem.maiden.kana if former and mem.maiden else None,
            "birth_date": mem.birth,
            "sex": mem.sex,
            "status": status,
            "household_fk": household,
            "relationship": relationship,
            "became_resident_on": became_resident_on,
            "status_changed_on": mem.death,
            "honseki": honseki,
            "hittousha": hittousha,
            **dict.fromkeys(FOREIGN_COLUMNS),  # a foreign resident's items, set by `foreign`
        }
        self.rows["persons"].append(row)
        return row

    def address_rows(self, person: Row, address: str, since: date, arrived: date, reason: str) -> None:
        """Current address (and an earlier one in the village when the person moved within it)."""
        rows = self.rows["addresses"]
        history = self.addresses_of.setdefault(person["id"], [])
        prev: str | None = None
        if reason == "転居":
            earlier = self.village_address()
            rows.append(
                {
                    "id": len(rows) + 1,
                    "person_fk": person["id"],
                    "address": earlier,
                    "since": arrived,
                    "notified_on": arrived + timedelta(days=self.randint(0, 14)),
                    "previous_address": None,
                    "reason": "転入",
                    "current": False,
                }
            )
            prev = earlier
            history.append((arrived, earlier))
        elif reason == "転入":
            prev = self.came_from[person["id"]] = self.other_address()
        rows.append(
            {
                "id": len(rows) + 1,
                "person_fk": person["id"],
                "address": address,
                "since": since,
                "notified_on": since + timedelta(days=self.randint(0, 14)),
                "previous_address": prev,
                "reason": reason,
                "current": person["status"] == "resident",
            }
        )
        history.append((since, address))

    def new_koseki(
        self,
        place: str,
        lot: str,
        head: Member,
        made_on: date,
        status: str = "current",
        closed_on: date | None = None,
    ) -> Row:
        rows = self.rows["koseki"]
        row: Row = {
            "id": len(rows) + 1,
            "koseki_no": f"K{self.m.code}-{len(rows) + 1:07d}",
            "honseki_place": place,
            "honseki_lot": lot,
            "hittousha_family": head.family.kanji,
            "hittousha_given": head.given.kanji,
            "made_on": made_on,
            "converted_on": None,
            "conversion_reason": None,
            "status": status,
            "closed_on": closed_on,
        }
        rows.append(row)
        return row

    def member_row(
        self,
        koseki: Row,
        mem: Member,
        *,
        relationship: str,
        spouse_role: str | None,
        father: str | None,
        mother: str | None,
        removed_on: date | None = None,
        removed_reason: str | None = None,
    ) -> Row:
        rows = self.rows["koseki_members"]
        seq = koseki.get("_seq", 0) + 1
        koseki["_seq"] = seq
        row: Row = {
            "id": len(rows) + 1,
            "koseki_fk": koseki["id"],
            "person_fk": mem.pid or None,
            "seq": seq,
            "given_name": mem.given.kanji,
            "birth_date": mem.birth,
            "sex": mem.sex,
            "father_name": father,
            "mother_name": mother,
            "relationship": relationship,
            "spouse_role": spouse_role,
            "removed": removed_on is not None,
            "removed_on": removed_on,
            "removed_reason": removed_reason,
        }
        rows.append(row)
        return row

    def event(self, member: Row, kind: str, on: date, **fields: Any) -> None:
        rows = self.rows["koseki_events"]
        seq = member.setdefault("_ev", 0) + 1
        member["_ev"] = seq
        rows.append(
            {
                "id": len(rows) + 1,
                "member_fk": member["id"],
                "seq": seq,
                "kind": kind,
                "event_date": on,
                "place": fields.get("place"),
                "notified_on": fields.get("notified_on"),
                "notifier": fields.get("notifier"),
                "spouse_name": fields.get("spouse_name"),
                "previous_register": fields.get("previous_register"),
                "new_register": fields.get("new_register"),
            }
        )

    def birth_event(self, member: Row, mem: Member, here: bool) -> None:
        place = self.m.prefix if here else self.choice(voc.OTHER_CITIES)
        self.event(
            member,
            "birth",
            mem.birth,
            place=place,
            notified_on=mem.birth + timedelta(days=self.randint(3, 14)),
            notifier=self.choice(("父", "母")),
        )

    def fuhyo(self, member: Row, entries: list[tuple[str, date]]) -> None:
        rows = self.rows["fuhyo_entries"]
        for seq, (address, since) in enumerate(entries, start=1):
            rows.append(
                {
                    "id": len(rows) + 1,
                    "member_fk": member["id"],
                    "seq": seq,
                    "address": address,
                    "since": since,
                }
            )

    def impression(self, surname: str, square: bool, size_mm: int) -> int:
        key = (surname, square, size_mm)
        if key not in self.impressions:
            png = seal_png(surname, square=square, size_mm=size_mm)
            rows = self.rows["seal_impressions"]
            rows.append(
                {
                    "id": len(rows) + 1,
                    "digest": hashlib.sha256(png).hexdigest(),
                    "png": png,
                    "size_mm": size_mm,
                }
            )
            self.impressions[key] = len(rows)
        return self.impressions[key]

    # --- per-person features --------------------------------------------------------------------
    def resident_features(self, person: Row, mem: Member, arrived: date, income: str) -> None:
        """Seal, card and tax records of a resident."""
        r = self.rng
        age = self.age(mem.birth)
        if age >= 15:
            self.residents_15.append(person)
            if r.random() < SEAL_RATE:
                start = max(arrived, mem.birth + timedelta(days=15 * 366))
                reg = self.day_between(start, self.today - timedelta(days=1))
                abolished = r.random() < SEAL_ABOLISHED_RATE
                rows = self.rows["seals"]
                seal: Row = {
                    "id": len(rows) + 1,
                    "person_fk": person["id"],
                    "registration_no": f"{self.m.code}-S{len(rows) + 1:07d}",
                    "impression_fk": self.impression(
                        mem.family.kanji, r.random() < 0.2, self.choice((12, 15, 15, 15, 18))
                    ),
                    "registered_on": reg,
                    "abolished_on": self.day_between(reg, self.today - timedelta(days=1))
                    if abolished
                    else None,
                    "status": "abolished" if abolished else "registered",
                }
                rows.append(seal)
                if not abolished:
                    self.seal_holders.append(person)
        if r.random() < (CARD_RATE if age >= 15 else 0.4):
            self.card(person, sign=age >= 15)
        if age >= 18:
            self.tax(person, mem, income)

    def card(self, person: Row, *, sign: bool) -> None:
        r = self.rng
        rows = self.rows["card_links"]
        issued = self.day_between(max(person["birth_date"], self.today - timedelta(days=9 * 365)), self.today)
        if issued == self.today:
            issued -= timedelta(days=1)  # issue-day cards come only from the card_issued_today quota
        rows.append(
            {
                "id": len(rows) + 1,
                "person_fk": person["id"],
                "auth_serial": self.serial(),
                "sign_serial": self.serial() if sign else None,
                "credential": "card",
                "issued_on": issued,
                "continued_use_on": None,
            }
        )
        self.card_holders.append(rows[-1])
        if sign and r.random() < PHONE_RATE:
            rows.append(
                {
                    "id": len(rows) + 1,
                    "person_fk": person["id"],
                    "auth_serial": self.serial(),
                    "sign_serial": self.serial(),
                    "credential": "phone",
                    "issued_on": self.day_between(
                        max(issued, date(2023, 5, 11)), self.today - timedelta(days=1)
                    ),
                    "continued_use_on": None,
                }
            )

    def tax(self, person: Row, mem: Member, income: str) -> None:
        """Tax records for each fiscal year the person was resident on 1 January and 18 or older then."""
        rnd = self.rng.random
        rows = self.rows["tax_records"]
        # One draw per person (cheap, and a person's situation is stable over the years).
        base_salary = 1_500_000 + int(rnd() * 550) * 10_000
        base_pension = 600_000 + int(rnd() * 220) * 10_000
        base_other = 300_000 + int(rnd() * 470) * 10_000
        earner = income in ("salary", "business")
        life_base = (0, 0, 28_000, 56_000, 70_000)[int(rnd() * 5)] if earner else 0
        dependants = (0, 0, 0, 1, 2)[int(rnd() * 5)] if income == "salary" else 0
        has_spouse = income == "salary" and rnd() < 0.3
        arrived = person["became_resident_on"]
        history = self.addresses_of[person["id"]]
        birth = mem.birth
        # Age on 1 January of year fy is fy - birth.year - 1, except for a 1 January birthday.
        jan1_shift = 0 if (birth.month, birth.day) == (1, 1) else 1
        cache = self.assessments
        for fy in range(self.fy_now - TAX_YEARS + 1, self.fy_now + 1):
            jan1 = date(fy, 1, 1)
            if arrived is None or arrived > jan1 or fy - birth.year - jan1_shift < 18:
                continue
            age = fy - 1 - birth.year
            salary = pension = other = 0
            wobble = (0.96, 1.0, 1.04)[int(rnd() * 3)]
            if income == "salary" and age < 65:
                salary = int(base_salary * wobble) // 1000 * 1000
            elif income == "business":
                other = int(base_other * wobble) // 1000 * 1000
            elif age >= 65 or income == "pension":
                pension = int(base_pension * wobble) // 1000 * 1000
            elif income == "part_time":
                salary = int(base_salary * 0.2 * wobble) // 1000 * 1000
            social = int((salary + other) * 0.14) // 1000 * 1000 + (pension * 8 // 100 // 1000 * 1000)
            life = life_base if salary or other else 0
            key = (fy, salary, pension, other, age >= 65, social, life, has_spouse, dependants)
            a = cache.get(key)
            if a is None:
                a = cache[key] = assess(
                    fiscal_year=fy,
                    salary_income=salary,
                    pension_income=pension,
                    other_earnings=other,
                    age=age,
                    social_insurance=social,
                    life_insurance=life,
                    has_spouse=has_spouse,
                    dependants=dependants,
                )
            address = history[-1][1]
            if len(history) > 1:
                address = next((addr for since, addr in reversed(history) if since <= jan1), history[0][1])
            rows.append(
                {
                    "id": len(rows) + 1,
                    "person_fk": person["id"],
                    "fiscal_year": fy,
                    "address_jan1": address,
                    "salary_income": salary,
                    "salary_earnings": a.salary_earnings,
                    "pension_income": pension,
                    "pension_earnings": a.pension_earnings,
                    "other_earnings": other,
                    "total_earnings": a.total_earnings,
                    "total_earnings_etc": a.total_earnings_etc,
                    "ded_social_insurance": a.ded_social_insurance,
                    "ded_life_insurance": life,
                    "ded_spouse": a.ded_spouse,
                    "ded_dependants": a.ded_dependants,
                    "dependants": dependants,
                    "ded_basic": a.ded_basic,
                    "ded_total": a.ded_total,
                    "taxable_base": a.taxable_base,
                    "city_income_levy": a.city_income_levy,
                    "city_per_capita": a.city_per_capita,
                    "pref_income_levy": a.pref_income_levy,
                    "pref_per_capita": a.pref_per_capita,
                    "tax_total": a.tax_total,
                    "non_taxable": a.non_taxable,
                }
            )
        # this year and last on record: a pending declaration (LAG-2) then holds back one year of several
        recent = [r["fiscal_year"] for r in rows[-2:] if r["person_fk"] == person["id"]]
        if recent == [self.fy_now - 1, self.fy_now]:
            self.tax_people.append(person)
