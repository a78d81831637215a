"""Fixtures of the verify tests: one key set per test session, rendered documents cached by variant."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from verify_support import variants

from kofu.documents.content import Content
from kofu.documents.issue import render_and_seal
from kofu.documents.keys import DocumentKeys, document_keys
from kofu.rules.rulebook import Rulebook, load_rulebook


@pytest.fixture(scope="session")
def rulebook() -> Rulebook:
    return load_rulebook("ohira")


@pytest.fixture(scope="session")
def doc_keys(tmp_path_factory: pytest.TempPathFactory, rulebook: Rulebook) -> DocumentKeys:
    """The municipality's document keys, generated once per test session (per xdist worker)."""
    return document_keys(tmp_path_factory.mktemp("dochome"), rulebook.code, rulebook.name)


@pytest.fixture(scope="session")
def contents(rulebook: Rulebook) -> dict[str, Content]:
    return variants(rulebook)


@pytest.fixture(scope="session")
def rendered(doc_keys: DocumentKeys, contents: dict[str, Content]) -> Callable[[str], bytes]:
    """The sealed PDF of a variant, rendered once per session."""
    cache: dict[str, bytes] = {}

    def get(name: str) -> bytes:
        if name not in cache:
            cache[name] = render_and_seal(contents[name], doc_keys)
        return cache[name]

    return get
