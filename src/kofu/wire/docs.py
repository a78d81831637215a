"""Whether a party's app publishes its API docs: `/docs`, `/redoc` and the `/openapi.json` they read.

Off unless its table says `docs = true` (the demo does): the schema is a map of every route, body and
reason code, so a deployment does not hand it to whoever reaches the port. `app.openapi()` still builds
it for code (tests, schemathesis).

When on, the pages load Swagger UI and ReDoc from the party itself (`offline_docs`), not from a CDN, so
they work on a machine without the internet.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI
    from starlette.requests import Request
    from starlette.responses import Response

_OFF: dict[str, Any] = {"docs_url": None, "redoc_url": None, "openapi_url": None}
ASSET = "asset"  # /docs?asset=NAME: a page's files at its own path, so gate and routes stay as they are
_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}


def api_docs(enabled: bool) -> dict[str, Any]:
    """Keyword arguments for `FastAPI(...)`: FastAPI's own docs URLs, or none."""
    return {} if enabled else dict(_OFF)


def _assets() -> Path:
    import fastapi_offline

    # Swagger UI 5 and ReDoc, as the package has them
    return Path(fastapi_offline.__file__).parent / "static"


def offline_docs(app: FastAPI) -> None:
    """Serve `app`'s `/docs` and `/redoc` (when on) with their scripts and styles from the package's files."""
    from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
    from starlette.responses import FileResponse, Response
    from starlette.routing import Route

    files = {p.name: p for p in _assets().iterdir() if p.suffix in _TYPES}

    def asset(request: Request) -> Response | None:
        name = request.query_params.get(ASSET)
        if name is None:
            return None
        path = files.get(name)
        if path is None:
            return Response(status_code=404)
        return FileResponse(path, media_type=_TYPES[path.suffix], headers={"cache-control": "max-age=86400"})

    async def swagger(request: Request) -> Response:
        root = request.scope.get("root_path", "").rstrip("/")
        here = f"{root}{app.docs_url}?{ASSET}="
        redirect = app.swagger_ui_oauth2_redirect_url
        return asset(request) or get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{here}swagger-ui-bundle.js",
            swagger_css_url=f"{here}swagger-ui.css",
            swagger_favicon_url=f"{here}favicon.png",
            oauth2_redirect_url=f"{root}{redirect}" if redirect else None,
            init_oauth=app.swagger_ui_init_oauth,
            swagger_ui_parameters=app.swagger_ui_parameters,
        )

    async def redoc(request: Request) -> Response:
        root = request.scope.get("root_path", "").rstrip("/")
        here = f"{root}{app.redoc_url}?{ASSET}="
        return asset(request) or get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{here}redoc.standalone.js",
            redoc_favicon_url=f"{here}favicon.png",
            with_google_fonts=False,
        )

    pages = {app.docs_url: swagger, app.redoc_url: redoc}
    routes = app.router.routes
    for i, route in enumerate(routes):  # replaced in place: the role gate holds this same list
        path = getattr(route, "path", None)
        if path in pages and path is not None and app.openapi_url:
            routes[i] = Route(path, pages[path], include_in_schema=False)
