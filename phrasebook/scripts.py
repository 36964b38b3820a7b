"""Which writing system a character belongs to.

Language identification and matching both branch on script: Thai, Burmese, Khmer and
Chinese/Japanese are written without spaces, and a few scripts name a language outright.
Ranges are checked with ``bisect`` over a sorted table, which is fast enough for the hot
path (a few microseconds per message) and needs no third-party data.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter

__all__ = ["UNSPACED_SCRIPTS", "dominant_script", "script_counts", "script_of"]

_RANGES: list[tuple[int, int, str]] = sorted([
    (0x0041, 0x005A, "latin"), (0x0061, 0x007A, "latin"), (0x00C0, 0x024F, "latin"),
    (0x1E00, 0x1EFF, "latin"),
    (0x0400, 0x052F, "cyrillic"),
    (0x0900, 0x097F, "devanagari"), (0xA8E0, 0xA8FF, "devanagari"),
    (0x0E00, 0x0E7F, "thai"),
    (0x1000, 0x109F, "myanmar"), (0xA9E0, 0xA9FF, "myanmar"), (0xAA60, 0xAA7F, "myanmar"),
    (0x1780, 0x17FF, "khmer"), (0x19E0, 0x19FF, "khmer"),
    (0x1100, 0x11FF, "hangul"), (0x3130, 0x318F, "hangul"), (0xAC00, 0xD7AF, "hangul"),
    (0x3040, 0x309F, "kana"), (0x30A0, 0x30FF, "kana"), (0x31F0, 0x31FF, "kana"),
    (0x3400, 0x4DBF, "han"), (0x4E00, 0x9FFF, "han"), (0xF900, 0xFAFF, "han"),
    (0x20000, 0x2FFFF, "han"),
])
_STARTS = [r[0] for r in _RANGES]

UNSPACED_SCRIPTS = frozenset({"han", "kana", "thai", "myanmar", "khmer"})


def script_of(ch: str) -> str | None:
    """The script of one character, or None for digits, punctuation, spaces and the rest."""
    code = ord(ch)
    i = bisect_right(_STARTS, code) - 1
    if i >= 0:
        start, end, name = _RANGES[i]
        if start <= code <= end:
            return name
    return None


def script_counts(text: str) -> Counter[str]:
    """How many letters of each script ``text`` has."""
    counts: Counter[str] = Counter()
    for ch in text:
        name = script_of(ch)
        if name:
            counts[name] += 1
    return counts


def dominant_script(text: str) -> str | None:
    """The script most letters are in; kana wins over han (Japanese mixes both)."""
    counts = script_counts(text)
    if not counts:
        return None
    if counts.get("kana"):
        return "kana"
    return counts.most_common(1)[0][0]
