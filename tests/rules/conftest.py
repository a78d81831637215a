"""Fixtures for the rules tests: the two bundled rulebooks."""

from __future__ import annotations

import pytest

from kofu.rules.rulebook import Rulebook, load_rulebook


@pytest.fixture(scope="session")
def ohira() -> Rulebook:
    return load_rulebook("ohira")


@pytest.fixture(scope="session")
def kitayama() -> Rulebook:
    return load_rulebook("kitayama")
