"""Which language the public verification page speaks: `?lang=` first, then Accept-Language, else Japanese."""

from __future__ import annotations

from typing import Literal

Lang = Literal["ja", "en"]
LANGS: tuple[Lang, ...] = ("ja", "en")
DEFAULT: Lang = "ja"  # the paper is Japanese, and so are most of its readers


def choose(query: str | None, accept_language: str | None) -> Lang:
    """The page's language: an explicit `?lang=ja|en`, else the best of the browser's, else Japanese."""
    if query in LANGS:
        return query
    for tag in _preferred(accept_language or ""):
        primary = tag.split("-", 1)[0].strip().lower()
        if primary in LANGS:
            return primary
    return DEFAULT


def other(lang: Lang) -> Lang:
    """The language the page's switch link offers."""
    return "en" if lang == "ja" else "ja"


def _preferred(header: str) -> list[str]:
    """The header's language tags, most wanted first; those weighted 0 (not wanted) left out."""
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if tag and weight > 0:
            ranked.append((-weight, i, tag))
    return [tag for _, _, tag in sorted(ranked)]
