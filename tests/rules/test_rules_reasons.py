"""Reason codes: the agreed seed set, sentences in both languages, the README table."""

from __future__ import annotations

import re

import pytest

from kofu.rules.decision import Allowed, Choices, Refused
from kofu.rules.kinds import Kind
from kofu.rules.reasons import Reason, reasons_markdown

SEED_CODES = [
    "closed_hours",
    "year_end_closure",
    "office_hours_only",
    "store_closed",
    "maintenance",
    "municipality_unavailable",
    "under_15",
    "not_resident",
    "not_honseki",
    "usage_registration_required",
    "usage_registration_pending",
    "phone_not_allowed_for_registration",
    "already_registered",
    "not_in_household",
    "not_own_seal",
    "no_seal_registration",
    "seal_abolished",
    "not_resident_on_jan_1",
    "fiscal_year_not_offered",
    "tax_declaration_pending",
    "record_change_pending",
    "register_closed",
    "register_pre_conversion",
    "not_in_register",
    "kind_not_offered",
    "card_issued_today",
    "continued_use_today",
    "pin_wrong",
    "pin_blocked",
    "password_wrong",
    "password_blocked",
    "challenge_unknown",
    "challenge_replayed",
    "challenge_expired",
    "challenge_wrong_session",
    "signature_invalid",
    "certificate_expired",
    "certificate_not_yet_valid",
    "certificate_revoked",
    "certificate_unknown_ca",
    "wrong_certificate_type",
    "ocsp_unavailable",
    "card_unknown",
    "too_many_copies",
    "order_unknown",
    "order_wrong_session",
    "order_state_conflict",
    "document_not_bound",
    "bad_request",
    "unreadable",
    "unsupported",
    "signature_mismatch",
    "key_unknown",
    "content_altered",
    "document_expired",
    "document_revoked",
    "document_unknown",
]

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def test_seed_codes_all_present_in_agreed_order() -> None:
    values = [reason.value for reason in Reason]
    assert values[: len(SEED_CODES)] == SEED_CODES


@pytest.mark.parametrize("reason", list(Reason))
def test_every_reason_has_japanese_and_english_sentences(reason: Reason) -> None:
    assert re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)*", reason.value)
    assert JAPANESE.search(reason.ja), reason
    assert reason.ja.endswith("。")
    assert reason.en.strip()
    assert reason.en.rstrip().endswith(".")
    assert not JAPANESE.search(reason.en)


def test_reason_values_and_sentences_are_unique() -> None:
    assert len({r.value for r in Reason}) == len(Reason)
    assert len({r.ja for r in Reason}) == len(Reason)
    assert len({r.en for r in Reason}) == len(Reason)


def test_ELG_2_under_15_sentence() -> None:
    assert Reason("under_15").ja == "15歳未満の方はコンビニ交付を利用できません。"
    assert Reason.UNDER_15.en == "People under 15 cannot use this service."


def test_reasons_markdown_lists_every_code_once() -> None:
    table = reasons_markdown()
    rows = [line for line in table.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert len(rows) == len(Reason)
    for reason, row in zip(Reason, rows, strict=True):
        assert row.startswith(f"| {reason.value} | {reason.ja} | ")


def test_refused_carries_code_and_sentences() -> None:
    refused = Refused(Reason.MAINTENANCE)
    assert (refused.ok, refused.code, refused.ja, refused.en) == (
        False,
        "maintenance",
        Reason.MAINTENANCE.ja,
        Reason.MAINTENANCE.en,
    )
    allowed = Allowed(fee=200, copies=3, choices=Choices(members=("a",)))
    assert allowed.ok and allowed.total == 600


@pytest.mark.parametrize(
    ("kind", "ja"),
    [
        (Kind.JUMINHYO, "住民票の写し"),
        (Kind.INKAN, "印鑑登録証明書"),
        (Kind.KAZEI, "課税・非課税・所得証明書"),
        (Kind.KOSEKI, "戸籍全部（個人）事項証明書"),
        (Kind.FUHYO, "戸籍の附票の写し"),
    ],
)
def test_CRT_kind_titles(kind: Kind, ja: str) -> None:
    assert kind.title_ja == ja
    assert kind.title_en
    assert kind.is_family_register == (kind in (Kind.KOSEKI, Kind.FUHYO))
