"""Errors of registry write operations: a reason code and a sentence, caught at the CLI/API edge."""

from __future__ import annotations


class RegistryError(Exception):
    """A registry operation refused: `code` is a stable lower_snake reason, the message says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
