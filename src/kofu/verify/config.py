"""The `[verify]` table of the public verification service (`kofu serve verify`)."""

from __future__ import annotations

from typing import ClassVar

from kofu.settings import FilePath, Positive, Table

MB = 1024 * 1024


class VerifyTable(Table):
    """The `[verify]` table (`KOFU_VERIFY__<KEY>`).

    register_url: the verification register (empty for the settings' database, where the center records
    what it passes on); max_upload_mb: the largest upload; keyset: the municipalities' published key
    sets, a file or a folder of them (unset for $KOFU_HOME/keys/published); docs: serve `/docs`,
    `/redoc`, `/openapi.json`.
    """

    table: ClassVar[str] = "verify"
    register_url: str = ""
    max_upload_mb: Positive = 10.0
    keyset: FilePath | None = None
    docs: bool = False

    @property
    def max_bytes(self) -> int:
        return int(self.max_upload_mb * MB)
