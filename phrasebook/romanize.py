"""Readings of Japanese place names for residents who cannot read kanji.

An operator types a shelter as 北小学校; a Vietnamese resident needs "Kita Shōgakkō" to
ask the way, and an Easy-Japanese reader needs きたしょうがっこう. cutlet (MIT) gives
Hepburn romaji and fugashi + unidic-lite give kana readings, offline. Both misread some
proper names, which is why the operator or the config can give the official reading
instead. The tagger is loaded lazily and once: it costs about half a second.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

__all__ = ["Romanizer"]


class Romanizer:
    """Romaji and hiragana readings of Japanese text."""

    def __init__(self) -> None:
        self._cutlet: Any = None
        self._tagger: Any = None

    def _load(self) -> None:
        if self._cutlet is None:
            import cutlet
            import fugashi

            self._cutlet = cutlet.Cutlet()
            self._tagger = fugashi.Tagger()

    @lru_cache(maxsize=1024)  # noqa: B019 - one long-lived instance per process
    def romaji(self, text: str) -> str:
        """Hepburn romaji, words capitalised as place names are written."""
        self._load()
        roman = self._cutlet.romaji(text, capitalize=True, title=True)
        return " ".join(roman.split())

    @lru_cache(maxsize=1024)  # noqa: B019
    def hiragana(self, text: str) -> str:
        """The hiragana reading of ``text`` (kana and other characters kept as they are)."""
        self._load()
        out: list[str] = []
        for word in self._tagger(text):
            kana = getattr(word.feature, "kana", None) or word.surface
            out.append("".join(chr(ord(c) - 0x60) if "\u30a1" <= c <= "\u30f6" else c for c in kana))
        return "".join(out)
