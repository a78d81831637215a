"""The synthetic village as rows: deterministic for a seed and a reference day, no database involved.

One `random.Random(seed)` drives every choice; names and places come from `vocabulary` (Faker's ja_JP
pools, taken once), so generating is a tight loop that builds plain dicts for bulk inserts. Every case a
rule needs appears at least once in any village of a few hundred persons: the first households cycle
through every household type, and rare features are drawn by quota (at least one, then at a rate).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

from kofu.registry import vocabulary as voc
from kofu.registry.foreign import make_foreign_residents
from kofu.registry.rowbuilder import (
    Member,
    Row,
    RowBuilder,
    VillageRows,
    my_number_check_digit,
)

__all__ = ["VillageRows", "generate_rows", "household_plan", "my_number_check_digit"]

HOUSEHOLD_TYPES: tuple[tuple[str, int], ...] = (
    ("family", 34),
    ("couple_elder", 14),
    ("single_elder", 12),
    ("single_young", 10),
    ("three_gen", 10),
    ("couple_young", 8),
    ("nonresident_honseki", 5),
    ("moved_out", 3),
    ("single_parent", 3),
    ("large_family", 1),
)
# The largest number of persons (deceased included) each household type produces.
MAX_SIZE = {
    "family": 6,
    "couple_elder": 2,
    "single_elder": 2,
    "single_young": 1,
    "three_gen": 7,
    "couple_young": 2,
    "nonresident_honseki": 2,
    "moved_out": 1,
    "single_parent": 4,
    "large_family": 9,
}
# Rates of person-level features chosen by quota after households are built (at least one each).
RATES = {
    "pending_address_change": 0.01,
    "tax_pending": 0.01,
    "seal_abolition_pending": 0.002,
    "koseki_pending": 0.003,
    "card_issued_today": 0.005,
    "continued_use_today": 0.003,
}
HONSEKI_HERE = 0.75
FORMER_SURNAME_RATE = 0.05


class _Builder(RowBuilder):
    """Households, families and their registers, then the quota-drawn cases."""

    finished_koseki = 0
    finished_members = 0

    # --- families ---------------------------------------------------------------------------------
    def couple(self, husband_age: tuple[int, int], family: voc.Name | None = None) -> tuple[Member, Member]:
        fam = family or self.surname()
        h_birth = self.birth_for_age(*husband_age)
        w_birth = self.day_between(h_birth - timedelta(days=5 * 365), h_birth + timedelta(days=4 * 365))
        w_birth = min(w_birth, self.today - timedelta(days=19 * 365))
        husband = Member(fam, self.given("male"), "male", h_birth)
        wife = Member(fam, self.given("female"), "female", w_birth, maiden=self.choice(voc.SURNAMES))
        return husband, wife

    def children(self, mother: Member, count: int, after: date | None = None) -> list[Member]:
        """Up to `count` children of `mother` born after `after`, ten months or more apart, names distinct."""
        kids: list[Member] = []
        end = min(mother.birth + timedelta(days=43 * 365), self.today - timedelta(days=1))
        born = max(mother.birth + timedelta(days=20 * 365), after or mother.birth)
        names: set[str] = set()
        for _ in range(count):
            born = born + timedelta(days=self.randint(300, 1500))
            if born > end:
                break
            sex = self.choice(("male", "female"))
            given = self.given(sex)
            while given.kanji in names:
                given = self.given(sex)
            names.add(given.kanji)
            kids.append(Member(mother.family, given, sex, born))
        return kids

    @staticmethod
    def child_relationships(kids: list[Member]) -> list[str]:
        order = ("長", "二", "三", "四", "五", "六", "七", "八", "九", "十")
        counts = {"male": 0, "female": 0}
        out = []
        for k in kids:
            i = counts[k.sex]
            counts[k.sex] += 1
            out.append(f"{order[min(i, 9)]}{'男' if k.sex == 'male' else '女'}")
        return out

    def register_family(
        self,
        husband: Member,
        wife: Member | None,
        kids: list[Member],
        married_on: date,
        *,
        elder_register: str | None = None,
        here: bool = True,
        status: str = "current",
        removed: dict[int, tuple[date, str, str | None]] | None = None,
        place_lot: tuple[str, str] | None = None,
    ) -> tuple[Row, list[Row]]:
        """A register for a couple (made on marriage) with their children, 身分事項 included; `removed`
        gives a child's removal (day, reason, 新本籍 when by marriage)."""
        place, lot = place_lot or self.honseki_here()
        k = self.new_koseki(place, lot, husband, married_on, status=status)
        removed = removed or {}
        parents_reg = (
            elder_register or f"{self.honseki_elsewhere()}　{husband.family.kanji}{self.given('male').kanji}"
        )
        members: list[Row] = []
        h = self.member_row(
            k,
            husband,
            relationship="長男",
            spouse_role="夫" if wife else None,
            father=f"{husband.family.kanji}{self.given('male').kanji}",
            mother=f"{husband.family.kanji}{self.given('female').kanji}",
            removed_on=husband.death,
            removed_reason="死亡" if husband.death else None,
        )
        self.birth_event(h, husband, here and self.rng.random() < 0.6)
        members.append(h)
        if wife is not None:
            maiden = wife.maiden or self.choice(voc.SURNAMES)
            self.event(
                h,
                "marriage",
                married_on,
                notified_on=married_on,
                spouse_name=f"{maiden.kanji}{wife.given.kanji}",
                previous_register=parents_reg,
            )
            w = self.member_row(
                k,
                wife,
                relationship="長女" if self.rng.random() < 0.5 else "二女",
                spouse_role="妻",
                father=f"{maiden.kanji}{self.given('male').kanji}",
                mother=f"{maiden.kanji}{self.given('female').kanji}",
                removed_on=wife.death,
                removed_reason="死亡" if wife.death else None,
            )
            self.birth_event(w, wife, False)
            self.event(
                w,
                "marriage",
                married_on,
                notified_on=married_on,
                spouse_name=f"{husband.family.kanji}{husband.given.kanji}",
                previous_register=f"{self.honseki_elsewhere()}　{maiden.kanji}{self.given('male').kanji}",
            )
            members.append(w)
        couple = [(husband, members[0], wife)] + ([(wife, members[1], husband)] if wife else [])
        for mem, row, partner in sorted(couple, key=lambda c: c[0].death or date.max):
            if mem.death:
                self.event(
                    row,
                    "death",
                    mem.death,
                    place=self.m.prefix,
                    notified_on=mem.death + timedelta(days=self.randint(1, 7)),
                    notifier="親族",
                )
                survivor = next((r for m, r, _ in couple if m is partner), None)
                if survivor is not None and (
                    partner is None or not partner.death or partner.death > mem.death
                ):
                    self.event(survivor, "spouse_death", mem.death)  # 配偶者の死亡, under the survivor
        father = f"{husband.family.kanji}{husband.given.kanji}"
        mother = f"{husband.family.kanji}{wife.given.kanji}" if wife else None
        for i, (kid, rel) in enumerate(zip(kids, self.child_relationships(kids), strict=True)):
            gone = removed.get(i)
            km = self.member_row(
                k,
                kid,
                relationship=rel,
                spouse_role=None,
                father=father,
                mother=mother,
                removed_on=gone[0] if gone else None,
                removed_reason=gone[1] if gone else None,
            )
            self.birth_event(km, kid, here)
            if gone and gone[1] == "婚姻":
                self.event(
                    km,
                    "marriage",
                    gone[0],
                    notified_on=gone[0],
                    spouse_name=f"{self.choice(voc.SURNAMES).kanji}{self.given('female').kanji}",
                    new_register=gone[2],
                )
            members.append(km)
        if k["made_on"] < date(1994, 12, 1) and self.rng.random() < 0.6:
            self.convert(k, members)
        return k, members

    def convert(self, k: Row, members: list[Row]) -> None:
        """Make `k` a converted register, keeping its pre-conversion original (改製原戸籍)."""
        converted = self.day_between(date(1996, 1, 1), date(2004, 12, 31))
        rows = self.rows["koseki"]
        original = dict(k)
        original.pop("_seq", None)
        original.update(
            id=len(rows) + 1,
            koseki_no=f"K{self.m.code}-{len(rows) + 1:07d}",
            status="pre_conversion",
            closed_on=converted,
        )
        rows.append(original)
        k.update(made_on=None, converted_on=converted, conversion_reason=voc.CONVERSION_REASON)
        for seq, mem in enumerate(members, start=1):
            if mem["birth_date"] > converted:
                continue
            copy = dict(mem)
            copy.pop("_ev", None)
            mrows = self.rows["koseki_members"]
            copy.update(id=len(mrows) + 1, koseki_fk=original["id"], seq=seq, _origin=mem)
            if copy["removed_on"] and copy["removed_on"] > converted:
                copy.update(removed=False, removed_on=None, removed_reason=None)
            mrows.append(copy)

    def resident(
        self,
        mem: Member,
        household: int,
        relationship: str,
        address: str,
        since: date,
        honseki: tuple[str, str] | None,
        income: str,
        former: bool = False,
    ) -> Row:
        since = max(since, mem.birth)
        born_here = mem.birth >= since - timedelta(days=1) and self.rng.random() < 0.7
        arrived = (
            mem.birth
            if born_here
            else self.day_between(max(mem.birth, since - timedelta(days=20 * 365)), since)
        )
        reason = "出生" if born_here else ("転居" if arrived < since and self.rng.random() < 0.4 else "転入")
        if reason == "出生":
            arrived = since = mem.birth
        elif reason == "転入":
            arrived = since
        p = self.person_row(
            mem,
            status="resident",
            household=household,
            relationship=relationship,
            became_resident_on=arrived,
            honseki=honseki[0] if honseki else None,
            hittousha=honseki[1] if honseki else None,
            former=former,
        )
        self.address_rows(p, address, since, arrived, reason)
        self.resident_features(p, mem, arrived, income)
        return p

    def household(self, formed: date) -> int:
        rows = self.rows["households"]
        rows.append(
            {"id": len(rows) + 1, "household_no": f"{self.m.code}-H{len(rows) + 1:07d}", "formed_on": formed}
        )
        return len(rows)

    def build(self, kind: str) -> None:
        getattr(self, f"build_{kind}")()
        self.households_built += 1

    def _family_household(
        self,
        husband: Member,
        wife: Member | None,
        kids: list[Member],
        married_on: date,
        *,
        extra: Callable[[int, str, date], None] | None = None,
        elder_register: str | None = None,
        head_is_husband: bool = True,
        head_relationship: str = "世帯主",
        here: bool | None = None,
        place_lot: tuple[str, str] | None = None,
        elsewhere: str | None = None,
    ) -> None:
        """A household of a couple and their children; `place_lot` (here) or `elsewhere` fixes the 本籍."""
        here = self.rng.random() < HONSEKI_HERE if here is None else here
        formed = self.day_between(married_on, self.today - timedelta(days=30))
        hh = self.household(formed)
        address = self.village_address()
        honseki: tuple[str, str] | None
        if here:
            k, members = self.register_family(
                husband, wife, kids, married_on, elder_register=elder_register, place_lot=place_lot
            )
            honseki = (
                f"{k['honseki_place']}{k['honseki_lot']}",
                f"{husband.family.kanji}\u3000{husband.given.kanji}",
            )
        else:
            honseki = (
                elsewhere or self.honseki_elsewhere(),
                f"{husband.family.kanji}\u3000{husband.given.kanji}",
            )
        former = wife is not None and (not self.former_quota_met or self.rng.random() < FORMER_SURNAME_RATE)
        self.former_quota_met = self.former_quota_met or former
        income = self.choice(("salary", "salary", "business", "pension"))
        people = [(husband, head_relationship if head_is_husband else "子", income)]
        if wife is not None:
            people.append(
                (
                    wife,
                    "妻" if head_is_husband else "子の妻",
                    self.choice(("part_time", "none", "salary")),
                )
            )
        for kid in kids:
            people.append((kid, "子" if head_is_husband else "孫", "part_time"))
        rows: list[tuple[Member, Row]] = []
        for mem, rel, inc in people:
            if mem.death:
                continue
            rows.append(
                (
                    mem,
                    self.resident(mem, hh, rel, address, formed, honseki, inc, former=former and mem is wife),
                )
            )
        # Fill person links of the register members just written (their pids were set by person_row).
        if here:
            home: list[tuple[str, date]] = []  # the 附票 of the first spouse linked: where the family lived
            for i, m in enumerate(members):
                # the couple enter the register when it is made, a child at birth
                start = married_on if i == 0 or m["spouse_role"] else m["birth_date"]
                for mem, prow in rows:
                    if (
                        m["given_name"] == mem.given.kanji
                        and m["birth_date"] == mem.birth
                        and m["person_fk"] is None
                    ):
                        m["person_fk"] = prow["id"]
                        self.register_people.append(prow)
                        lines = self._fuhyo_since(prow["id"], start, home)
                        self.fuhyo(m, lines)
                        home = home or lines
                        break
            for m in members:
                if m["removed_reason"] == "死亡":  # a deceased spouse lived with the family until death
                    self.fuhyo(m, self.fuhyo_span(home, married_on, m["removed_on"]))
        if extra is not None:
            extra(hh, address, formed)

    def _fuhyo_from_addresses(self, person_fk: int) -> list[tuple[str, date]]:
        return [(address, since) for since, address in self.addresses_of.get(person_fk, [])]

    @staticmethod
    def fuhyo_span(lines: list[tuple[str, date]], start: date, end: date | None) -> list[tuple[str, date]]:
        """The 附票 lines held from `start` (the one then held, dated `start`) until `end`."""
        held = [a for a, since in lines if since <= start][-1:]
        later = [(a, since) for a, since in lines if start < since and (end is None or since <= end)]
        return [(held[0], start), *later] if held else later

    def _fuhyo_since(
        self, person_fk: int, start: date, home: list[tuple[str, date]]
    ) -> list[tuple[str, date]]:
        """A member's 附票 from `start`: their addresses here, after the family's (or where they came from)
        before they moved in, so a child's 附票 begins at birth."""
        own = self._fuhyo_from_addresses(person_fk)
        if own and own[0][1] <= start:
            return own
        first = own[0][1] if own else self.today
        before = self.fuhyo_span(home, start, first - timedelta(days=1))
        if not before:
            before = [(self.came_from.get(person_fk) or self.other_address(), start)]
        return before + own

    def build_family(self) -> None:
        husband, wife = self.couple((28, 58))
        married = self.day_between(
            wife.birth + timedelta(days=22 * 365), wife.birth + timedelta(days=32 * 365)
        )
        married = min(married, self.today - timedelta(days=3 * 365))
        kids = self.children(wife, self.choice((1, 1, 2, 2, 2, 3, 3, 4)), after=married)
        self._family_household(husband, wife, kids, married)

    def build_large_family(self) -> None:
        husband, wife = self.couple((45, 58))
        married = wife.birth + timedelta(days=20 * 365)
        kids: list[Member] = []
        while len(kids) < 7:  # a register long enough to span several pages
            kids = self.children(wife, 7, after=married)
        self._family_household(husband, wife, kids, married, here=True)
        self.large_people.update(m.pid for m in (husband, wife, *kids))

    def build_couple_young(self) -> None:
        husband, wife = self.couple((25, 45))
        married = self.day_between(max(husband.birth, wife.birth) + timedelta(days=22 * 365), self.today)
        self._family_household(husband, wife, [], married)

    def build_couple_elder(self) -> None:
        husband, wife = self.couple((66, 92))
        married = wife.birth + timedelta(days=self.randint(20, 28) * 365)
        self._family_household(husband, wife, [], married)

    def build_single_parent(self) -> None:
        husband, wife = self.couple((30, 50))
        married = wife.birth + timedelta(days=24 * 365)
        husband.death = self.day_between(married + timedelta(days=365), self.today - timedelta(days=60))
        married = min(married, self.today - timedelta(days=4 * 365))
        kids = self.children(wife, self.choice((1, 2)), after=married)
        self._family_household(husband, wife, kids, married, head_is_husband=True)
        # The widow heads the household now that the husband's 除票 is written separately.
        for p in self.rows["persons"][-(len(kids) + 1) :]:
            if p["given_name"] == wife.given.kanji and p["birth_date"] == wife.birth:
                p["relationship"] = "世帯主"
        self.deceased(husband, honseki=None)

    def deceased(self, mem: Member, honseki: tuple[str, str] | None) -> None:
        p = self.person_row(
            mem,
            status="deceased",
            household=None,
            relationship=None,
            became_resident_on=mem.birth,
            honseki=honseki[0] if honseki else None,
            hittousha=honseki[1] if honseki else None,
        )
        self.address_rows(p, self.village_address(), mem.birth, mem.birth, "出生")

    def build_single_elder(self) -> None:
        husband, wife = self.couple((70, 95))
        married = wife.birth + timedelta(days=self.randint(20, 28) * 365)
        husband.death = self.day_between(
            self.today - timedelta(days=15 * 365), self.today - timedelta(days=30)
        )
        self._family_household(husband, wife, [], married)
        for p in self.rows["persons"][-1:]:
            p["relationship"] = "世帯主"
        self.deceased(husband, honseki=None)
        self.closed_parents_register(wife)

    def closed_parents_register(self, child: Member) -> None:
        """The child's parents' register, closed (除籍) once both parents died; the child left on marriage."""
        if child.maiden is None:
            return
        father = Member(child.maiden, self.given("male"), "male", child.birth - timedelta(days=30 * 365))
        mother = Member(child.maiden, self.given("female"), "female", child.birth - timedelta(days=27 * 365))
        father.death = self.day_between(
            child.birth + timedelta(days=40 * 365), self.today - timedelta(days=400)
        )
        mother.death = self.day_between(father.death, self.today - timedelta(days=200))
        place, lot = self.honseki_here()
        made = child.birth - timedelta(days=2 * 365)
        k = self.new_koseki(place, lot, father, made, status="closed", closed_on=mother.death)
        gp_f, gp_m = (
            f"{child.maiden.kanji}{self.given('male').kanji}",
            f"{child.maiden.kanji}{self.given('female').kanji}",
        )
        for mem, rel, role in ((father, "長男", "夫"), (mother, "長女", "妻")):
            m = self.member_row(
                k,
                mem,
                relationship=rel,
                spouse_role=role,
                father=gp_f,
                mother=gp_m,
                removed_on=mem.death,
                removed_reason="死亡",
            )
            self.birth_event(m, mem, True)
            if mem is mother and father.death:
                self.event(m, "spouse_death", father.death)  # the father died first
            self.event(
                m, "death", mem.death or made, place=self.m.prefix, notified_on=mem.death, notifier="親族"
            )
        married_away = child.birth + timedelta(days=23 * 365)
        c_mem = Member(child.maiden, child.given, child.sex, child.birth, pid=child.pid)
        m = self.member_row(
            k,
            c_mem,
            relationship="長女",
            spouse_role=None,
            father=f"{child.maiden.kanji}{father.given.kanji}",
            mother=f"{child.maiden.kanji}{mother.given.kanji}",
            removed_on=married_away,
            removed_reason="婚姻",
        )
        self.birth_event(m, c_mem, True)
        self.event(
            m,
            "marriage",
            married_away,
            notified_on=married_away,
            spouse_name=f"{child.family.kanji}{self.given('male').kanji}",
        )
        if c_mem.pid:
            self.register_people.append(self.rows["persons"][c_mem.pid - 1])

    def build_single_young(self) -> None:
        sex = self.choice(("male", "female"))
        mem = Member(self.surname(), self.given(sex), sex, self.birth_for_age(19, 40))
        hh = self.household(self.day_between(mem.birth + timedelta(days=18 * 365), self.today))
        here = self.rng.random() < 0.5
        honseki: tuple[str, str]
        if here:
            place, lot = self.honseki_here()
            made = self.day_between(mem.birth + timedelta(days=18 * 365), self.today - timedelta(days=10))
            k = self.new_koseki(place, lot, mem, made)
            honseki = (f"{place}{lot}", f"{mem.family.kanji}\u3000{mem.given.kanji}")
            p = self.resident(
                mem,
                hh,
                "世帯主",
                self.village_address(),
                self.rows["households"][-1]["formed_on"],
                honseki,
                "salary",
            )
            m = self.member_row(
                k,
                mem,
                relationship="長男" if sex == "male" else "長女",
                spouse_role=None,
                father=f"{mem.family.kanji}{self.given('male').kanji}",
                mother=f"{mem.family.kanji}{self.given('female').kanji}",
            )
            m["person_fk"] = p["id"]
            self.birth_event(m, mem, False)
            self.fuhyo(m, self._fuhyo_since(p["id"], made, []))
            self.register_people.append(p)
        else:
            honseki = (self.honseki_elsewhere(), f"{mem.family.kanji}\u3000{self.given('male').kanji}")
            self.resident(
                mem,
                hh,
                "世帯主",
                self.village_address(),
                self.rows["households"][-1]["formed_on"],
                honseki,
                self.choice(("salary", "part_time", "business")),
            )

    def build_three_gen(self) -> None:
        gp, gm = self.couple((68, 88))
        gm_married = gm.birth + timedelta(days=23 * 365)
        son = Member(
            gp.family,
            self.given("male"),
            "male",
            self.day_between(gm_married + timedelta(days=300), gm.birth + timedelta(days=36 * 365)),
        )
        son = Member(gp.family, son.given, "male", min(son.birth, self.today - timedelta(days=27 * 365)))
        wife = Member(
            gp.family,
            self.given("female"),
            "female",
            son.birth + timedelta(days=self.randint(-1500, 1500)),
            maiden=self.choice(voc.SURNAMES),
        )
        son_married = self.day_between(
            son.birth + timedelta(days=24 * 365),
            min(son.birth + timedelta(days=34 * 365), self.today - timedelta(days=400)),
        )
        kids = self.children(wife, self.choice((1, 2, 3)), after=son_married)
        here = self.rng.random() < HONSEKI_HERE
        # The son's own register (made on his marriage) is his 新本籍 in his parents' register.
        son_here = self.rng.random() < HONSEKI_HERE
        son_place = self.honseki_here() if son_here else None
        son_elsewhere = None if son_place else self.honseki_elsewhere()
        new_register = "".join(son_place) if son_place else son_elsewhere
        elder_text: str | None = None
        elder_home: list[tuple[str, date]] = []
        if here:
            # The grandparents' register, where the son is removed (除籍) by his marriage.
            ek, emembers = self.register_family(
                gp, gm, [son], gm_married, removed={0: (son_married, "婚姻", new_register)}
            )
            elder_text = f"{ek['honseki_place']}{ek['honseki_lot']}　{gp.family.kanji}{gp.given.kanji}"
            elder_members = emembers
        head_is_son = self.age(gp.birth) >= 75

        def elders(hh: int, address: str, formed: date) -> None:
            honseki = (
                (elder_text.split("　")[0], f"{gp.family.kanji}\u3000{gp.given.kanji}")
                if elder_text
                else (self.honseki_elsewhere(), f"{gp.family.kanji}\u3000{gp.given.kanji}")
            )
            for mem, rel in ((gp, "父" if head_is_son else "世帯主"), (gm, "母" if head_is_son else "妻")):
                p = self.resident(mem, hh, rel, address, formed, honseki, "pension")
                if here:
                    for m in elder_members:
                        if m["given_name"] == mem.given.kanji and m["birth_date"] == mem.birth:
                            m["person_fk"] = p["id"]
                            self.register_people.append(p)
                            lines = self._fuhyo_since(p["id"], gm_married, elder_home)
                            self.fuhyo(m, lines)
                            elder_home[:] = elder_home or lines

        self._family_household(
            son,
            wife,
            kids,
            son_married,
            extra=elders,
            elder_register=elder_text,
            head_is_husband=head_is_son,
            here=son_here,
            place_lot=son_place,
            elsewhere=son_elsewhere,
        )
        if here:
            # The son's line in his parents' register points at him too (his 附票 ends when he left).
            for m in elder_members:
                if m["given_name"] == son.given.kanji and m["birth_date"] == son.birth and son.pid:
                    m["person_fk"] = son.pid
                    lines = self.fuhyo_span(elder_home, son.birth, son_married)
                    self.fuhyo(m, lines or [(self.village_address(), son.birth)])

    def build_nonresident_honseki(self) -> None:
        husband, wife = self.couple((25, 70))
        married = self.day_between(wife.birth + timedelta(days=22 * 365), self.today - timedelta(days=200))
        single = len(self.nonresident_holders) >= 4 and self.rng.random() < 0.4
        k, members = self.register_family(husband, None if single else wife, [], married)
        r = self.rng
        away_since = self.day_between(married, self.today - timedelta(days=30))
        away_address = self.other_address()
        village_address = self.village_address()
        for mem, m in zip((husband, wife), members, strict=False):
            p = self.person_row(
                mem,
                status="nonresident",
                household=None,
                relationship=None,
                became_resident_on=None,
                honseki=f"{k['honseki_place']}{k['honseki_lot']}",
                hittousha=f"{husband.family.kanji}\u3000{husband.given.kanji}",
            )
            m["person_fk"] = p["id"]
            self.fuhyo(
                m, [(village_address, mem.birth if mem is husband else married), (away_address, away_since)]
            )
            self.register_people.append(p)
            if len(self.nonresident_holders) < 4 or r.random() < 0.75:
                self.card(p, sign=True)
                self.nonresident_holders.append((p, away_since))

    def build_moved_out(self) -> None:
        sex = self.choice(("male", "female"))
        mem = Member(self.surname(), self.given(sex), sex, self.birth_for_age(20, 60))
        mem.death = None
        p = self.person_row(
            mem,
            status="moved_out",
            household=None,
            relationship=None,
            became_resident_on=self.day_between(
                mem.birth + timedelta(days=18 * 365), self.today - timedelta(days=800)
            ),
            honseki=self.honseki_elsewhere(),
            hittousha=f"{mem.family.kanji}\u3000{mem.given.kanji}",
        )
        p["status_changed_on"] = self.day_between(p["became_resident_on"], self.today - timedelta(days=30))
        self.address_rows(p, self.village_address(), p["became_resident_on"], p["became_resident_on"], "転入")

    # --- quotas -----------------------------------------------------------------------------------
    def quota(self, pool: list[Row], rate: float) -> list[Row]:
        if not pool:
            return []
        n = max(1, round(rate * len(pool)))
        return self.rng.sample(pool, min(n, len(pool)))

    def change(self, person: Row, kind: str, payload: dict[str, Any], filed: date) -> None:
        rows = self.rows["changes"]
        rows.append(
            {
                "id": len(rows) + 1,
                "person_fk": person["id"],
                "kind": kind,
                "filed_on": filed,
                "reflected_on": None,
                "status": "pending",
                "payload": json.dumps(payload, ensure_ascii=False, default=str),
            }
        )

    def apply_quotas(self) -> None:
        t = self.today
        # Pending changes go to persons with a usable card, so a kiosk test can meet them.
        carded = {c["person_fk"] for c in self.card_holders if c["sign_serial"] is not None}
        rare = {n.kanji for n in voc.RARE_SURNAMES}
        reserved: set[int] = set()  # persons whose card must stay usable today
        reserved.update(p["id"] for p, _ in self.nonresident_holders[:4])
        for feature in (
            lambda p: p["former_surname"] is not None,
            lambda p: p["family_name"] in rare,
            lambda p: p["id"] in self.large_people,
        ):
            pool = [p for p in self.residents_15 if feature(p)]
            if pool and not any(p["id"] in carded for p in pool):
                self.card(pool[0], sign=True)
                carded.add(pool[0]["id"])
            reserved.update(p["id"] for p in pool)

        def with_card(pool: list[Row]) -> list[Row]:
            return [p for p in pool if p["id"] in carded and p["id"] not in reserved]

        residents = with_card(self.residents_15)
        for p in self.quota(residents, RATES["pending_address_change"]):
            moved = t - timedelta(days=self.randint(0, 5))
            self.change(
                p,
                "address",
                {
                    "address": self.village_address(),
                    "since": moved.isoformat(),
                    "notified_on": t.isoformat(),
                    "reason": "転居",
                },
                t,
            )
        for p in self.quota(with_card(self.tax_people), RATES["tax_pending"]):
            self.change(
                p,
                "tax_declaration",
                {"fiscal_year": self.fy_now, "other_earnings": self.rng.randrange(100_000, 900_000, 1000)},
                t,
            )
        for p in self.quota(with_card(self.seal_holders), RATES["seal_abolition_pending"]):
            self.change(p, "seal_abolition", {"abolished_on": t.isoformat()}, t)
        for p in self.quota(with_card(self.register_people), RATES["koseki_pending"]):
            self.change(
                p,
                "koseki",
                {"event": "marriage" if self.rng.random() < 0.5 else "birth", "notified_on": t.isoformat()},
                t,
            )
        self.usage_registrations()
        changed = {c["person_fk"] for c in self.rows["changes"]} | reserved
        cards = [
            c for c in self.card_holders if c["sign_serial"] is not None and c["person_fk"] not in changed
        ]
        for c in self.quota(cards, RATES["card_issued_today"]):
            c["issued_on"] = t
        for c in self.quota([c for c in cards if c["issued_on"] != t], RATES["continued_use_today"]):
            c["continued_use_on"] = t

    def usage_registrations(self) -> None:
        """Non-resident 本籍 holders with a card: approved, none, pending, refused first, then by weight."""
        rows = self.rows["usage_registrations"]
        for i, (p, away_since) in enumerate(self.nonresident_holders):
            status: str | None
            if i < 4:
                status = ("approved", None, "pending", "refused")[i]
            else:
                status = self.rng.choices(("approved", None, "pending", "refused"), (55, 25, 12, 8))[0]
            if status is None:
                continue
            filed = self.day_between(away_since, self.today - timedelta(days=1))
            rows.append(
                {
                    "id": len(rows) + 1,
                    "person_fk": p["id"],
                    "filed_on": filed,
                    "status": status,
                    "decided_on": None if status == "pending" else self.day_between(filed, self.today),
                }
            )

    def finish_rows(self) -> None:
        """Drop the builder's private keys from rows made since the last call (their households are done)."""
        for k in self.rows["koseki"][self.finished_koseki :]:
            k.pop("_seq", None)
        for m in self.rows["koseki_members"][self.finished_members :]:
            m.pop("_ev", None)
            origin = m.pop("_origin", None)
            if origin is not None:
                # A pre-conversion line belongs to the same person as its current line.
                m["person_fk"] = origin["person_fk"]
        self.finished_koseki = len(self.rows["koseki"])
        self.finished_members = len(self.rows["koseki_members"])


