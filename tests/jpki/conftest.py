"""Fixtures of the jpki tests: authorities made once per worker, copied into each test's home."""

from __future__ import annotations
