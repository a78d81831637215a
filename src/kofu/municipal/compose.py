"""From one consistent registry snapshot to a certificate's content, applying the kiosk's choices.

The snapshot (`kofu.registry.repository.read_snapshot`) is read in one transaction; here a record with
a change filed but not reflected is refused, never printed stale (LAG-1, LAG-2, INC-4, INC-5), no one
under a per-person stop (支援措置) is printed, and the printing rules of kofu.rules apply (CRT-1
household, CRT-2 own live seal, CRT-4 current register).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

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
    ResidenceItems,
    ResidentEntry,
    Taxes,
)
from kofu.documents.impression import print_form
from kofu.documents.names import katakana
from kofu.registry.facts import person_facts
from kofu.registry.vocabulary import KOSEKI_EVENT_TITLES
from kofu.rules import eligibility
from kofu.rules.decision import Refused
from kofu.rules.facts import PersonFacts
from kofu.rules.furigana import member_has_reading, readings_printed
from kofu.rules.kinds import Kind
from kofu.rules.menu import OPTION_WHOLE, certification_variant
from kofu.rules.numerals import to_fullwidth
from kofu.rules.reasons import Reason
from kofu.rules.rulebook import Rulebook

if TYPE_CHECKING:
    from kofu.registry.records import (
        KosekiEventRecord,
        KosekiMemberRecord,
        KosekiRecord,
        PersonRecord,
        PersonSnapshot,
    )

SEX = {"male": "男", "female": "女"}


@dataclass(frozen=True)
class Choice:
    """What the person chose at the kiosk."""

    kind: Kind
    members: tuple[str, ...] | None = None  # None: 世帯全員 / 全部事項; else the chosen person ids
    with_householder: bool = True  # 世帯主・続柄 (住民票)
    with_honseki: bool = False  # 本籍・筆頭者 (住民票, 附票): off unless chosen
    with_nationality: bool = False  # 国籍・地域 (住民票 of a foreign resident): off unless chosen
    with_residence: bool = False  # 在留資格・在留期間 (likewise)
    fiscal_year: int | None = None  # 課税証明書


@dataclass(frozen=True)
class Issuance:
    """The facts of this issuance that are not in the registry."""

    rulebook: Rulebook
    issued_on: date
    unique_number: str
    order_id: str
    requester_cert_digest: str


def _header(issuance: Issuance, kind: Kind, variant: str) -> DocumentHeader:
    book = issuance.rulebook
    return DocumentHeader(
        municipality_name=book.name,
        municipality_code=book.code,
        kind=kind,
        issued_on=issuance.issued_on,
        unique_number=issuance.unique_number,
        order_id=issuance.order_id,
        requester_cert_digest=issuance.requester_cert_digest,
        demo=book.demo,
        certification=book.certification(kind, variant),
        mayor_title=book.mayor_title,
        mayor_name=book.mayor_name,
        seal_text=book.seal_text,
    )


def compose(snap: PersonSnapshot, choice: Choice, issuance: Issuance) -> Content | Refused:
    """The content of the chosen certificate, or the reason it cannot be printed from this snapshot."""
    facts = person_facts(snap)  # the facts the menu and the render's decision decided on
    printed = choice.members if choice.members is not None else eligibility.whole_scope(facts, choice.kind)
    refused = eligibility.check_pending_change(facts, choice.kind) or eligibility.check_kiosk_stop(
        facts, choice.kind, printed
    )
    if refused is not None:
        return Refused(refused)
    makers = {
        Kind.JUMINHYO: _juminhyo,
        Kind.INKAN: _inkan,
        Kind.KAZEI: _kazei,
        Kind.KOSEKI: _koseki,
        Kind.FUHYO: _fuhyo,
    }
    return makers[choice.kind](snap, facts, choice, issuance)


def _resident(p: PersonRecord, with_relationship: bool, choice: Choice, readings: bool) -> ResidentEntry:
    addr = p.address
    f = p.foreign
    assert addr is not None  # residents always have a current address
    moved_in = addr.previous_address is not None
    return ResidentEntry(
        name=p.name,
        name_kana=p.name_kana,
        kyuuji=p.former_surname,
        birth_date=p.birth_date,
        sex=SEX[p.sex],
        relationship=p.relationship if with_relationship else None,
        resident_since=p.became_resident_on or addr.since,
        address_since=addr.since,
        notified_on=addr.notified_on if moved_in else None,
        previous_address=addr.previous_address,
        last_change=addr.reason,
        last_change_on=addr.since,
        honseki=p.honseki if choice.with_honseki else None,
        hittousha=p.hittousha if choice.with_honseki else None,
        alias=f.alias if f else None,
        nationality=f.nationality if f and choice.with_nationality else None,
        residence=(
            ResidenceItems(f.residence_status, f.residence_period, f.residence_until, f.category)
            if f and choice.with_residence
            else None
        ),
        kyuuji_kana=p.former_surname_kana if p.former_surname and readings else None,
    )


def _juminhyo(
    snap: PersonSnapshot, facts: PersonFacts, choice: Choice, issuance: Issuance
) -> Content | Refused:
    hh = snap.household
    if not facts.resident or hh is None:
        return Refused(Reason.NOT_RESIDENT)
    ids = choice.members if choice.members is not None else tuple(m.person_id for m in hh.members)
    reason = eligibility.check_household(facts, ids)
    if reason is not None or not ids:
        return Refused(reason or Reason.NOT_IN_HOUSEHOLD)
    chosen = [m for m in hh.members if m.person_id in set(ids)]
    variant = certification_variant(facts, Kind.JUMINHYO, choice.members)
    p = snap.person
    address = hh.address or (p.address.address if p.address else "")  # INC-5 is refused in `compose`
    return JuminhyoContent(
        header=_header(issuance, Kind.JUMINHYO, variant),
        address=address,
        whole_household=variant == "whole",
        householder=hh.head.name if choice.with_householder and hh.head else None,
        members=tuple(
            _resident(m, choice.with_householder, choice, readings_printed(issuance.issued_on))
            for m in chosen
        ),
    )


def _inkan(snap: PersonSnapshot, facts: PersonFacts, choice: Choice, issuance: Issuance) -> Content | Refused:
    reason = eligibility.check_seal(facts, choice.members or ())
    if reason is not None:
        return Refused(reason)  # INC-4: an abolished registration is never printed
    seal, p = snap.seal, snap.person
    if seal is None or p.address is None:
        return Refused(Reason.NO_SEAL_REGISTRATION)
    return InkanContent(
        header=_header(issuance, Kind.INKAN, certification_variant(facts, Kind.INKAN, None)),
        seal_image=print_form(seal.png),
        seal_size_mm=float(seal.size_mm),
        name=p.name,
        kyuuji=p.former_surname,
        birth_date=p.birth_date,
        sex=SEX[p.sex],
        address=p.address.address,
    )


def _kazei(snap: PersonSnapshot, facts: PersonFacts, choice: Choice, issuance: Issuance) -> Content | Refused:
    offered = issuance.rulebook.fiscal_years(issuance.issued_on)
    fy = choice.fiscal_year if choice.fiscal_year is not None else offered[0]
    reason = eligibility.check_fiscal_year(facts, fy, offered)  # CRT-3, LAG-2
    record = snap.tax_year(fy)
    if reason is not None or record is None:
        return Refused(reason or Reason.NOT_RESIDENT_ON_JAN_1)
    p = snap.person
    return KazeiContent(
        header=_header(issuance, Kind.KAZEI, certification_variant(facts, Kind.KAZEI, None)),
        fiscal_year=fy,
        address=record.address_jan1,
        name=p.name,
        kyuuji=p.former_surname,
        birth_date=p.birth_date,
        income=Income(
            record.salary_income,
            record.salary_earnings,
            record.pension_income,
            record.pension_earnings,
            record.other_earnings,
            record.total_earnings,
            record.total_earnings_etc,
        ),
        deductions=Deductions(
            record.ded_social_insurance,
            record.ded_life_insurance,
            record.ded_spouse,
            record.ded_dependants,
            record.dependants,
            record.ded_basic,
            record.ded_total,
        ),
        taxable_base=record.taxable_base,
        taxes=Taxes(
            record.city_income_levy,
            record.city_per_capita,
            record.pref_income_levy,
            record.pref_per_capita,
            record.tax_total,
            # the record's total holds 森林環境税 beside the four levies (none before 令和6年度)
            record.tax_total
            - record.city_income_levy
            - record.city_per_capita
            - record.pref_income_levy
            - record.pref_per_capita,
        ),
        exempt=record.non_taxable,
    )


def _event(e: KosekiEventRecord) -> KosekiEvent:
    title = KOSEKI_EVENT_TITLES.get(e.kind, e.kind)
    items: list[EventItem] = [EventItem(f"{title}日" if e.kind != "adoption" else "縁組日", on=e.event_date)]
    if e.place:
        items.append(EventItem(f"{title}地", text=e.place))
    if e.spouse_name:
        items.append(EventItem("配偶者氏名", text=e.spouse_name))
    if e.new_register:
        items.append(EventItem("新本籍", text=to_fullwidth(e.new_register)))
    if e.previous_register:
        items.append(EventItem("従前戸籍", text=to_fullwidth(e.previous_register)))
    # a marriage takes effect on its notification: 【婚姻日】 is that day, printed once
    if e.notified_on and not (e.kind == "marriage" and e.notified_on == e.event_date):
        items.append(EventItem("届出日", on=e.notified_on))
    if e.notifier:
        items.append(EventItem("届出人", text=e.notifier))
    return KosekiEvent(title, tuple(items))


def _koseki_person(m: KosekiMemberRecord, readings: bool) -> KosekiPerson:
    # a removal shows by the 除籍 mark and the event's own entry (婚姻, 死亡): 【除籍日】 is no item
    events = [_event(e) for e in m.events]
    return KosekiPerson(
        name=m.given_name,
        birth_date=m.birth_date,
        spouse_status=m.spouse_role,
        father=m.father_name,
        mother=m.mother_name,
        relationship=m.relationship,
        removed=m.removed,
        events=tuple(events),
        name_kana=(
            katakana(m.given_kana) if readings and m.given_kana and member_has_reading(m.removed_on) else None
        ),
    )


def _register_event(k: KosekiRecord) -> KosekiEvent:
    if k.converted_on is not None:
        items = [EventItem("改製日", on=k.converted_on)]
        if k.conversion_reason:
            items.append(EventItem("改製事由", text=k.conversion_reason))
        return KosekiEvent("戸籍改製", tuple(items))
    return KosekiEvent("戸籍編製", (EventItem("編製日", on=k.made_on),))


def _register_members(
    snap: PersonSnapshot, facts: PersonFacts, choice: Choice
) -> tuple[KosekiRecord, tuple[KosekiMemberRecord, ...]] | Refused:
    reason = eligibility.check_register(facts)  # CRT-4: never 除籍 or 改製原戸籍
    if reason is not None or snap.koseki is None:
        return Refused(reason or Reason.NOT_IN_REGISTER)
    reason = eligibility.check_register_members(facts, choice.members or ())  # CRT-4, as the menu
    if reason is not None:
        return Refused(reason)
    if choice.members is None:
        return snap.koseki, snap.koseki.members
    return snap.koseki, tuple(m for m in snap.koseki.members if m.person_id in set(choice.members))


def _honseki(k: KosekiRecord) -> str:
    return f"{k.honseki_place}{to_fullwidth(k.honseki_lot)}"


def _koseki(
    snap: PersonSnapshot, facts: PersonFacts, choice: Choice, issuance: Issuance
) -> Content | Refused:
    found = _register_members(snap, facts, choice)
    if isinstance(found, Refused):
        return found
    k, members = found
    variant = certification_variant(facts, Kind.KOSEKI, choice.members)
    readings = readings_printed(issuance.issued_on)
    return KosekiContent(
        header=_header(issuance, Kind.KOSEKI, variant),
        whole=variant == OPTION_WHOLE,
        honseki=_honseki(k),
        hittousha=k.hittousha,
        register_event=_register_event(k),
        persons=tuple(_koseki_person(m, readings) for m in members),
        family_kana=katakana(k.family_kana) if readings and k.family_kana else None,
    )


def _fuhyo(snap: PersonSnapshot, facts: PersonFacts, choice: Choice, issuance: Issuance) -> Content | Refused:
    found = _register_members(snap, facts, choice)
    if isinstance(found, Refused):
        return found
    k, members = found
    return FuhyoContent(
        header=_header(issuance, Kind.FUHYO, certification_variant(facts, Kind.FUHYO, None)),
        honseki=_honseki(k) if choice.with_honseki else None,
        hittousha=k.hittousha if choice.with_honseki else None,
        members=tuple(_fuhyo_member(m) for m in members),
    )


def _fuhyo_member(m: KosekiMemberRecord) -> FuhyoMember:
    gone = m.removed_on if m.removed else None
    # a departed member's 附票 ends when they left the register: no address set after that day
    lines = sorted((f for f in m.fuhyo if gone is None or f.since <= gone), key=lambda f: f.since)
    return FuhyoMember(
        name=f"{m.family_name}\u3000{m.given_name}",
        kyuuji=m.former_surname,
        birth_date=m.birth_date,
        sex=SEX[m.sex],
        addresses=tuple(AddressSpell(f.address, f.since) for f in lines),
        removed=m.removed,
        removed_on=gone,
        removed_reason=m.removed_reason if m.removed else None,
    )


def compose_sample(
    registry_url: str, rulebook: Rulebook, kind: Kind, person_id: str, *, serial: int = 1
) -> Content | str:
    """Content of `kind` for a person of the registry at `registry_url` (the CLI's --person), or an
    error line (a registry that is not there is said, never created)."""
    import hashlib

    from kofu.db import make_engine
    from kofu.layout import MissingDatabase, existing
    from kofu.registry.repository import read_snapshot
    from kofu.rules.calendar import today_jst
    from kofu.rules.paging import make_document_number

    try:
        snap = read_snapshot(make_engine(existing(registry_url)), person_id)
    except MissingDatabase as exc:
        return f"unreadable: {exc}"
    except Exception as exc:  # no registry tables, unreachable database
        return f"unreadable: cannot read the registry at {registry_url}: {type(exc).__name__}"
    if snap is None:
        return f"bad_request: no person {person_id!r} in the registry"
    from datetime import UTC, datetime

    today = today_jst(datetime.now(UTC))
    issuance = Issuance(
        rulebook=rulebook,
        issued_on=today,
        unique_number=make_document_number(rulebook.code, today, serial),
        order_id=f"sample-{person_id}",
        requester_cert_digest=hashlib.sha256(person_id.encode()).hexdigest(),
    )
    result = compose(snap, Choice(kind), issuance)
    if isinstance(result, Refused):
        return f"{result.code}: {result.ja} / {result.en}"
    return result
