"""Turn normalised text into weighted character n-gram features.

One feature scheme serves every script, chosen per word:

* words in scripts written without spaces (Chinese/Japanese, Thai, Burmese, Khmer) give
  character bigrams and trigrams, and single kanji (水, 火 and 熱 carry meaning alone);
* words in spaced scripts (Latin, Cyrillic, Hangul, Devanagari) give the whole word and
  the trigrams of the word padded with spaces, which survive typos and inflection
  (Korean particles, Spanish plurals).

The matcher indexes these features to find candidates among tens of thousands of
phrasings in well under a millisecond, before rapidfuzz scores the few that matter.
"""

from __future__ import annotations

import math
from collections import Counter

from phrasebook.scripts import UNSPACED_SCRIPTS, dominant_script

__all__ = ["features", "is_unspaced", "tfidf_vector"]


def is_unspaced(text: str) -> bool:
    """True if the text is mostly in a script written without spaces between words."""
    return dominant_script(text) in UNSPACED_SCRIPTS


def features(norm: str) -> Counter[str]:
    """Counted n-gram features of already-normalised text."""
    feats: Counter[str] = Counter()
    for word in norm.split():
        if dominant_script(word) in UNSPACED_SCRIPTS:
            for ch in word:
                if "\u4e00" <= ch <= "\u9fff":
                    feats["1" + ch] += 1
            for n in (2, 3):
                for i in range(len(word) - n + 1):
                    feats[f"{n}" + word[i:i + n]] += 1
        else:
            feats["w" + word] += 1
            padded = f" {word} "
            for i in range(len(padded) - 2):
                feats["3" + padded[i:i + 3]] += 1
    return feats


def tfidf_vector(feats: Counter[str], idf: dict[str, float], default_idf: float) -> dict[str, float]:
    """Sublinear tf times idf, L2-normalised; unknown features get ``default_idf``."""
    vec = {f: (1.0 + math.log(c)) * idf.get(f, default_idf) for f, c in feats.items()}
    norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
    return {f: v / norm for f, v in vec.items()}