def household_plan(rng: random.Random, persons: int) -> Iterator[str]:
    """Household types: first one of each (so every case exists), then drawn by weight."""
    kinds = [k for k, _ in HOUSEHOLD_TYPES]
    weights = [w for _, w in HOUSEHOLD_TYPES]
    yield from kinds
    yield "nonresident_honseki"  # a second one, so every usage-registration status occurs
    while True:
        yield rng.choices(kinds, weights)[0]


def generate_rows(
    persons: int,
    seed: int,
    today: date,
    municipality: str = "ohira",
    progress: Callable[[int], None] | None = None,
) -> VillageRows:
    """All rows of a village of exactly `persons` persons."""
    if persons < 1:
        raise ValueError("persons must be at least 1")
    b = _Builder(municipality, seed, today)
    plan = household_plan(random.Random(seed ^ 0x5EED), persons)
    done = 0
    while True:
        n = len(b.rows["persons"])
        left = persons - n
        if left <= 0:
            break
        kind = next(plan)
        if MAX_SIZE[kind] > left:
            kind = "single_young"
        b.build(kind)
        made = len(b.rows["persons"])
        if progress is not None and made - done >= 500:
            progress(made - done)
            done = made
    b.apply_quotas()
    make_foreign_residents(b.rows, seed, today)
    b.finish_rows()
    if progress is not None:
        progress(len(b.rows["persons"]) - done)
    return VillageRows(municipality=municipality, seed=seed, today=today, tables=b.rows)
