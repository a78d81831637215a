"""The trust-boundary tests (issue: every caller proven, every upload bounded, every record honest).

They use the issuance world (every party in process, `issuance_world`) and real mutual TLS where the
boundary is the network's.
"""

from __future__ import annotations

from issuance_world import ca_keys, sqlite_world, village_file, world

__all__ = ["ca_keys", "sqlite_world", "village_file", "world"]  # the fixtures of this folder
