"""What the kiosk says to a person: the center's refusals (rules' `Reason`) and the kiosk's own events.

Every refusal reaches the screen as a sentence in Japanese and English. Codes of the rules come from
`kofu.rules.reasons.Reason`; the few events that only a kiosk has (the center cannot be reached, a coin
the device does not take, a walk-away timeout...) are here, with the same shape.
"""

from __future__ import annotations

from enum import StrEnum

from kofu.rules.reasons import Reason


class KioskEvent(StrEnum):
    """A kiosk-only message code with its sentences."""

    ja: str
    en: str

    def __new__(cls, value: str, ja: str = "", en: str = "") -> KioskEvent:
        member = str.__new__(cls, value)
        member._value_ = value
        member.ja = ja
        member.en = en
        return member

    CENTER_UNREACHABLE = (
        "center_unreachable",
        "交付センターに接続できないため、ただいまご利用いただけません。",
        "The certificate center cannot be reached; the service is unavailable right now.",
    )
    CARD_UNREADABLE = (
        "card_unreadable",
        "カードを読み取れませんでした。カードを置き直してください。",
        "The card could not be read; please place it again.",
    )
    CASH_REJECTED = (
        "cash_rejected",
        "この硬貨・紙幣はご利用いただけません。",
        "This coin or bill cannot be accepted.",
    )
    PRINT_FAILED = (
        "print_failed",
        "印刷できませんでした。手数料は請求されません。投入されたお金をお受け取りください。",
        "Printing failed. You are not charged; please take back your money.",
    )
    TIMEOUT = (
        "timeout",
        "一定時間操作がなかったため、終了しました。",
        "The session ended because there was no activity.",
    )
    CANCELLED = (
        "cancelled",
        "取り消しました。",
        "Cancelled.",
    )
    CARD_REMOVED = (
        "card_removed",
        "カードが取り出されたため、終了しました。",
        "The card was removed, so the session has ended.",
    )
    ISSUED = (
        "issued",
        "証明書を発行しました。カードと証明書、おつりをお取り忘れのないようご注意ください。",
        "Your certificates are printed. Please take your card, your certificates and your change.",
    )
    REGISTERED = (
        "registered",
        "利用登録申請を受け付けました。本籍地の市区町村が承認した後に戸籍証明書を取得できます。",
        "Your usage registration was received. You can get family-register certificates once the "
        "municipality of your family register approves it.",
    )
    # the self-service reset at a kiosk (PIN-2) is not built yet: the help promises the office only
    PIN_RESET_HELP = (
        "pin_reset_help",
        "暗証番号の初期化（再設定）は、お住まいの市区町村の窓口で行えます。マイナンバーカードと本人確認書類を"
        "お持ちください。",
        "To reset the PIN, visit the office of the municipality where you live with your card and an "
        "identity document.",
    )
    NO_MUNICIPALITY = (
        "no_municipality",
        "このカードで証明書を取得できる市区町村がありません。住所地または本籍地の市区町村にお問い合わせください。",
        "There is no municipality where this card can get certificates; please ask the municipality where "
        "you live or where your family register is.",
    )
    STEP_UNAVAILABLE = (
        "step_unavailable",
        "この操作は今はできません。",
        "This step is not available now.",
    )
    INTERRUPTED = (
        "interrupted",
        "端末が再起動したため、手続きを終了しました。返金・おつりがある場合はお受け取りください。",
        "The kiosk restarted, so your session has ended; please take any refund or change.",
    )


Code = Reason | KioskEvent


def code_of(value: str) -> Code:
    """The message code for a stored value (a Reason or a KioskEvent)."""
    try:
        return Reason(value)
    except ValueError:
        return KioskEvent(value)
