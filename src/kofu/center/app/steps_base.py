"""The center service's shared ground: its database, authenticator, municipal client and clock.

The use cases live in one module each (`steps_sessions`, `steps_orders`, `steps_registration`) as
classes over this base; `kofu.center.app.service.CenterService` joins them. Database work runs in the
thread pool; calls to municipal servers are awaited; refusals are values.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import ParamSpec, TypeVar

from cryptography import x509
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from kofu.audit.entry import tagged
from kofu.audit.log import attached
from kofu.audit.log import record as audit_record
from kofu.center.app.municipal_client import Fetched, MunicipalClient
from kofu.center.auth.authenticator import Authenticator
from kofu.center.auth.revocation import StatusChecker
from kofu.db import transaction
from kofu.rules.decision import Refused
from kofu.wire.orders import (
    RenderRequest,
)

P = ParamSpec("P")
T = TypeVar("T")
Clock = Callable[[], datetime]
Factory = sessionmaker[Session]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def decode_b64(text: str) -> bytes | None:
    """The bytes of a strict base64 text, or None when it is not base64."""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


class CenterBase:
    """What every use case of the center uses."""

    def __init__(
        self,
        factory: Factory,
        authenticator: Authenticator,
        municipal: MunicipalClient,
        *,
        sign_ca: x509.Certificate | None,
        status: StatusChecker,
        clock: Clock = _utc_now,
        session_lifetime: timedelta = timedelta(minutes=15),
        record_document: Callable[[RenderRequest, Fetched], None] | None = None,
        revoke_document: Callable[[str, datetime], None] | None = None,
    ) -> None:
        self.factory = factory
        self.authenticator = authenticator
        self.municipal = municipal
        self.sign_ca = sign_ca
        self.status = status
        self.clock = clock
        self.session_lifetime = session_lifetime
        self.record_document = record_document
        self.revoke_document = revoke_document

    async def _db(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        return await run_in_threadpool(fn, *args, **kwargs)

    # --- audit hook (kofu.audit): a refusal decided outside an order step's own transaction is
    # --- appended in a transaction of its own; answers are appended where their step writes.
    def _audit_refusal(self, result: T, *, action: str, terminal_id: str, subject: str) -> T:
        """`result`, recorded first when it is a refusal (and the factory has an audit log)."""
        if isinstance(result, Refused) and attached(self.factory) is not None:
            with transaction(self.factory) as session:
                audit_record(
                    session,
                    actor=tagged("terminal", terminal_id),
                    action=action,
                    subject=subject,
                    result=result,
                    now=self.clock(),
                )
        return result
