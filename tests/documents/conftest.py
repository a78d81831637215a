"""Fixtures of the documents tests: one key set per test session, rendered documents cached by variant."""

from doc_support import contents, doc_keys, rendered, rulebook  # noqa: F401  (shared fixtures)
