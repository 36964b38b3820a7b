"""Make a resident's message and a phrasebook string comparable.

Rules, and why:

* NFKC folds full-width letters and half-width katakana, which phones produce freely.
* Case folding, then every character whose Unicode category is punctuation, symbol
  (emoji included) or control becomes a space. We deliberately do *not* use rapidfuzz's
  ``default_process``: it treats the combining vowel signs of Thai, Burmese, Khmer and
  Devanagari (categories Mn/Mc) as non-alphanumeric and deletes them, which turns
  different words into the same string.
* Katakana is folded to hiragana (ゴミ and ごみ are the same word to a resident).
* Accent folding (``fold_accents``) removes Latin diacritics and maps đ to d, because many
  Vietnamese, Portuguese, Spanish, Tagalog and Indonesian users type without them. It is
  applied to the query only when the query has no accents of its own, so a resident who
  does type accents gets the benefit of the distinction.
"""

from __future__ import annotations

import re
import unicodedata

from phrasebook.scripts import script_of

__all__ = ["fold_accents", "has_latin_accents", "normalize"]

_SPACES = re.compile(r"\s+")
_DROP_CATEGORIES = ("P", "S", "C")
_KEEP_FORMAT = {"\u200c", "\u200d"}  # ZWNJ/ZWJ shape Devanagari and Khmer; keep them


def _fold_char(ch: str) -> str:
    code = ord(ch)
    if 0x30A1 <= code <= 0x30F6:  # katakana -> hiragana
        return chr(code - 0x60)
    if 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF:
        return ""  # variation selectors (emoji presentation) are marks of a dropped symbol
    category = unicodedata.category(ch)
    if (category[0] in _DROP_CATEGORIES or category == "Me") and ch not in _KEEP_FORMAT:
        return " "
    return ch


def normalize(text: str) -> str:
    """NFKC, case-fold, punctuation/symbols/emoji to spaces, katakana to hiragana."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(_fold_char(ch) for ch in text)
    return _SPACES.sub(" ", text).strip()


def fold_accents(text: str) -> str:
    """Strip diacritics from Latin letters only (Thai or Devanagari marks are letters)."""
    out: list[str] = []
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.combining(ch) and out and script_of(out[-1]) == "latin":
            continue
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out)).replace("đ", "d")


def has_latin_accents(text: str) -> bool:
    """True if the text has any accented Latin letter (then we match it as typed)."""
    return any(ord(ch) > 0x7F and script_of(ch) == "latin" for ch in text)
