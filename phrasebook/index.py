"""A sparse n-gram index over every phrasing and keyword of the phrasebook.

For a query it computes, for every indexed string at once, three numbers:

* ``cosine``: TF-IDF cosine between query and string, for questions (how alike they are);
* ``cover``: the share of the string's feature weight that the query contains, for
  keywords ("zairyu card" inside "how do I renew my zairyu card?");
* ``query_cover``: the share of the *query's* feature weight that the string contains:
  how much of the message a keyword explains ("rác" explains little of "ngày nào vứt
  rác", "gomi" all of "gomi").

Both are sums over the query's features of per-string weights, computed with
``numpy.bincount`` over posting lists: a query against 50,000 strings costs well under a
millisecond, so the first pass never needs to be brute-force fuzzy matching.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

from phrasebook.features import features, tfidf_vector

__all__ = ["GramIndex"]


class GramIndex:
    """Immutable TF-IDF index over a list of normalised strings."""

    def __init__(self, docs: Sequence[str]) -> None:
        self.size = len(docs)
        counted = [features(doc) for doc in docs]
        df: Counter[str] = Counter()
        for feats in counted:
            df.update(feats.keys())
        n = max(self.size, 1)
        self.idf = {f: math.log(1.0 + n / d) for f, d in df.items()}
        self.default_idf = math.log(1.0 + n)
        postings: dict[str, tuple[list[int], list[float]]] = {}
        for doc_id, feats in enumerate(counted):
            for feat, weight in tfidf_vector(feats, self.idf, self.default_idf).items():
                ids, weights = postings.setdefault(feat, ([], []))
                ids.append(doc_id)
                weights.append(weight)
        self._postings = {
            f: (np.asarray(ids, dtype=np.int32), np.asarray(ws, dtype=np.float32))
            for f, (ids, ws) in postings.items()
        }

    def score(self, query_norm: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(cosine, cover, query_cover)`` arrays of length ``size`` for a normalised query."""
        query = tfidf_vector(features(query_norm), self.idf, self.default_idf)
        id_parts: list[np.ndarray] = []
        cos_parts: list[np.ndarray] = []
        cover_parts: list[np.ndarray] = []
        query_parts: list[np.ndarray] = []
        for feat, q_weight in query.items():
            posting = self._postings.get(feat)
            if posting is None:
                continue
            ids, weights = posting
            id_parts.append(ids)
            cos_parts.append(weights * q_weight)
            cover_parts.append(weights * weights)
            query_parts.append(np.full(len(ids), q_weight * q_weight))
        if not id_parts:
            empty = np.zeros(self.size, dtype=np.float64)
            return empty, empty.copy(), empty.copy()
        ids_all = np.concatenate(id_parts)
        cosine = np.bincount(ids_all, weights=np.concatenate(cos_parts), minlength=self.size)
        cover = np.bincount(ids_all, weights=np.concatenate(cover_parts), minlength=self.size)
        query_cover = np.bincount(ids_all, weights=np.concatenate(query_parts), minlength=self.size)
        return cosine, cover, query_cover
