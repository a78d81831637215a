"""kofu.verify: is this certificate genuine? Verdicts on PDFs and on photos or scans of backs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kofu.verify.register import Register
    from kofu.verify.trust import Trust
    from kofu.verify.verdict import Verdict


def verify_bytes(
    data: bytes,
    *,
    trust: Trust | None = None,
    register: Register | None = None,
    today: dt.date | None = None,
    home: Path | None = None,
) -> Verdict:
    """The verdict on a PDF, PNG or JPEG (see `kofu.verify.core.verify_bytes`).

    Without `trust`, the published key sets and the verifier's own key of `home` (default: the
    settings' KOFU_HOME and `[verify] keyset`) are trusted. Imported lazily: verification pulls in pyHanko.
    """
    from kofu.verify.core import verify_bytes as _verify
    from kofu.verify.trust import Trust

    if trust is None:
        from kofu.settings import load_settings
        from kofu.verify.trust import keyset_location

        if home is None:
            settings = load_settings()
            trust = Trust.from_home(settings.home.resolve(), keyset_location(settings))
        else:
            trust = Trust.from_home(home.resolve())
    return _verify(data, trust=trust, register=register, today=today)
