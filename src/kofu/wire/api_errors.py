"""Refusals as HTTP answers, and the error handlers every kofu API app installs (center and municipal).

A refusal is an `ErrorBody` with the status of `kofu.wire.common.http_status` (plus the few codes of
this app); malformed input is 400 bad_request; a database that fails is 503 service_unavailable;
anything unexpected is 500 with no traceback and no detail, logged by type only (never content).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from kofu.db import DATABASE_FAILURES
from kofu.logs import get_logger
from kofu.rules.decision import Refused
from kofu.rules.reasons import Reason
from kofu.wire.common import ErrorBody, error_responses, http_status
from kofu.wire.http_errors import install_http_errors

log = get_logger("api")

_EXTRA_STATUS: dict[Reason, int] = {
    Reason.SESSION_UNKNOWN: 401,
    Reason.OCSP_UNAVAILABLE: 503,
    Reason.CHALLENGE_WRONG_SESSION: 403,
    Reason.RATE_LIMITED: 429,
    Reason.UNSUPPORTED: 415,  # a body in a format the route does not take (Content-Type)
}


def status_of(refusal: Refused | Reason) -> int:
    """The HTTP status carrying this refusal."""
    reason = refusal.reason if isinstance(refusal, Refused) else refusal
    return _EXTRA_STATUS.get(reason, http_status(reason))


def refusal_response(refusal: Refused | Reason) -> JSONResponse:
    """The JSON answer of a refusal: its reason code and the sentences a person reads."""
    return JSONResponse(ErrorBody.of(refusal).model_dump(mode="json"), status_code=status_of(refusal))


def documented(*reasons: Reason) -> dict[int | str, dict[str, object]]:
    """OpenAPI `responses=`: 400 (bad_request), 503 (its database failing: every route uses one) and the
    status of every reason this route may answer."""
    statuses = sorted({400, 503, *(status_of(r) for r in reasons)})
    return error_responses(*statuses)


def install_error_handlers(app: FastAPI) -> None:
    """Malformed input → 400 bad_request; unknown paths → 404; the database failing → 503
    service_unavailable (asking again may succeed); anything else → 500 without detail."""

    async def invalid(_request: Request, exc: Exception) -> JSONResponse:
        del exc  # the validation detail can echo input: not returned, not logged
        return refusal_response(Reason.BAD_REQUEST)

    async def unavailable(request: Request, exc: Exception) -> JSONResponse:
        log.warning("database_unavailable", path=request.url.path, error=type(exc).__name__)
        return refusal_response(Reason.SERVICE_UNAVAILABLE)

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        if isinstance(exc, DATABASE_FAILURES):  # raised in a middleware, outside the routes' handlers
            return await unavailable(request, exc)
        log.error("internal_error", path=request.url.path, error=type(exc).__name__)
        body = {
            "reason": "internal_error",
            "message_ja": "システムエラーが発生しました。しばらくしてからお試しください。",
            "message_en": "An internal error occurred; please try again later.",
        }
        return JSONResponse(body, status_code=500)

    app.add_exception_handler(RequestValidationError, invalid)
    install_http_errors(app)
    for failure in DATABASE_FAILURES:
        app.add_exception_handler(failure, unavailable)
    app.add_exception_handler(Exception, unexpected)
