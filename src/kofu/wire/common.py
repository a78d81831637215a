"""What every API message shares: strict validation, identifier patterns, and the error body.

Every model forbids unknown fields, bounds every length, takes identifiers only in their pattern
(each defined once, in `kofu.rules.ids`) and numbers only as numbers (`Yen`, `Count`: strict), so a
malformed request is refused (bad_request) before any service runs.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kofu.rules import ids
from kofu.rules.decision import Refused
from kofu.rules.reasons import Reason


class Strict(BaseModel):
    """The base of every wire model: unknown fields are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_max_length=512)


def _id(identifier: ids.Identifier) -> Any:
    """A pydantic Field checking `identifier`'s one definition (kofu.rules.ids)."""
    return Field(pattern=identifier.pattern, description=identifier.description)


SessionId = Annotated[str, _id(ids.SESSION_ID)]
TerminalId = Annotated[str, _id(ids.TERMINAL_ID)]
RequestKey = Annotated[str, _id(ids.REQUEST_KEY)]
MunicipalityCode = Annotated[str, _id(ids.MUNICIPALITY_CODE)]
PersonId = Annotated[str, _id(ids.PERSON_ID)]
Digest = Annotated[str, _id(ids.DIGEST)]
CertificateSerial = Annotated[str, _id(ids.CERTIFICATE_SERIAL)]
DocumentNumber = Annotated[str, _id(ids.DOCUMENT_NUMBER)]
StoreCode = Annotated[str, _id(ids.STORE_CODE)]
Chain = Annotated[str, _id(ids.CHAIN)]
MenuOption = Annotated[str, _id(ids.MENU_OPTION)]
Yen = Annotated[int, Field(ge=0, le=1_000_000, strict=True)]
# a number of copies or a year is a JSON number: "1", true and 1.0 are not 1
Count = Annotated[int, Field(strict=True)]


class ErrorBody(Strict):
    """Every 4xx answer: a reason code and the sentences a person reads."""

    reason: Reason
    message_ja: str = Field(max_length=512)
    message_en: str = Field(max_length=512)

    @classmethod
    def of(cls, refusal: Refused | Reason) -> ErrorBody:
        reason = refusal.reason if isinstance(refusal, Refused) else refusal
        return cls(reason=reason, message_ja=reason.ja, message_en=reason.en)

    @classmethod
    def read(cls, content: bytes) -> ErrorBody | None:
        """The refusal an answer's body carries, or None when it is not one (a proxy's page, a crash)."""
        try:
            return cls.model_validate_json(content)
        except ValidationError:
            return None


# The HTTP status of a refusal: the order and terminal codes here; any rule refusal of rules.md is 422.
_STATUS: dict[Reason, int] = {
    Reason.BAD_REQUEST: 400,
    Reason.TERMINAL_UNKNOWN: 403,
    Reason.CALLER_NOT_ALLOWED: 403,
    Reason.ORDER_WRONG_SESSION: 403,
    Reason.ORDER_UNKNOWN: 404,
    Reason.MUNICIPALITY_UNKNOWN: 404,
    Reason.ORDER_STATE_CONFLICT: 409,
    Reason.CASH_INSUFFICIENT: 409,
    Reason.MAINTENANCE: 503,
    Reason.MUNICIPALITY_UNAVAILABLE: 503,
    Reason.SERVICE_UNAVAILABLE: 503,
    Reason.STORE_CLOSED: 403,
}


def http_status(refusal: Refused | Reason) -> int:
    """The HTTP status that carries a refusal (with `ErrorBody` as its body)."""
    reason = refusal.reason if isinstance(refusal, Refused) else refusal
    return _STATUS.get(reason, 422)


def error_responses(*statuses: int) -> dict[int | str, dict[str, object]]:
    """FastAPI `responses=` documenting each 4xx/5xx as an `ErrorBody`, for the OpenAPI schema."""
    return {
        status: {"model": ErrorBody, "description": "refused: reason code and sentences"}
        for status in statuses
    }
