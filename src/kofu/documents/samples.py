"""Built-in sample content of each kind, for `kofu documents sample`, tests and the benchmark.

The people are fictional; one of them carries a registered 旧氏 (INC-6) and one a rare character (𠮷).
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, date, datetime
from functools import cache

from kofu.documents.content import (
    AddressSpell,
    Content,
    Deductions,
    DocumentHeader,
    EventItem,
    FuhyoContent,
    FuhyoMember,
    Income,
    InkanContent,
    JuminhyoContent,
    KazeiContent,
    KosekiContent,
    KosekiEvent,
    KosekiPerson,
    ResidentEntry,
    Taxes,
)
from kofu.rules import residenttax
from kofu.rules.calendar import today_jst
from kofu.rules.kinds import Kind
from kofu.rules.numerals import to_fullwidth
from kofu.rules.paging import make_document_number
from kofu.rules.rulebook import Rulebook

ADDRESS = "宮城県黒川郡大衡村大衡字平林１２３番地の４"
HONSEKI = "宮城県黒川郡大衡村大衡字平林１２３番地"
PREVIOUS = "宮城県仙台市青葉区一番町四丁目７番１７号"


def header(
    rulebook: Rulebook,
    kind: Kind,
    *,
    variant: str = "default",
    issued_on: date | None = None,
    serial: int = 1,
    order_id: str = "sample-order",
    requester: bytes = b"sample requester certificate",
) -> DocumentHeader:
    """A header from the rulebook: sentence, mayor and seal text, demo flag, a valid unique number."""
    day = issued_on or today_jst(datetime.now(UTC))
    return DocumentHeader(
        municipality_name=rulebook.name,
        municipality_code=rulebook.code,
        kind=kind,
        issued_on=day,
        unique_number=make_document_number(rulebook.code, day, serial),
        order_id=order_id,
        requester_cert_digest=hashlib.sha256(requester).hexdigest(),
        demo=rulebook.demo,
        certification=rulebook.certification(kind, variant),
        mayor_title=rulebook.mayor_title,
        mayor_name=rulebook.mayor_name,
        seal_text=rulebook.seal_text,
    )


HOUSEHOLD = (
    ResidentEntry(
        name="髙橋　一郎",
        name_kana="たかはし　いちろう",
        kyuuji=None,
        birth_date=date(1978, 4, 1),
        sex="男",
        relationship="世帯主",
        resident_since=date(2010, 10, 5),
        address_since=date(2010, 10, 1),
        notified_on=date(2010, 10, 5),
        previous_address=PREVIOUS,
        last_change="転入",
        last_change_on=date(2010, 10, 1),
    ),
    ResidentEntry(
        name="髙橋　花子",
        name_kana="たかはし　はなこ",
        kyuuji="𠮷田",
        birth_date=date(1980, 12, 24),
        sex="女",
        relationship="妻",
        resident_since=date(2010, 10, 5),
        address_since=date(2010, 10, 1),
        notified_on=date(2010, 10, 5),
        previous_address="宮城県富谷市成田二丁目１番地の１",
        last_change="転入",
        last_change_on=date(2010, 10, 1),
        kyuuji_kana="よしだ",
    ),
    ResidentEntry(
        name="髙橋　﨑太",
        name_kana="たかはし　さきた",
        kyuuji=None,
        birth_date=date(2013, 7, 7),
        sex="男",
        relationship="子",
        resident_since=date(2013, 7, 7),
        address_since=date(2013, 7, 7),
        notified_on=date(2013, 7, 16),
        previous_address=None,
        last_change="出生",
        last_change_on=date(2013, 7, 7),
    ),
)


def juminhyo(
    rulebook: Rulebook,
    *,
    members: tuple[int, ...] | None = None,
    with_householder: bool = True,
    with_honseki: bool = False,
    **kw: object,
) -> JuminhyoContent:
    """A 住民票の写し: the whole household, or the chosen members (indices into HOUSEHOLD)."""
    whole = members is None
    chosen = HOUSEHOLD if members is None else tuple(HOUSEHOLD[i] for i in members)
    if not with_householder:
        chosen = tuple(replace(m, relationship=None) for m in chosen)
    if with_honseki:  # the sample household is one register, 筆頭者 its head
        chosen = tuple(replace(m, honseki=HONSEKI, hittousha=HOUSEHOLD[0].name) for m in chosen)
    return JuminhyoContent(
        header=header(rulebook, Kind.JUMINHYO, variant="whole" if whole else "partial", **kw),  # type: ignore[arg-type]
        address=ADDRESS,
        whole_household=whole,
        householder=HOUSEHOLD[0].name if with_householder else None,
        members=chosen,
    )


@cache
def seal_image(surname: str = "髙橋") -> bytes:
    """A 印影 PNG in print form (the same drawing as the generated registry's seals)."""
    from kofu.documents.impression import print_form
    from kofu.documents.seal_image import seal_png

    return print_form(seal_png(surname))


def inkan(rulebook: Rulebook, **kw: object) -> InkanContent:
    """A 印鑑登録証明書 of the household's second member (who has a 旧氏)."""
    person = HOUSEHOLD[1]
    return InkanContent(
        header=header(rulebook, Kind.INKAN, **kw),  # type: ignore[arg-type]
        seal_image=seal_image(),
        seal_size_mm=15.0,
        name=person.name,
        kyuuji=person.kyuuji,
        birth_date=person.birth_date,
        sex=person.sex,
        address=ADDRESS,
    )


def kazei(rulebook: Rulebook, *, fiscal_year: int = 2025, exempt: bool = False, **kw: object) -> KazeiContent:
    """A 課税・非課税・所得証明書 of the householder (or an exempt one)."""
    person = HOUSEHOLD[0]
    if exempt:
        income = Income(0, 0, 0, 0, 0, 0, 0)
        deductions = Deductions(0, 0, 0, 0, 0, 430_000, 430_000)
        taxes, base = Taxes(0, 0, 0, 0, 0), 0
    else:
        income = Income(5_200_000, 3_580_000, 0, 0, 120_000, 3_700_000, 3_700_000)
        deductions = Deductions(748_000, 28_000, 330_000, 330_000, 1, 430_000, 1_866_000)
        base = 1_834_000
        law = residenttax.law_of(fiscal_year)
        difference = residenttax.personal_difference(spouse=True, elderly_spouse=False, dependants=1)
        city, pref = residenttax.income_levies(base, difference)
        per_capita = law.city_per_capita + law.pref_per_capita + law.forest_environment
        taxes = Taxes(
            city,
            law.city_per_capita,
            pref,
            law.pref_per_capita,
            city + pref + per_capita,
            law.forest_environment,
        )
    return KazeiContent(
        header=header(rulebook, Kind.KAZEI, **kw),  # type: ignore[arg-type]
        fiscal_year=fiscal_year,
        address=ADDRESS,
        name=person.name,
        kyuuji=person.kyuuji,
        birth_date=person.birth_date,
        income=income,
        deductions=deductions,
        taxable_base=base,
        taxes=taxes,
        exempt=exempt,
    )


def _birth(
    given: str, reading: str, on: date, father: str, mother: str, relationship: str, removed: bool = False
) -> KosekiPerson:
    events = [
        KosekiEvent(
            "出生",
            (
                EventItem("出生日", on=on),
                EventItem("出生地", text="宮城県黒川郡大衡村"),
                EventItem("届出日", on=date(on.year, on.month, min(on.day + 7, 28))),
                EventItem("届出人", text="父"),
            ),
        )
    ]
    if removed:
        events.append(
            KosekiEvent(
                "婚姻",
                (
                    EventItem("婚姻日", on=date(on.year + 25, 6, 1)),
                    EventItem("配偶者氏名", text="佐藤　太郎"),
                    EventItem("新本籍", text="宮城県仙台市青葉区本町三丁目" + to_fullwidth("5") + "番地"),
                ),
            )
        )
    return KosekiPerson(given, on, None, father, mother, relationship, removed, tuple(events), reading)


def koseki(rulebook: Rulebook, *, children: int = 1, whole: bool = True, **kw: object) -> KosekiContent:
    """A 戸籍 of a couple and `children` children (a large register spans pages)."""
    husband = KosekiPerson(
        "一郎",
        date(1978, 4, 1),
        "夫",
        "髙橋　太郎",
        "髙橋　春子",
        "長男",
        False,
        (
            KosekiEvent(
                "出生",
                (
                    EventItem("出生日", on=date(1978, 4, 1)),
                    EventItem("出生地", text="宮城県黒川郡大衡村"),
                    EventItem("届出日", on=date(1978, 4, 8)),
                    EventItem("届出人", text="父"),
                ),
            ),
            KosekiEvent(
                "婚姻",
                (
                    EventItem("婚姻日", on=date(2008, 5, 1)),
                    EventItem("配偶者氏名", text="𠮷田　花子"),
                    EventItem("従前戸籍", text="宮城県黒川郡大衡村大衡字平林１２３番地　髙橋太郎"),
                ),
            ),
        ),
        name_kana="イチロウ",
    )
    wife = replace(
        husband,
        name="花子",
        name_kana="ハナコ",
        birth_date=date(1980, 12, 24),
        spouse_status="妻",
        father="𠮷田　次郎",
        mother="𠮷田　秋子",
        relationship="長女",
        events=(
            KosekiEvent(
                "婚姻",
                (
                    EventItem("婚姻日", on=date(2008, 5, 1)),
                    EventItem("配偶者氏名", text="髙橋　一郎"),
                    EventItem("従前戸籍", text="宮城県富谷市成田二丁目１番地　𠮷田次郎"),
                ),
            ),
        ),
    )
    ordinals = ("長", "二", "三", "四", "五", "六", "七", "八", "九", "十")
    kids = []
    for i in range(children):
        son = i % 2 == 0
        rel = ordinals[(i // 2) % 10] + ("男" if son else "女")
        given, reading = (
            ("﨑太", "サキタ"),
            ("美咲", "ミサキ"),
            ("健", "ケン"),
            ("結衣", "ユイ"),
            ("翔", "ショウ"),
            ("葵", "アオイ"),
            ("蓮", "レン"),
            ("陽菜", "ヒナ"),
        )[i % 8]
        kids.append(
            _birth(
                given,
                reading,
                date(2009 + i % 15, 1 + i % 12, 1 + i % 27),
                "髙橋　一郎",
                "髙橋　花子",
                rel,
                removed=i == 1,
            )
        )
    persons = (husband, wife, *kids)
    register_event = KosekiEvent("戸籍編製", (EventItem("編製日", on=date(2008, 5, 1)),))
    return KosekiContent(
        header=header(rulebook, Kind.KOSEKI, variant="whole" if whole else "individual", **kw),  # type: ignore[arg-type]
        whole=whole,
        honseki=HONSEKI,
        hittousha="髙橋　一郎",
        register_event=register_event,
        persons=persons if whole else (husband,),
        family_kana="タカハシ",
    )


def fuhyo(rulebook: Rulebook, *, with_honseki: bool = False, **kw: object) -> FuhyoContent:
    """A 戸籍の附票の写し of the couple, addresses oldest first."""
    return FuhyoContent(
        header=header(rulebook, Kind.FUHYO, **kw),  # type: ignore[arg-type]
        honseki=HONSEKI if with_honseki else None,
        hittousha="髙橋　一郎" if with_honseki else None,
        members=(
            FuhyoMember(
                "髙橋　一郎",
                None,
                date(1978, 4, 1),
                "男",
                (AddressSpell(PREVIOUS, date(2002, 4, 1)), AddressSpell(ADDRESS, date(2010, 10, 1))),
                False,
                None,
                None,
            ),
            FuhyoMember(
                "髙橋　花子",
                "𠮷田",
                date(1980, 12, 24),
                "女",
                (
                    AddressSpell("宮城県富谷市成田二丁目１番地の１", date(2004, 4, 1)),
                    AddressSpell(ADDRESS, date(2010, 10, 1)),
                ),
                False,
                None,
                None,
            ),
        ),
    )


def sample(kind: Kind, rulebook: Rulebook, **kw: object) -> Content:
    """The default sample of `kind`."""
    makers = {
        Kind.JUMINHYO: juminhyo,
        Kind.INKAN: inkan,
        Kind.KAZEI: kazei,
        Kind.KOSEKI: koseki,
        Kind.FUHYO: fuhyo,
    }
    return makers[kind](rulebook, **kw)  # type: ignore[operator]
