"""Municipality facts that content refers to as ``{city.key}``.

A value is either one string for every language (a phone number) or a mapping of
language code to string (the city's name, opening hours). A missing language falls back
to English, then Japanese, so a city can start with two languages and add more later.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["Area", "CityFacts"]

_FALLBACK = ("en", "ja")


def _pick(value: str | Mapping[str, str], lang: str) -> str:
    if isinstance(value, str):
        return value
    for code in (lang, "ja" if lang == "ja-easy" else "", *_FALLBACK):
        if code and value.get(code):
            return value[code]
    return next(iter(value.values()), "")


@dataclass(frozen=True)
class Area:
    """A district residents can subscribe to; ``names`` by language."""

    id: str
    names: Mapping[str, str]

    def name(self, lang: str) -> str:
        return _pick(self.names, lang) or self.id


@dataclass(frozen=True)
class CityFacts:
    """The ``city:`` block of the config, as content sees it."""

    values: Mapping[str, str | Mapping[str, str]] = field(default_factory=dict)
    areas: tuple[Area, ...] = ()

    def keys(self) -> frozenset[str]:
        return frozenset(self.values)

    def get(self, key: str, lang: str) -> str:
        """The value of ``key`` in ``lang`` (with fallback); KeyError if the key is unknown."""
        return _pick(self.values[key], lang)

    def area(self, area_id: str) -> Area:
        for area in self.areas:
            if area.id == area_id:
                return area
        raise KeyError(area_id)
