"""Structured logs (structlog): key-value lines on a terminal, JSON lines for machines.

uvicorn's own loggers (its access lines, its errors) go through the same renderer
(`uvicorn_log_config`), with the identifiers of a request's path redacted: a session ID, an order ID or
a document number in a URL is a handle on a person's certificate, and logs are kept and copied far
longer than a session lives. Tracebacks are printed plain, never with the values of local variables.
"""

from __future__ import annotations

import logging
import re
from collections.abc import MutableMapping
from typing import Any

import structlog

REDACTED = ":id"
# A path segment is kept when it is a route's own word (lowercase, short), an API version or a static
# file's name; anything else (IDs, numbers, tokens, codes) is replaced.
_KEPT_SEGMENT = re.compile(
    r"[a-z][a-z_-]{0,23}|v[0-9]{1,2}|[a-z][a-z0-9_-]{0,23}\.(?:js|css|html|json|ico|png|crl)"
)
_KEPT_QUERY_NAME = re.compile(r"[a-z][a-z_]{0,31}")

_setup: dict[str, Any] = {"level": "INFO", "as_json": False}


def configure_logging(level: str = "INFO", as_json: bool = False) -> None:
    """Set up structlog once for the process."""
    _setup.update(level=level.upper(), as_json=as_json)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            *_rendering(as_json),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        cache_logger_on_first_use=True,
    )


def get_logger(name: str) -> structlog.typing.FilteringBoundLogger:
    """A logger bound to a component name."""
    return structlog.get_logger(component=name)


def redact_path(target: str) -> str:
    """A request target fit for a log: `/v1/orders/3b2f…/document?terminal_id=demo-0001` →
    `/v1/orders/:id/document?terminal_id=:id`."""
    path, sep, query = target.partition("?")
    kept = "/".join(s if not s or _KEPT_SEGMENT.fullmatch(s) else REDACTED for s in path.split("/"))
    if not sep:
        return kept
    names = (pair.split("=", 1)[0] for pair in query.split("&") if pair)
    return (
        kept + "?" + "&".join(f"{n if _KEPT_QUERY_NAME.fullmatch(n) else REDACTED}={REDACTED}" for n in names)
    )


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's `log_config`: its loggers rendered by structlog as `configure_logging` set it up (level
    and JSON), each access line as fields (method, path redacted, status) instead of free text.

    Plain values only: uvicorn hands it to each worker process, which builds the formatter itself.
    """
    formatter = {"()": "kofu.logs.uvicorn_formatter", "as_json": _setup["as_json"]}
    handler = {"class": "logging.StreamHandler", "formatter": "structlog", "stream": "ext://sys.stderr"}
    level = _setup["level"]
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"structlog": formatter},
        "handlers": {"structlog": handler},
        "loggers": {
            "uvicorn": {"handlers": ["structlog"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": ["structlog"], "level": level, "propagate": False},
        },
    }


def uvicorn_formatter(as_json: bool = False) -> logging.Formatter:
    """The formatter of uvicorn's records (named by `uvicorn_log_config`)."""
    return structlog.stdlib.ProcessorFormatter(
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *_rendering(as_json)],
        foreign_pre_chain=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _uvicorn_fields,
        ],
        pass_foreign_args=True,
    )


def _uvicorn_fields(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """An access line as fields, its path redacted; any other uvicorn line as it is, with its logger."""
    record = event.get("_record")
    args = event.pop("positional_args", ())
    name = getattr(record, "name", "uvicorn")
    event["component"] = name
    if name == "uvicorn.access" and isinstance(args, tuple) and len(args) == 5:
        client, method, target, http_version, status = args
        event.update(
            event="request",
            client=client,
            method=method,
            path=redact_path(str(target)),
            http=http_version,
            status=status,
        )
    return event


def _rendering(as_json: bool) -> list[structlog.typing.Processor]:
    """The last processors: exceptions as plain text (never with local variables), then the renderer."""
    if as_json:
        return [structlog.processors.format_exc_info, structlog.processors.JSONRenderer(ensure_ascii=False)]
    return [structlog.dev.ConsoleRenderer(exception_formatter=structlog.dev.plain_traceback)]
