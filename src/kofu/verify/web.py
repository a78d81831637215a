"""The public verification page: upload a certificate PDF or a photo of its back, read the verdict.

`GET /verify` shows the form; `POST /verify` (multipart, field `file`) answers an HTML verdict as a
person reads it (`kofu.verify.present`), in Japanese, or in English by `?lang=en` or Accept-Language:
the certificate's items in printed words, never an internal identifier; a 見本 shown as a sample;
`POST /api/verify` answers the same as JSON (multipart `file`, or the raw bytes with their content type).
Uploads are held in memory only, never written, never logged: nothing of them is kept. Too large an
upload is 413, a content type that is not PDF, PNG or JPEG is 415; a failure inside verification is the
verdict "unknown / unreadable", never a 500. Files are parsed in the box (`kofu.verify.sandbox`): a file
that needs more time or memory than it allows is "unknown / unreadable" too, within 2 seconds.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from kofu.logs import get_logger
from kofu.netpki.gate import ANYONE, Gate, allow, install_gate
from kofu.rules.reasons import Reason
from kofu.verify.language import Lang, choose, other
from kofu.verify.present import present
from kofu.verify.register import Register
from kofu.verify.trust import KeySource, Trust
from kofu.verify.verdict import Status, Verdict, verdict
from kofu.verify.words import words
from kofu.wire.docs import api_docs, offline_docs
from kofu.wire.http_errors import install_http_errors

TEMPLATES = Path(__file__).parent / "templates"
MAX_UPLOAD = 10 * 1024 * 1024  # a 600-dpi phone photo of a back is well under this
MULTIPART_SLACK = 64 * 1024  # room for the form's boundaries and headers around the file
ACCEPTED = {"application/pdf", "image/png", "image/jpeg", "image/jpg"}
log = get_logger("kofu.verify.web")


@dataclass(frozen=True)
class Refusal:
    """An upload refused before verification: HTTP status, reason code, sentences."""

    status: int
    code: str
    ja: str
    en: str

    def body(self) -> dict[str, str]:
        return {"reason": self.code, "message_ja": self.ja, "message_en": self.en}


# Not verdicts on a document, so not in `Reason`: what the upload itself did wrong.
TOO_LARGE = Refusal(
    413,
    "upload_too_large",
    "ファイルが大きすぎます(10MBまで)。",
    "The file is too large (10 MB at most).",
)
WRONG_TYPE = Refusal(415, Reason.UNSUPPORTED.value, Reason.UNSUPPORTED.ja, Reason.UNSUPPORTED.en)
NO_FILE = Refusal(400, Reason.BAD_REQUEST.value, "ファイルを選んでください。", "Please choose a file.")
BAD_FORM = Refusal(400, Reason.BAD_REQUEST.value, Reason.BAD_REQUEST.ja, Reason.BAD_REQUEST.en)


class _TooLarge(Exception):
    pass


async def _read_capped(request: Request, cap: int) -> bytes:
    """The request body, refused as soon as it passes `cap` bytes (declared or actually sent)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > cap:
        raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _media_type(value: str | None) -> str:
    return (value or "").split(";", 1)[0].strip().lower()


async def _upload(request: Request, max_bytes: int) -> bytes | Refusal:
    """The uploaded file's bytes (multipart field `file`, or the raw body), or why it was refused."""
    media = _media_type(request.headers.get("content-type"))
    try:
        if media == "multipart/form-data":
            body = await _read_capped(request, max_bytes + MULTIPART_SLACK)
            return await _file_part(request, body, max_bytes)
        if media not in ACCEPTED:
            return WRONG_TYPE
        body = await _read_capped(request, max_bytes)
    except _TooLarge:
        return TOO_LARGE
    return body if body else NO_FILE


async def _file_part(request: Request, body: bytes, max_bytes: int) -> bytes | Refusal:
    async def once() -> AsyncGenerator[bytes, None]:
        yield body

    parser = MultiPartParser(request.headers, once(), max_files=1, max_fields=10, max_part_size=max_bytes)
    parser.spool_max_size = max_bytes + 1  # the file stays in memory: never spooled to a temporary file
    try:
        form = await parser.parse()
    except MultiPartException:
        return BAD_FORM
    try:
        item = form.get("file")
        if not isinstance(item, UploadFile) or not item.filename:
            return NO_FILE
        if _media_type(item.content_type) not in ACCEPTED:
            return WRONG_TYPE
        data = await item.read()  # held in memory only
    finally:
        await form.close()
    if len(data) > max_bytes:
        return TOO_LARGE
    return data if data else NO_FILE


