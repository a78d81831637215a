"""Every refusal and verdict reason of kofu, with a Japanese and an English sentence.

Helpers add a code by appending ONE member at the end of `Reason` (value, ja, en); never reorder
or rename, because codes appear in logs, ledgers and API answers.
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    """A reason code (lower_snake value) with the sentences a person reads."""

    ja: str
    en: str

    def __new__(cls, value: str, ja: str = "", en: str = "") -> Reason:
        member = str.__new__(cls, value)
        member._value_ = value
        member.ja = ja
        member.en = en
        return member

    # The hours, dates and office of a municipality are added by kofu.rules.wording from its rulebook.
    CLOSED_HOURS = (
        "closed_hours",
        "ただいまの時間はご利用いただけません。",
        "The service is closed at this hour.",
    )
    YEAR_END_CLOSURE = (
        "year_end_closure",
        "年末年始はご利用いただけません。",
        "The service is closed over the year end.",
    )
    OFFICE_HOURS_ONLY = (
        "office_hours_only",
        "この手続きは役場の開庁日の開庁時間に限りご利用いただけます。",
        "This is available only on office days, in office hours.",
    )
    STORE_CLOSED = (
        "store_closed",
        "この店舗の営業時間外のため、ご利用いただけません。",
        "This store is closed now.",
    )
    MAINTENANCE = (
        "maintenance",
        "システムメンテナンス中のため、ただいまご利用いただけません。",
        "The service is down for planned maintenance.",
    )
    MUNICIPALITY_UNAVAILABLE = (
        "municipality_unavailable",
        "市区町村のシステムに接続できないため、ただいまこの市区町村の証明書は取得できません。",
        "This municipality's system cannot be reached; its certificates are unavailable right now.",
    )
    UNDER_15 = (
        "under_15",
        "15歳未満の方はコンビニ交付を利用できません。",
        "People under 15 cannot use this service.",
    )
    NOT_RESIDENT = (
        "not_resident",
        "この市区町村に住民登録がないため、この証明書は取得できません。",
        "You are not registered as a resident of this municipality, so this certificate is unavailable.",
    )
    NOT_HONSEKI = (
        "not_honseki",
        "この市区町村に本籍がないため、戸籍に関する証明書は取得できません。",
        "Your family register is not in this municipality, so family-register certificates are unavailable.",
    )
    USAGE_REGISTRATION_REQUIRED = (
        "usage_registration_required",
        "戸籍証明書を取得するには、先に戸籍証明書交付の利用登録申請が必要です。",
        "You must first file the usage registration for family-register certificates.",
    )
    USAGE_REGISTRATION_PENDING = (
        "usage_registration_pending",
        "利用登録申請は受け付けましたが、まだ承認されていません。承認後にご利用いただけます。",
        "Your usage registration has been received but is not approved yet.",
    )
    PHONE_NOT_ALLOWED_FOR_REGISTRATION = (
        "phone_not_allowed_for_registration",
        "スマホ用電子証明書では利用登録申請はできません。マイナンバーカードをご利用ください。",
        "The usage registration cannot be filed with a smartphone certificate; please use your card.",
    )
    ALREADY_REGISTERED = (
        "already_registered",
        "利用登録申請はすでに済んでいるか、必要ありません。",
        "The usage registration is already done or not needed.",
    )
    NOT_IN_HOUSEHOLD = (
        "not_in_household",
        "同一世帯の方の証明書のみ取得できます。",
        "You can only get certificates for members of your own household.",
    )
    NOT_OWN_SEAL = (
        "not_own_seal",
        "印鑑登録証明書は印鑑登録をしているご本人の分のみ取得できます。",
        "A seal-registration certificate is issued only to the registered person.",
    )
    NO_SEAL_REGISTRATION = (
        "no_seal_registration",
        "印鑑登録がないため、印鑑登録証明書は取得できません。",
        "You have no seal registration, so this certificate is unavailable.",
    )
    SEAL_ABOLISHED = (
        "seal_abolished",
        "印鑑登録が廃止されているため、印鑑登録証明書は取得できません。",
        "Your seal registration has been abolished.",
    )
    NOT_RESIDENT_ON_JAN_1 = (
        "not_resident_on_jan_1",
        "その年度の1月1日にこの市区町村に住民登録がないため、この年度の証明書は取得できません。",
        "You were not registered here on 1 January of that year, so that year's certificate is unavailable.",
    )
    FISCAL_YEAR_NOT_OFFERED = (
        "fiscal_year_not_offered",
        "その年度の証明書はコンビニ交付では取得できません（過去5年度分まで）。",
        "That fiscal year is not offered at stores (the last five fiscal years only).",
    )
    TAX_DECLARATION_PENDING = (
        "tax_declaration_pending",
        "所得申告または修正申告の内容を反映中のため、しばらくの間コンビニでは所得証明書を取得できません。",
        "A tax declaration or amendment is still being processed; the certificate is unavailable for now.",
    )
    RECORD_CHANGE_PENDING = (
        "record_change_pending",
        "届出や異動の内容を反映中のため、ただいまこの証明書は取得できません。窓口でお尋ねください。",
        "A recent change is not yet reflected in the record; please ask at the office.",
    )
    REGISTER_CLOSED = (
        "register_closed",
        "除籍の証明書はコンビニ交付では取得できません。窓口でご請求ください。",
        "Certificates of closed family registers are available only at the office.",
    )
    REGISTER_PRE_CONVERSION = (
        "register_pre_conversion",
        "改製原戸籍の証明書はコンビニ交付では取得できません。窓口でご請求ください。",
        "Certificates of pre-conversion family registers are available only at the office.",
    )
    NOT_IN_REGISTER = (
        "not_in_register",
        "ご本人と同一戸籍の方の証明書のみ取得できます。",
        "You can only get certificates for persons in your own family register.",
    )
    KIND_NOT_OFFERED = (
        "kind_not_offered",
        "この市区町村ではこの証明書のコンビニ交付を行っていません。",
        "This municipality does not offer this certificate at stores.",
    )
    CARD_ISSUED_TODAY = (
        "card_issued_today",
        "マイナンバーカードの交付を受けた当日はご利用いただけません。明日以降にご利用ください。",
        "The card cannot be used on the day it was issued; please come back tomorrow.",
    )
    CONTINUED_USE_TODAY = (
        "continued_use_today",
        "カードの継続利用手続きを行った当日はご利用いただけません。明日以降にご利用ください。",
        "The card cannot be used on the day of its continued-use procedure; please come back tomorrow.",
    )
    PIN_WRONG = (
        "pin_wrong",
        "暗証番号が違います。",
        "The PIN is wrong.",
    )
    PIN_BLOCKED = (
        "pin_blocked",
        "暗証番号が連続して誤って入力されたため、ロックされています。役場の窓口で初期化してください。",
        "The PIN is locked after too many wrong attempts; have it reset at the office.",
    )
    PASSWORD_WRONG = (
        "password_wrong",
        "署名用パスワードが違います。",
        "The signing password is wrong.",
    )
    PASSWORD_BLOCKED = (
        "password_blocked",
        "署名用パスワードがロックされています。役場の窓口で初期化してください。",
        "The signing password is locked; have it reset at the office.",
    )
    CHALLENGE_UNKNOWN = (
        "challenge_unknown",
        "認証要求が見つかりません。最初からやり直してください。",
        "The authentication challenge is unknown; please start again.",
    )
    CHALLENGE_REPLAYED = (
        "challenge_replayed",
        "この認証要求はすでに使用されています。最初からやり直してください。",
        "This authentication challenge has already been used; please start again.",
    )
    CHALLENGE_EXPIRED = (
        "challenge_expired",
        "認証の有効時間を過ぎました。最初からやり直してください。",
        "The authentication challenge has expired; please start again.",
    )
    CHALLENGE_WRONG_SESSION = (
        "challenge_wrong_session",
        "この認証要求は別の操作のものです。最初からやり直してください。",
        "This authentication challenge belongs to another session; please start again.",
    )
    SIGNATURE_INVALID = (
        "signature_invalid",
        "カードによる署名を確認できませんでした。",
        "The card's signature could not be verified.",
    )
    CERTIFICATE_EXPIRED = (
        "certificate_expired",
        "電子証明書の有効期限が切れています。役場の窓口で更新してください。",
        "The electronic certificate has expired; renew it at the office.",
    )
    CERTIFICATE_NOT_YET_VALID = (
        "certificate_not_yet_valid",
        "電子証明書はまだ有効になっていません。",
        "The electronic certificate is not valid yet.",
    )
    CERTIFICATE_REVOKED = (
        "certificate_revoked",
        "電子証明書は失効しています。",
        "The electronic certificate has been revoked.",
    )
    CERTIFICATE_UNKNOWN_CA = (
        "certificate_unknown_ca",
        "電子証明書の発行元を確認できません。",
        "The electronic certificate was not issued by a known authority.",
    )
    WRONG_CERTIFICATE_TYPE = (
        "wrong_certificate_type",
        "この手続きに使用できない種類の電子証明書です。",
        "This type of electronic certificate cannot be used here.",
    )
    OCSP_UNAVAILABLE = (
        "ocsp_unavailable",
        "電子証明書の有効性を確認できないため、ただいまご利用いただけません。",
        "The certificate's status cannot be checked right now.",
    )
    CARD_UNKNOWN = (
        "card_unknown",
        "このカードは登録されていません。",
        "This card is not known to the service.",
    )
    TOO_MANY_COPIES = (
        "too_many_copies",
        "一度に請求できる通数を超えています。",
        "Too many copies requested at once.",
    )
    ORDER_UNKNOWN = (
        "order_unknown",
        "ご請求の情報が見つかりません。",
        "The order is unknown.",
    )
    ORDER_WRONG_SESSION = (
        "order_wrong_session",
        "このご請求は別の操作のものです。",
        "This order belongs to another session.",
    )
    ORDER_STATE_CONFLICT = (
        "order_state_conflict",
        "ご請求の状態が変わったため、この操作はできません。",
        "The order is not in a state that allows this step.",
    )
    DOCUMENT_NOT_BOUND = (
        "document_not_bound",
        "証明書がこのご請求に対応していません。",
        "The document is not bound to this order.",
    )
    BAD_REQUEST = (
        "bad_request",
        "入力内容に誤りがあります。",
        "The request is malformed.",
    )
    UNREADABLE = (
        "unreadable",
        "証明書を読み取れませんでした。",
        "The document could not be read.",
    )
    UNSUPPORTED = (
        "unsupported",
        "この形式には対応していません。",
        "This format is not supported.",
    )
    SIGNATURE_MISMATCH = (
        "signature_mismatch",
        "証明書の電子署名が一致しません。",
        "The document's digital seal does not match its content.",
    )
    KEY_UNKNOWN = (
        "key_unknown",
        "証明書の署名に使われた鍵が確認できません。",
        "The key that sealed this document is not known.",
    )
    CONTENT_ALTERED = (
        "content_altered",
        "証明書の内容が改ざんされています。",
        "The document's content has been altered.",
    )
    DOCUMENT_EXPIRED = (
        "document_expired",
        "この証明書は確認できる期間を過ぎています。",
        "This document is past its verification period.",
    )
    DOCUMENT_REVOKED = (
        "document_revoked",
        "この証明書は無効とされています。",
        "This document has been revoked.",
    )
    DOCUMENT_UNKNOWN = (
        "document_unknown",
        "この証明書は発行記録にありません。",
        "This document is not in the issuance records.",
    )
    TERMINAL_UNKNOWN = (
        "terminal_unknown",
        "この端末は登録されていないか、利用が停止されています。",
        "This kiosk terminal is not registered or has been revoked.",
    )
    MUNICIPALITY_UNKNOWN = (
        "municipality_unknown",
        "この市区町村はコンビニ交付に参加していません。",
        "This municipality does not take part in the store service.",
    )
    CASH_INSUFFICIENT = (
        "cash_insufficient",
        "投入金額が手数料に足りません。",
        "The cash inserted does not cover the fee.",
    )
    STAFF_NOT_AUTHORISED = (
        "staff_not_authorised",
        "この職員にはこの手続きを行う権限がありません。",
        "This staff member is not authorised for this procedure.",
    )
    IDENTITY_CHECK_REQUIRED = (
        "identity_check_required",
        "本人確認の記録がないため、手続きできません。",
        "The identity check has not been recorded, so the procedure cannot go ahead.",
    )
    RESET_OFFICE_ONLY = (
        "reset_office_only",
        "ご本人であることを確認できないため、役場の窓口で暗証番号の初期化を行ってください。",
        "Your identity could not be confirmed here; please have the PIN reset at the office.",
    )
    RESET_RESERVATION_MISSING = (
        "reset_reservation_missing",
        "有効な暗証番号初期化の予約がありません。スマートフォンのアプリで予約してください。",
        "There is no valid PIN-reset reservation; please reserve one with the smartphone app.",
    )
    SESSION_UNKNOWN = (
        "session_unknown",
        "この取引は終了したか、時間切れになりました。最初からやり直してください。",
        "This session has ended, timed out or is not signed in; please start again.",
    )
    RATE_LIMITED = (
        "rate_limited",
        "短時間に認証の試行が多すぎます。しばらく待ってからもう一度お試しください。",
        "Too many authentication attempts in a short time; please wait a moment and try again.",
    )
    TAX_YEAR_PENDING = (
        "tax_year_pending",
        "所得申告または修正申告の内容を反映中の年度があるため、その年度の証明書はしばらくの間取得できません。"
        "表示されている年度の証明書は取得できます。",
        "A tax declaration or amendment for one fiscal year is still being processed, so that year is not "
        "offered for now; the years shown are available.",
    )
    SERVICE_UNAVAILABLE = (
        "service_unavailable",
        "システムが一時的に利用できません。しばらくしてからもう一度お試しください。",
        "The system is briefly unavailable; please try again in a moment.",
    )
    CALLER_NOT_ALLOWED = (
        "caller_not_allowed",
        "この接続元からはこの操作を行うことができません。",
        "This caller is not allowed to use this service.",
    )
    STATEMENT_INVALID = (
        "statement_invalid",
        "センターによる認証の証明を確認できないため、この要求には応じられません。",
        "The center's statement for this request is missing, invalid, expired or already used.",
    )
    KIOSK_PAGE_ONLY = (
        "kiosk_page_only",
        "この操作は端末の画面からのみ行えます。",
        "This is accepted only from the kiosk's own screen.",
    )
    CONTENT_UNREADABLE = (
        "content_unreadable",
        "署名は確認できましたが、暗号化された内容のコードを読み取れなかったため、表面の記載内容とは照合していません。",
        "The signed code checks out, but the encrypted content could not be read: nothing was compared.",
    )
    RESCAN_300_DPI = (
        "rescan_300_dpi",
        "裏面のコードを読み取れませんでした。裏面全体を300dpi以上でスキャンするか、明るい場所で鮮明に撮影してください。",
        "The codes on the back could not be read: scan the whole back at 300 dpi or more.",
    )
    # A per-person stop (支援措置 or a kind the village turned off): the sentence names no measure.
    NOT_AVAILABLE_AT_KIOSK = (
        "not_available_at_kiosk",
        "この証明書はコンビニ交付では取得できません。窓口でご相談ください。",
        "This certificate cannot be issued at a convenience store. Please ask at the office.",
    )
    # The municipal server's change feed (POST /v1/changes): a file is applied all or nothing.
    FEED_REFUSED = (
        "feed_refused",
        "変更情報のファイルに誤りがあるため、ファイル全体を受け付けませんでした。",
        "The change file has errors, so none of it was applied.",
    )
    # Verification hints for a photo that carries none of a back's codes (/verify, kofu verify).
    PHOTO_THE_BACK = (
        "photo_the_back",
        "裏面のコードが写っていません。表面ではなく、証明書の裏面(コードが印刷された面)全体を撮影してアップロードしてください。",
        "No codes were found: upload a photo of the whole back (the side with the codes), not the front.",
    )
    NOT_A_CERTIFICATE = (
        "not_a_certificate",
        "このファイルはコンビニ交付の証明書ではありません。",
        "This file is not a certificate issued at a convenience store.",
    )


def reasons_markdown() -> str:
    """The code / Japanese / English table for the README."""
    lines = ["| code | 日本語 | English |", "|---|---|---|"]
    for reason in Reason:
        row = (reason.value, reason.ja, reason.en)
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    return "\n".join(lines) + "\n"
