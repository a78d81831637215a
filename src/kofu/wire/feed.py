"""The change feed on the wire: the municipal server's answer to a file of change events that the
municipality's own office systems post to `POST /v1/changes` (the body is the file; its Content-Type
names the format).

`FeedApplied` (200): what the file did, as `kofu.registry.feed.FeedReport` counts it. `FeedRefusal`
(422 `feed_refused`): the error body of every refusal, and each problem by line and field; nothing of the
file was applied. Each model has one writer (`of`, on the server) and one reader (`read`, for a client).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated, Any, TypeVar

from pydantic import Field, ValidationError

from kofu.rules.reasons import Reason
from kofu.wire.common import ErrorBody, Strict

EventCount = Annotated[int, Field(ge=0, strict=True)]
MAX_LISTED = 100  # as many problems as `kofu.registry.feed_events` reports for one file
M = TypeVar("M", bound=Strict)


class FeedApplied(Strict):
    """The file was applied: events filed now, already applied before (same ID, same content: skipped),
    reflected now (their time had come), and changes still waiting for their time (all files)."""

    filed: EventCount
    already_applied: EventCount
    reflected: EventCount
    pending: EventCount
    by_kind: dict[Annotated[str, Field(max_length=32)], EventCount] = Field(max_length=32)

    @classmethod
    def of(cls, report: Any) -> FeedApplied:
        """From a `kofu.registry.feed.FeedReport`."""
        kinds: Mapping[str, int] = report.by_kind
        return cls(
            filed=report.filed,
            already_applied=report.already_applied,
            reflected=report.reflected,
            pending=report.pending,
            by_kind=dict(sorted(kinds.items())),
        )

    @classmethod
    def read(cls, content: bytes) -> FeedApplied | None:
        """The report an answer's body carries, or None when it is not one."""
        return _read(cls, content)


class FeedProblemModel(Strict):
    """One bad event: the file's line (0: the file as a whole), the field, and why."""

    line: EventCount
    field: str = Field(max_length=200)
    message: str = Field(max_length=512)


class FeedRefusal(ErrorBody):
    """The file was refused (`feed_refused`), nothing of it applied: each problem found, by line."""

    problems: tuple[FeedProblemModel, ...] = Field(max_length=MAX_LISTED)

    @classmethod
    def of_problems(cls, problems: Iterable[Any]) -> FeedRefusal:
        """From `kofu.registry.feed_events.FeedProblem`s (line, field, reason)."""
        reason = Reason.FEED_REFUSED
        listed = tuple(
            FeedProblemModel(line=p.line, field=p.field[:200], message=p.reason[:512]) for p in problems
        )
        return cls(reason=reason, message_ja=reason.ja, message_en=reason.en, problems=listed[:MAX_LISTED])

    @classmethod
    def read(cls, content: bytes) -> FeedRefusal | None:
        """The refusal an answer's body carries, or None when it is not one."""
        return _read(cls, content)


def _read(model: type[M], content: bytes) -> M | None:
    try:
        return model.model_validate_json(content)
    except ValidationError:
        return None
