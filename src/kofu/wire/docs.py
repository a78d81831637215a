"""Whether a party's app publishes its API docs: `/docs`, `/redoc` and the `/openapi.json` they read.

Off unless its table says `docs = true` (the demo does): the schema is a map of every route, body and
reason code, so a deployment does not hand it to whoever reaches the port. `app.openapi()` still builds
it for code (tests, schemathesis).
"""

from __future__ import annotations

from typing import Any

_OFF: dict[str, Any] = {"docs_url": None, "redoc_url": None, "openapi_url": None}


def api_docs(enabled: bool) -> dict[str, Any]:
    """Keyword arguments for `FastAPI(...)`: FastAPI's own docs URLs, or none."""
    return {} if enabled else dict(_OFF)
