"""Find pairs of entries that residents' messages could not tell apart.

If "where is the shelter?" is a question of both a FAQ entry and a phrase card, the bot
can only guess between them. ``tabunka-bot validate`` reports such pairs as warnings so
that staff reword one of them. Only questions and titles are compared, within one
language, because that is where a near-duplicate is an editing mistake rather than a
shared keyword.
"""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz import fuzz

from phrasebook.index import GramIndex
from phrasebook.matcher import Phrasing
from phrasebook.problems import Problem

__all__ = ["find_confusables"]

_NEAR_IDENTICAL = 95.0
_CANDIDATE_COSINE = 0.8


def find_confusables(phrasings: Sequence[Phrasing], file_of_lang: dict[str, str]) -> list[Problem]:
    """A warning for each pair of entries sharing a near-identical question or title."""
    rows = [p for p in phrasings if p.field in ("question", "title")]
    index = GramIndex([p.norm for p in rows])
    reported: set[tuple[str, str, str]] = set()
    problems: list[Problem] = []
    for i, phrasing in enumerate(rows):
        cosine, _, _ = index.score(phrasing.norm)
        for j in (cosine >= _CANDIDATE_COSINE).nonzero()[0]:
            other = rows[int(j)]
            if other.entry_id == phrasing.entry_id or other.lang != phrasing.lang or j <= i:
                continue
            key = (*sorted((phrasing.entry_id, other.entry_id)), phrasing.lang)
            if key in reported or fuzz.ratio(phrasing.norm, other.norm) < _NEAR_IDENTICAL:
                continue
            reported.add(key)  # type: ignore[arg-type]
            problems.append(Problem(
                file_of_lang.get(phrasing.lang, phrasing.lang), 1, phrasing.entry_id, phrasing.lang,
                f"'{phrasing.text}' is nearly the same as '{other.text}' of {other.entry_id}; "
                "the bot cannot tell them apart, reword one", "warning"))
    return problems