def create_app(
    *,
    trust: Trust | None = None,
    home: Path | None = None,
    keyset: Path | None = None,
    register_url: str | None = None,
    register_url_migrate: bool = True,
    max_bytes: int = MAX_UPLOAD,
    today: Callable[[], dt.date] | None = None,
    docs: bool = False,
) -> FastAPI:
    """The verification page over `trust`, or over the key set at `keyset` (default: `home`/keys/published)
    and the verifier's own key under `home` (see `kofu.verify.trust`).

    With `register_url` the verification register is consulted (unknown / revoked documents);
    `today` fixes the day (tests); by default it is today in Japan; `docs` serves the API docs.
    """
    import logging

    from kofu.verify.core import parser_box

    # pyHanko logs a full traceback for an untrusted chain; the verdict already says key_unknown.
    for name in ("pyhanko", "pyhanko_certvalidator"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    parser_box().warm()  # the zygote imports the parsers while the app starts
    reload: Callable[[], Trust] | None = None
    if trust is None:
        if home is None:
            raise ValueError("give the trusted keys (trust) or the verification service's home folder")
        source = KeySource(home.resolve(), keyset)
        trust = source.load()  # a broken key set stops the start, saying which file

        def reload() -> Trust:
            return source.reload(checker.trust)

    register = None
    if register_url:
        if register_url_migrate:
            from kofu.verify.register import migrate_verify

            migrate_verify(register_url)
        register = Register(register_url)
    templates = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), auto_reload=False
    )
    templates.filters["b64"] = lambda data: base64.b64encode(data).decode()  # the 印影, shown inline
    checker = _Checker(trust, register, today, reload)
    app = FastAPI(
        title="kofu verify",
        version="1",
        description="Is this certificate genuine? Upload its PDF or a photo of its back.",
        **api_docs(docs),
    )

    @app.get("/", include_in_schema=False)
    @allow(ANYONE)
    def root() -> RedirectResponse:
        return RedirectResponse("/verify")

    @app.get("/healthz", include_in_schema=False)
    @allow(ANYONE)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    def render(lang: Lang, **found: Any) -> str:
        found = {"view": None, "refusal": None, **found}
        return templates.get_template("verify.html").render(
            lang=lang, other=other(lang), say=words(lang), **found
        )

    @app.get("/verify", response_class=HTMLResponse)
    @allow(ANYONE)
    def page(request: Request) -> HTMLResponse:
        return HTMLResponse(render(_language(request)))

    @app.post("/verify", response_class=HTMLResponse)
    @allow(ANYONE)
    async def verify_page(request: Request) -> HTMLResponse:
        lang = _language(request)
        upload = await _upload(request, max_bytes)
        if isinstance(upload, Refusal):
            sentence = upload.ja if lang == "ja" else upload.en
            return HTMLResponse(render(lang, refusal=(upload.code, sentence)), status_code=upload.status)
        result = await run_in_threadpool(checker, upload)
        issuer = checker.trust.name_of(result.claims.municipality_code) if result.claims else None
        return HTMLResponse(render(lang, view=present(result, lang, issuer=issuer)))

    @app.post(
        "/api/verify",
        responses={
            200: {"description": "The verdict: status, reasons (code, ja, en), document facts, content."},
            400: {"description": "bad_request: no file in the form."},
            413: {"description": "upload_too_large: more than 10 MB."},
            415: {"description": "unsupported: not a PDF, PNG or JPEG."},
        },
    )
    @allow(ANYONE)
    async def verify_api(request: Request) -> Response:
        upload = await _upload(request, max_bytes)
        if isinstance(upload, Refusal):
            return JSONResponse(upload.body(), status_code=upload.status)
        result = await run_in_threadpool(checker, upload)
        return JSONResponse(_summary(result))

    install_http_errors(app)
    offline_docs(app)
    install_gate(app, Gate())  # public: every route is declared open to anyone

    @app.exception_handler(Exception)
    async def never_500(_request: Request, exc: Exception) -> JSONResponse:
        log.error("verify page failure", error=exc.__class__.__name__)  # never the upload itself
        return JSONResponse(BAD_FORM.body(), status_code=400)

    return app


@dataclass
class _Checker:
    """Runs `verify_untrusted`; any failure inside it is the verdict unknown / unreadable.

    With `reload`, an unknown key re-reads the trusted keys once (a municipality that joined since).
    """

    trust: Trust
    register: Register | None
    today: Callable[[], dt.date] | None
    reload: Callable[[], Trust] | None = None

    def __call__(self, data: bytes) -> Verdict:
        result = self._check(data)
        if self.reload is not None and Reason.KEY_UNKNOWN in result.reasons:
            fresh = self.reload()
            if fresh.kids != self.trust.kids:
                self.trust = fresh
                result = self._check(data)
        return result

    def _check(self, data: bytes) -> Verdict:
        from kofu.verify.core import verify_untrusted

        try:
            return verify_untrusted(
                data,
                trust=self.trust,
                register=self.register,
                today=self.today() if self.today else None,
            )
        except Exception as exc:  # a malformed upload must never become a 500
            log.warning("verification failed", error=exc.__class__.__name__)
            return verdict(Status.UNKNOWN, Reason.UNREADABLE)


def _language(request: Request) -> Lang:
    return choose(request.query_params.get("lang"), request.headers.get("accept-language"))


def _summary(result: Verdict) -> dict[str, Any]:
    """The verdict as JSON, with the status's sentences in both languages."""
    return result.to_json()
