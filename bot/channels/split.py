"""Split a long reply into messages that fit a platform, at sentence boundaries.

A cut in the middle of a sentence (or of a phone number) is worse than a short message,
so the splitter prefers, in order: a blank line, a line break, the end of a sentence
(。．.!?！？ and the Thai/Burmese/Khmer/Devanagari full stops), a space, and only then a
hard cut.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["split_text", "utf16_units"]

_BREAKS = (re.compile(r"\n\n"), re.compile(r"\n"), re.compile(r"(?<=[。．.!?！？।။។])\s*"), re.compile(r" "))


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int, measure: Callable[[str], int] = len) -> list[str]:
    """Pieces of ``text``, each with ``measure(piece) <= limit``, cut where it reads best."""
    if limit < 1:
        raise ValueError("limit must be positive")
    pieces: list[str] = []
    rest = text.strip()
    while rest:
        if measure(rest) <= limit:
            pieces.append(rest)
            break
        # the longest prefix that fits, by code points (measure is monotonic)
        fit = len(rest)
        while fit > 0 and measure(rest[:fit]) > limit:
            fit = max(0, fit - max(1, (measure(rest[:fit]) - limit)))
        cut = fit
        for pattern in _BREAKS:
            found = [m.end() for m in pattern.finditer(rest, 0, fit) if m.end() > fit // 3]
            if found:
                cut = found[-1]
                break
        piece = rest[:cut].strip()
        if not piece:
            piece, cut = rest[:fit], fit
        pieces.append(piece)
        rest = rest[cut:].strip()
    return pieces
