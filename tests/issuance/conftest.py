"""The issuance path in one process: a generated village, a JPKI, the municipal server and the center.

Every party runs its real app: the municipal app is reached by the center through httpx's ASGI
transport, the JPKI's OCSP responder through Starlette's test client, and the kiosk side is a test
client of the center driven by a virtual card (`JpkiClient(InProcessReader(card))`).
"""

from __future__ import annotations

from issuance_world import ca_keys, sqlite_world, village_file, world

__all__ = ["ca_keys", "sqlite_world", "village_file", "world"]  # the fixtures of this folder
