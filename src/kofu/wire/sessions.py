"""Kiosk sessions on the wire: open, authenticate, menu, usage registration (kiosk → center → municipal).

The PIN never appears here (ELG-1): the kiosk sends it to the card only, and the center sees just the
card's certificate and its signature of DigestInfo(SHA-256(challenge ‖ session_id ‖ terminal_id)).
A menu item that is refused carries its reason code and the sentences a person reads.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field

from kofu.rules.copies import COPIES_CEILING
from kofu.rules.kinds import Kind
from kofu.rules.reasons import Reason
from kofu.wire.common import (
    CertificateSerial,
    Digest,
    MenuOption,
    MunicipalityCode,
    PersonId,
    RequestKey,
    SessionId,
    Strict,
    TerminalId,
    Yen,
)

Base64 = Annotated[
    str, Field(min_length=4, max_length=8192, pattern=r"^[A-Za-z0-9+/]+={0,2}$", description="base64")
]
SerialHex = CertificateSerial  # the name the session messages use
CredentialKind = Literal["card", "phone"]
Role = Literal["jushochi", "honsekichi"]  # 住所地 (resident) / 本籍地 (family register, ELG-4)


class SessionOpen(Strict):
    """The kiosk starts a session for the person at the terminal."""

    terminal_id: TerminalId
    request_key: RequestKey


class SessionOpened(Strict):
    """A new session and its single-use challenge (32 random bytes, valid about a minute)."""

    session_id: SessionId
    challenge_b64: Base64
    expires_at: AwareDatetime


class ChallengeIssued(Strict):
    """A fresh challenge for a signing step in an open session (the usage registration, REG-1)."""

    challenge_b64: Base64
    expires_at: AwareDatetime


class AuthenticateRequest(Strict):
    """The card's user-authentication certificate (DER) and its signature of the session's challenge."""

    terminal_id: TerminalId
    certificate_b64: Base64
    signature_b64: Base64


class Refusal(Strict):
    """Optional refusal fields of an item that may be unavailable."""

    reason: Reason | None = None
    message_ja: str | None = Field(default=None, max_length=512)
    message_en: str | None = Field(default=None, max_length=512)


class MunicipalityChoice(Refusal):
    """A municipality this credential may use now: its 住所地, or a 本籍地 with a usage registration."""

    code: MunicipalityCode
    name_ja: str = Field(max_length=64)
    name_en: str = Field(max_length=64)
    role: Role
    available: bool


class AuthenticatedResponse(Strict):
    """Who is at the kiosk, as far as the kiosk needs to know: the credential kind and where it may go."""

    credential: CredentialKind
    municipalities: tuple[MunicipalityChoice, ...] = Field(max_length=20)


class MemberChoice(Strict):
    """A person whose certificate the requester may choose (own first); the label is shown, never kept."""

    person_id: PersonId
    label: str = Field(max_length=128)


class YearChoice(Strict):
    """A fiscal year the requester may choose, with the label the kiosk shows (和暦 in Japanese)."""

    year: int
    label_ja: str = Field(max_length=32)
    label_en: str = Field(max_length=32)


class MenuItem(Refusal):
    """One certificate kind: allowed with its fee and choices, or refused with a reason.

    `note` (with its sentences): allowed, but something is held back and the person reads why, e.g. a
    fiscal year whose tax record is pending (LAG-2).
    """

    kind: Kind
    title_ja: str = Field(max_length=64)
    title_en: str = Field(max_length=128)
    unit_fee: Yen
    allowed: bool
    members: tuple[MemberChoice, ...] = Field(default=(), max_length=50)
    fiscal_years: tuple[int, ...] = Field(default=(), max_length=10)
    options: tuple[MenuOption, ...] = Field(default=(), max_length=10)
    option_required: bool = False  # one of `options` must be chosen (koseki: 全部事項 or 個人事項)
    year_labels: tuple[YearChoice, ...] = Field(default=(), max_length=10)  # `fiscal_years`, labelled
    max_copies: int = Field(default=0, ge=0, le=COPIES_CEILING)
    whole_allowed: bool = True  # the whole household or register may be chosen (no one in it is stopped)
    note: Reason | None = None
    note_ja: str | None = Field(default=None, max_length=512)
    note_en: str | None = Field(default=None, max_length=512)


class RegistrationStatus(Refusal):
    """The usage registration for family-register certificates here (ELG-4, REG-1, ELG-6).

    `needed`: the family-register kinds need a registration not yet approved; `allowed`: it may be
    filed now from this kiosk.
    """

    needed: bool
    allowed: bool


class MenuResponse(Strict):
    """What the person may get from one municipality now."""

    municipality_code: MunicipalityCode
    items: tuple[MenuItem, ...] = Field(max_length=10)
    registration: RegistrationStatus


class MenuQuery(Strict):
    """Center → municipal server: the menu for the holder of this authentication certificate."""

    auth_serial: SerialHex
    credential: CredentialKind
    municipality_code: MunicipalityCode
    role: Role


class RegistrationRequest(Strict):
    """Kiosk → center: file the usage registration (REG-1) signed with the card's signing key.

    The signature is over DigestInfo(SHA-256(challenge ‖ session_id ‖ terminal_id)) with a fresh
    challenge from POST /v1/sessions/{sid}/challenge.
    """

    terminal_id: TerminalId
    municipality_code: MunicipalityCode
    signing_certificate_b64: Base64
    signature_b64: Base64


class RegistrationFiling(Strict):
    """Center → municipal server: a checked usage registration to record as pending (REG-1)."""

    auth_serial: SerialHex
    sign_serial: SerialHex
    credential: CredentialKind
    municipality_code: MunicipalityCode
    signing_certificate_digest: Digest


class RegistrationResponse(Strict):
    """The filing was received; the municipality approves it later."""

    status: Literal["pending"] = "pending"


class HealthResponse(Strict):
    status: Literal["ok"] = "ok"


__all__ = [
    "AuthenticateRequest",
    "AuthenticatedResponse",
    "Base64",
    "ChallengeIssued",
    "CredentialKind",
    "HealthResponse",
    "MemberChoice",
    "MenuItem",
    "MenuQuery",
    "MenuResponse",
    "MunicipalityChoice",
    "Refusal",
    "RegistrationFiling",
    "RegistrationRequest",
    "RegistrationResponse",
    "RegistrationStatus",
    "Role",
    "SerialHex",
    "SessionId",
    "SessionOpen",
    "SessionOpened",
]
