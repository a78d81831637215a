"""HTTP errors the framework raises (an unknown path, a method not allowed), answered in the parties'
error body: a reason code and its two sentences, never the framework's own `detail`."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from kofu.rules.reasons import Reason
from kofu.wire.common import ErrorBody


async def http_error(_request: Request, exc: Exception) -> JSONResponse:
    """The framework's HTTPException as `bad_request` with its status (404, 405, 413…; 400 if none)."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    body = ErrorBody.of(Reason.BAD_REQUEST).model_dump(mode="json")
    headers = getattr(exc, "headers", None)  # a 405's Allow: the methods there are
    return JSONResponse(body, status_code=status if 400 <= status < 600 else 400, headers=headers)


def install_http_errors(app: object) -> None:
    """Answer the framework's HTTP errors of a Starlette or FastAPI app in the parties' error body."""
    app.add_exception_handler(HTTPException, http_error)  # type: ignore[attr-defined]
